"""django-health-check's ``HealthCheck`` base class, whose checks run on skiesish's health engine.

A check is a dataclass with a ``run()`` method, plain or ``async``, that
returns when the service is healthy and raises an exception from
:mod:`.exceptions` when it is not. Its ``repr`` names it in every format,
so a field holding a secret should say ``repr=False`` (what is shown is
scrubbed all the same).

Example:
    >>> @dataclasses.dataclass
    ... class Queue(HealthCheck):
    ...     name: str = "default"
    ...
    ...     def run(self):
    ...         if queue_length(self.name) > 10_000:
    ...             raise ServiceWarning(f"{self.name} is backed up")
"""

from __future__ import annotations

import abc
import asyncio
import dataclasses
import datetime
from concurrent.futures import Executor
from typing import Any

from .exceptions import HealthCheckException

__all__ = ["HealthCheck", "HealthCheckResult"]


@dataclasses.dataclass
class HealthCheckResult:
    """What one check found, as the view's formats and template read it.

    Attributes:
        check: the check instance.
        error: why it failed (its text scrubbed), or ``None`` when it passed.
        time_taken: seconds its run took (a cached result keeps its run's).
    """

    check: Any
    error: HealthCheckException | None
    time_taken: float

    @property
    def label(self) -> str:
        """How the formats name the check: its ``repr``, scrubbed (a second alike gets `` (2)``)."""
        label = self.__dict__.get("_label")
        if not isinstance(label, str):
            from ._running import label_of

            label = self.__dict__["_label"] = label_of(self.check)  # once: a repr may cost (a Redis client)
        return label


@dataclasses.dataclass
class HealthCheck(abc.ABC):
    """The base of every check: implement ``run()``, sync or async, and raise to fail.

    ``run()`` passes by returning and fails by raising a
    :class:`~.exceptions.HealthCheckException` (``ServiceUnavailable``,
    ``ServiceWarning``, ...), whose text is shown. Any other exception fails
    too and is shown as ``"Unknown Error: unknown error"``, its traceback
    logged (scrubbed) on the ``skiesish`` logger.

    A check is given :attr:`timeout` plus one second to finish (the second
    lets its own client's timeout report first); then it is reported
    ``"Unavailable: Timed out after 5 seconds"`` and left to finish on its
    own thread.
    """

    # Not a field: a dataclass field here would become the first parameter of every check.
    timeout = datetime.timedelta(seconds=5)
    """How long the check may take; a check with a ``timeout`` field of its own overrides it."""

    @abc.abstractmethod
    def run(self) -> Any:
        """Check the service; return if it is healthy, raise a ``HealthCheckException`` if not.

        May be ``async def``. Exception messages are shown to whoever asks:
        keep secrets out of them.
        """

    def pretty_status(self) -> str:
        """The text of a passing check: ``"OK"``."""
        return "OK"

    @property
    def labels(self) -> dict[str, str]:
        """The OpenMetrics labels: ``check`` (the class name) and each shown field that is not None."""
        labels = {"check": type(self).__name__}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name, None)
            if field.repr and value is not None:
                labels[field.name] = str(value)
        return labels

    async def get_result(self, executor: Executor | None = None) -> HealthCheckResult:
        """Run this check once, now, on a health engine of its own, and say what it found.

        No result is cached: each call runs the check. ``executor`` hosts the
        wait for the result (the check itself runs on the engine's thread).

        Raises:
            ConfigurationError: :attr:`timeout` is not a duration from 0 to 599 seconds.
        """
        from ._running import CheckRunner

        # Labelled by its class: its repr, which may cost (a Redis check makes a client), is read if shown.
        runner = CheckRunner([self], success_ttl=None, failed_ttl=None, labels=[type(self).__name__])
        try:
            results = await asyncio.get_running_loop().run_in_executor(executor, runner.results)
        finally:
            runner.close()
        return HealthCheckResult(results[0].check, results[0].error, results[0].time_taken)
