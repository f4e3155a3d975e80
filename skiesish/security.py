"""Who may see details: ``never``, ``always``, or ``authorized`` with a bearer token."""

from __future__ import annotations

import hmac
from typing import Protocol

from .exceptions import ConfigurationError

__all__ = ["DetailsPolicy", "resolve_token"]


class _Settings(Protocol):
    def get(self, name: str, /) -> str | None: ...


def resolve_token(token: str, environment: _Settings) -> str:
    """Return ``token``, or for ``"env:VAR"`` the value of ``VAR`` in ``environment``.

    Raises:
        ConfigurationError: ``VAR`` is not set, or the token is empty.
    """
    if token.startswith("env:"):
        variable = token[len("env:") :]
        value = environment.get(variable)
        if not value:
            raise ConfigurationError(
                f"details_token reads the environment variable {variable!r}, which is not set or empty"
            )
        return str(value)
    if not token:
        raise ConfigurationError("details_token must not be empty")
    return token


class DetailsPolicy:
    """Decide, per request, whether details may be shown.

    Args:
        mode: ``"never"``, ``"always"`` or ``"authorized"``.
        token: with ``"authorized"``, the bearer token callers must present;
            compared in constant time.
    """

    def __init__(self, mode: str, token: str | None = None) -> None:
        self.mode = mode
        self._token = token.encode("utf-8") if token else None

    def allows(self, authorization: str | None) -> bool:
        """Whether a request with this ``Authorization`` header may see details."""
        if self.mode == "always":
            return True
        if self.mode != "authorized" or self._token is None or not authorization:
            return False
        scheme, _, presented = authorization.partition(" ")
        if scheme.lower() != "bearer":
            return False
        return hmac.compare_digest(presented.strip().encode("utf-8", "replace"), self._token)
