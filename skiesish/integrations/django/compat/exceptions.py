"""django-health-check's exceptions: what a check raises to say why it fails.

A check fails by raising one of these from ``run()``; its text,
``"<message_type>: <message>"`` (``"Unavailable: database down"``), is what
every format shows, scrubbed of secrets. Any other exception fails the check
too, shown as ``"Unknown Error: unknown error"`` (its traceback is logged,
scrubbed), because its text was never written to be shown.

Example:
    >>> raise ServiceUnavailable("the replica lags 40 s behind")
"""

from __future__ import annotations

import datetime
from typing import Any

from django.utils import timezone  # type: ignore[import-untyped, unused-ignore]

__all__ = [
    "HealthCheckException",
    "ServiceReturnedUnexpectedResult",
    "ServiceUnavailable",
    "ServiceWarning",
    "StatusPageWarning",
]


class HealthCheckException(Exception):
    """The base of the exceptions a check raises to fail with a message.

    Args:
        message: why the check fails; shown to whoever asks, so it must not
            hold secrets (it is scrubbed all the same).
        timestamp: when the failure began (the feeds' publication date); now
            by default.
    """

    #: The word before the message when the exception is shown.
    message_type: str = "Unknown Error"

    def __init__(self, message: Any, *, timestamp: datetime.datetime | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.timestamp: datetime.datetime = timezone.now() if timestamp is None else timestamp

    def __str__(self) -> str:
        return f"{self.message_type}: {self.message}"


class ServiceWarning(HealthCheckException):
    """The service misbehaves but still works (it fails the endpoint all the same, as in v4)."""

    message_type = "Warning"


class ServiceUnavailable(HealthCheckException):
    """The service cannot be used."""

    message_type = "Unavailable"


class ServiceReturnedUnexpectedResult(HealthCheckException):
    """The service answered, but not what the check expected."""

    message_type = "Unexpected Result"


class StatusPageWarning(ServiceWarning):
    """An incident on a provider's status page; ``timestamp`` is the incident's own."""
