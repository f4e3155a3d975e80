"""Sections: extra values shown beside health details, computed per request and never fatal."""

from __future__ import annotations

from typing import Any

from .di import DI
from .exceptions import stops_the_interpreter
from .text import bounded

__all__ = ["section_value"]


def section_value(di: DI, value: Any) -> Any:
    """A section's value; a callable is called with its parameters injected.

    A section is informative only: whatever calling it raises (any
    ``BaseException`` but an interpreter stop, as a check may) is shown as ``"error: TypeName:
    message"`` instead of failing the answer. The caller scrubs the result
    before showing it.
    """
    if not callable(value):
        return value
    try:
        return di.call_function(value)
    except BaseException as error:  # a section never fails the answer (but Ctrl-C stops it)
        if stops_the_interpreter(error):
            raise
        try:
            message = str(error)
        except BaseException:  # noqa: BLE001 - its __str__ is the section's code too
            message = "(its message could not be read)"
        return f"error: {type(error).__name__}: {bounded(message, 200)}"
