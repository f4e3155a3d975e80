"""Loading the application a command names, and closing it."""

from __future__ import annotations

import os
import sys

from .output import scrub_line

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    from typing import Any

__all__ = ["close_application", "load_application"]


def load_application(target: str) -> Any:
    """Import ``MODULE:ATTR`` (or ``MODULE.ATTR``) from the current directory.

    Raises:
        SystemExit: with a message saying what could not be found, or what importing it raised.
    """
    if ":" not in target:
        expected = "expected MODULE:ATTR, like examples.health_demo:application"
        raise SystemExit(scrub_line(f"skiesish: {expected}; got {target!r}"))
    import pkgutil

    if os.getcwd() not in sys.path:
        sys.path.insert(0, os.getcwd())
    try:
        return pkgutil.resolve_name(target)
    except Exception as error:  # noqa: BLE001 - importing a user's module can raise anything
        raise SystemExit(
            scrub_line(f"skiesish: cannot load {target!r}: {type(error).__name__}: {error}")
        ) from None


def close_application(application: Any) -> None:
    """Call ``application.close()`` if it has one (contexts do)."""
    close = getattr(application, "close", None)
    if callable(close):
        close()
