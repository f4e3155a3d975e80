"""Request-scoped values, kept per request and never on the shared container.

A WSGI server calls one application from many threads at once, so the
current ``input_output`` lives in a context variable that each request sets
for itself.
"""

from __future__ import annotations

import contextlib
import contextvars
from collections.abc import Iterator
from typing import TYPE_CHECKING

from ..exceptions import DependencyError

if TYPE_CHECKING:
    from ..input_outputs import InputOutput

_current_input_output: contextvars.ContextVar[InputOutput] = contextvars.ContextVar("skiesish_input_output")


@contextlib.contextmanager
def request_scope(input_output: InputOutput) -> Iterator[None]:
    """Make ``input_output`` the one injected while the block runs."""
    token = set_input_output(input_output)
    try:
        yield
    finally:
        reset_input_output(token)


def set_input_output(input_output: InputOutput) -> contextvars.Token[InputOutput]:
    """Make ``input_output`` the one injected until :func:`reset_input_output` (the per-request hot path)."""
    return _current_input_output.set(input_output)


def reset_input_output(token: contextvars.Token[InputOutput]) -> None:
    """Undo a :func:`set_input_output`."""
    _current_input_output.reset(token)


def current_input_output() -> InputOutput:
    """Return the request being handled, or raise if there is none."""
    try:
        return _current_input_output.get()
    except LookupError:
        raise DependencyError("'input_output' is only available while a request is being handled") from None
