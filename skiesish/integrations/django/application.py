"""The process's skiesish application, built from ``SKIESISH``: one engine, one cache, for every view.

The views, ``manage.py skiesish_check`` and anything else in the process
answer from the same :class:`~skiesish.contexts.Context`, built on first use
and rebuilt when a setting it reads changes (``override_settings`` in tests).
A probe listener, which answers in a process or on threads of its own, gets
an application of its own from :func:`probes_application`.
"""

from __future__ import annotations

import threading
from typing import Any

from django.conf import settings  # type: ignore[import-untyped]

from ...application import Application
from ...contexts import Context
from ...handlers.probes import Probes
from ...health import Report
from ...input_outputs import InputOutput
from ...responses import Response
from .config import probes_config, read_settings

__all__ = ["DjangoProbes", "health_context", "probes_application", "reset"]

#: The settings the application is built from: a change to any of them rebuilds it.
READ_SETTINGS = frozenset({"SKIESISH", "DATABASES", "CACHES", "STORAGES", "EMAIL_BACKEND", "EMAIL_TIMEOUT"})


class DjangoProbes(Probes):
    """The Probes handler, answering the full report (every check) at its root as well.

    ``/livez``, ``/readyz`` and ``/startupz`` behave as :class:`~skiesish.handlers.Probes`;
    ``/`` runs every check of the three lists once, as the HealthCheck
    handler does (``?check=`` and ``?exclude=`` select among them).
    """

    def handle(self, input_output: InputOutput) -> Response:
        """The full report's answer at the root (as the HealthCheck handler gives it); a probe's elsewhere."""
        if input_output.routing_path.strip("/") == "":
            return self.health.handle(input_output)
        return super().handle(input_output)

    def health_report(self, input_output: InputOutput) -> Report:
        """The full report at the root; the probe the path names elsewhere."""
        if input_output.routing_path.strip("/") == "":
            return self.health.health_report(input_output)
        return super().health_report(input_output)


def probes_application() -> Application:
    """The application ``SKIESISH`` describes: the three probes and the full report at ``/``.

    For a probe listener, which answers on a port and threads of its own
    (docs/probe-listener.md): ``skiesish.contexts.wsgi(probes_application())``.
    Call it once Django is set up (``django.setup()``, or from ``AppConfig.ready``).

    Raises:
        ConfigurationError: ``SKIESISH`` is wrong; the message names the key or the check.
    """
    config = probes_config(read_settings(getattr(settings, "SKIESISH", {})))
    return Application(DjangoProbes, config)


class _Current:
    """The context in use, built once however many threads ask for it first."""

    def __init__(self) -> None:
        self.lock = threading.Lock()
        self.context: Context | None = None


_current = _Current()


def health_context() -> Context:
    """The process's context, built from ``SKIESISH`` on first use; the views answer through it.

    Raises:
        ConfigurationError: ``SKIESISH`` is wrong (``manage.py check`` says so too).
    """
    context = _current.context
    if context is not None:
        return context
    with _current.lock:
        if _current.context is None:
            _current.context = Context(probes_application())
        return _current.context


def reset(**_: Any) -> None:
    """Close the context in use (its engine's threads and the checks' clients); the next use rebuilds it."""
    with _current.lock:
        context, _current.context = _current.context, None
    if context is not None:
        context.close()


def on_setting_changed(setting: str, **_: Any) -> None:
    """Django's ``setting_changed`` receiver: rebuild after a change to a setting the checks read."""
    if setting in READ_SETTINGS:
        reset()
