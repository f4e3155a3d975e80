"""Who may see details: ``never``, ``always``, or ``authorized`` with a bearer token."""

from __future__ import annotations

import hmac
from typing import Protocol

from .exceptions import ConfigurationError

__all__ = ["DetailsPolicy", "check_token", "check_token_setting", "resolve_secret", "resolve_token"]


class _Settings(Protocol):
    def get(self, name: str, /) -> str | None: ...


#: What a bearer token may hold: visible ASCII, nothing else (RFC 6750's b64token is narrower).
_TOKEN_CHARACTERS = frozenset(chr(code) for code in range(0x21, 0x7F))


def check_token(token: object, where: str = "details_token") -> str:
    """Return ``token`` if it can be presented in an ``Authorization: Bearer`` header; never quote it.

    A token that is empty, only whitespace, or ends in a newline (as one read
    from a file or a variable set with ``echo`` often does) would be
    accepted here and then matched by nobody: it is refused now instead.

    Args:
        token: the token.
        where: what the message calls it (``""`` where the caller names it already).

    Raises:
        ConfigurationError: what is wrong, without the token itself.
    """
    subject = f"{where} " if where else ""
    if not isinstance(token, str):
        raise ConfigurationError(f"{subject}must be a string, got {type(token).__name__} (value not shown)")
    if not token.strip():
        raise ConfigurationError(f"{subject}must not be empty or only whitespace")
    if not set(token) <= _TOKEN_CHARACTERS:
        raise ConfigurationError(
            f"{subject}may hold only visible ASCII characters, no spaces, tabs or line breaks "
            f"(a token read from a file or a variable often ends in a newline: strip it); "
            f"it has {len(token)} characters (value not shown)"
        )
    return token


def check_token_setting(value: object) -> str:
    """Check a ``details_token`` setting as written: a token, or ``"env:VARIABLE"``.

    Raises:
        ConfigurationError: see :func:`check_token`; or an ``env:`` with no variable name.
    """
    token = check_token(value, where="")
    if token.startswith("env:") and not token[len("env:") :].isidentifier():
        raise ConfigurationError(f"'env:...' must name an environment variable, got {token!r:.60}")
    return token


def resolve_secret(value: str, environment: _Settings, key: str) -> str:
    """Return ``value``, or for ``"env:VAR"`` the value of ``VAR`` in ``environment``; never quote it.

    Raises:
        ConfigurationError: ``VAR`` is not set or empty.
    """
    if not value.startswith("env:"):
        return value
    variable = value[len("env:") :]
    found = environment.get(variable)
    if not found:
        raise ConfigurationError(
            f"{key} reads the environment variable {variable!r}, which is not set or empty"
        )
    return str(found)


def resolve_token(token: str, environment: _Settings) -> str:
    """Return ``token``, or for ``"env:VAR"`` the value of ``VAR`` in ``environment``; both checked.

    Raises:
        ConfigurationError: ``VAR`` is not set, or the token cannot be
            presented as a bearer token (see :func:`check_token`).
    """
    value = resolve_secret(token, environment, "details_token")
    if value is token:
        return check_token(token)
    variable = token[len("env:") :]
    return check_token(value, f"the environment variable {variable} (read by details_token)")


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
