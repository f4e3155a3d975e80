"""The Django view answering skiesish's probes, synchronous under WSGI and asynchronous under ASGI."""

from __future__ import annotations

import asyncio
from typing import Any

from asgiref.sync import markcoroutinefunction
from django.http import HttpResponseNotAllowed  # type: ignore[import-untyped]

from ...exceptions import ConfigurationError
from .application import health_context
from .input_output import DjangoInputOutput, django_response

__all__ = ["PROBE_PATHS", "HealthView"]

#: Each probe a view may answer -> the path the Probes handler knows it by (``None``: the full report).
PROBE_PATHS: dict[str | None, str] = {None: "/", "live": "/livez", "ready": "/readyz", "startup": "/startupz"}
_METHODS = ("GET", "HEAD")


def _coroutine_mark() -> tuple[str, object]:
    """The attribute, and its value, by which asgiref (and so Django) marks a function as ``async``.

    Read from what :func:`asgiref.sync.markcoroutinefunction` sets, since the
    attribute differs between Python versions (``_is_coroutine`` before 3.12).
    """

    def sample() -> None:
        """Marked to see how marking is done."""

    before = set(vars(sample))
    markcoroutinefunction(sample)
    (name,) = set(vars(sample)) - before
    return name, vars(sample)[name]


_MARK_NAME, _MARK = _coroutine_mark()


def _is_on_event_loop() -> bool:
    """Whether this thread runs an event loop: Django's ASGI handler, not its WSGI one.

    ``asyncio._get_running_loop()`` (in ``asyncio.__all__``) answers without raising, which
    ``get_running_loop()`` does on every WSGI request, twice.
    """
    return asyncio._get_running_loop() is not None


class _EveryAlias:
    """``_non_atomic_requests`` naming every database: ``ATOMIC_REQUESTS`` never wraps a probe."""

    def __contains__(self, alias: object) -> bool:
        return True


class HealthView:
    """A Django view answering one probe of ``SKIESISH``, or the full report, on the process's engine.

    Under WSGI it is a plain view. Under ASGI Django sees an ``async`` view
    (it asks, and calls it, from the event loop's thread), which hands the
    answer to a worker thread (:func:`asyncio.to_thread`): a check that runs
    never blocks the event loop, and no thread is made per request, as Django
    would make one for a synchronous view. It answers ``GET`` and ``HEAD``
    (``405`` otherwise), is exempt from CSRF (it changes nothing) and from
    ``ATOMIC_REQUESTS`` (a probe opens no transaction).

    Args:
        probe: ``"live"``, ``"ready"``, ``"startup"``, or ``None`` for the full report.

    Example:
        >>> from django.urls import path
        >>> urlpatterns = [path("ping/ready", HealthView.as_view(probe="ready"))]
    """

    csrf_exempt = True

    def __init__(self, probe: str | None = None) -> None:
        if probe not in PROBE_PATHS:
            known = ", ".join(repr(name) for name in PROBE_PATHS)
            raise ConfigurationError(f"HealthView: probe must be one of {known}, got {probe!r:.80}")
        self.probe = probe
        self.path = PROBE_PATHS[probe]
        self._non_atomic_requests = _EveryAlias()
        #: As on the functions ``View.as_view()`` returns, for tools that introspect URLconfs.
        self.view_class = type(self)
        self.view_initkwargs = {"probe": probe}

    @classmethod
    def as_view(cls, probe: str | None = None) -> HealthView:
        """The view for ``probe`` (``None``: the full report), to put in a URLconf."""
        return cls(probe)

    def __call__(self, request: Any, *args: Any, **kwargs: Any) -> Any:
        """Answer ``request``: an ``HttpResponse``, or on an event loop a coroutine of one."""
        if _is_on_event_loop():
            return self.answer_async(request)
        return self.answer(request)

    def answer(self, request: Any) -> Any:
        """Answer ``request`` on this thread (checks without a fresh result run, within their deadlines)."""
        if request.method not in _METHODS:
            return HttpResponseNotAllowed(_METHODS)
        input_output = DjangoInputOutput(request, self.path)
        return django_response(health_context().respond(input_output), input_output.method == "HEAD")

    async def answer_async(self, request: Any) -> Any:
        """Answer ``request`` from a worker thread, leaving the event loop free."""
        if request.method not in _METHODS:
            return HttpResponseNotAllowed(_METHODS)
        input_output = DjangoInputOutput(request, self.path)
        response = await asyncio.to_thread(_respond, input_output)
        return django_response(response, input_output.method == "HEAD")

    def __repr__(self) -> str:
        return f"{type(self).__name__}(probe={self.probe!r})"


def _respond(input_output: DjangoInputOutput) -> Any:
    return health_context().respond(input_output)


def _mark_when_on_event_loop(view: HealthView) -> object:
    """The async mark on a thread running an event loop (Django's ASGI handler asks there), else ``None``."""
    return _MARK if _is_on_event_loop() else None


# Django asks whether a view is async through this mark, on the thread that then calls it.
setattr(HealthView, _MARK_NAME, property(_mark_when_on_event_loop))
