"""Flask health endpoints on the health engine, with the APIs of py-healthcheck, Runscope and flask-healthz.

Switching is a change of import:

- ``from healthcheck import HealthCheck, EnvironmentDump`` (py-healthcheck, or
  Runscope's healthcheck) becomes
  ``from skiesish.integrations.flask import HealthCheck, EnvironmentDump``,
  and ``from healthcheck.security import safe_dict`` becomes
  ``from skiesish.integrations.flask import safe_dict``;
- ``from flask_healthz import Healthz, HealthError, healthz`` becomes
  ``from skiesish.integrations.flask import Healthz, HealthError, healthz``.

The constructors, methods and JSON stay. Underneath, the checks run on a
:class:`~skiesish.health.HealthEngine`: in parallel, each under a deadline
that needs no signal (so it works in any server thread), with results cached
for their TTL and concurrent requests sharing one run (single-flight), and
everything shown passes through :mod:`skiesish.scrubbing`.

``HealthCheck`` and ``EnvironmentDump`` need no Flask (their ``run()``
serves any framework); ``init_app``, ``Healthz`` and ``healthz`` import it,
and say ``pip install 'skiesish[flask]'`` when it is missing.

Example:
    >>> app = flask.Flask(__name__)
    >>> health = HealthCheck(app, "/healthcheck", error_timeout=2)
    >>> health.add_check(lambda: (True, "database ok"))
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from ..di import DI
from ..exceptions import HealthError
from ..health import Check, HealthEngine
from ..health.engine import DEFAULT_FAILED_TTL, DEFAULT_SUCCESS_TTL, DEFAULT_TIMEOUT
from ..log import logger
from ..logging import ProbeLogFilter, quiet_probe_logs
from ..scrubbing import scrub_text

if TYPE_CHECKING:
    import flask

    #: flask-healthz's blueprint: ``/<name>`` runs ``app.config["HEALTHZ"][name]`` (built on first use).
    healthz: flask.Blueprint

from ._support import adapted, problem, read_error_timeout, read_ttl, require_flask
from .healthcheck import EnvironmentDump, HealthCheck, json_failed_handler, json_success_handler, safe_dict

__all__ = [
    "EnvironmentDump",
    "HealthCheck",
    "HealthError",
    "Healthz",
    "healthz",
    "json_failed_handler",
    "json_success_handler",
    "safe_dict",
]


_HEALTHZ_KEY = "skiesish.healthz"


_HEALTHZ_LOCK = threading.Lock()


def __getattr__(name: str) -> Any:
    if name == "healthz":
        return _healthz_blueprint()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _healthz_blueprint() -> flask.Blueprint:
    """:data:`healthz`, built on first use so that HealthCheck and EnvironmentDump need no Flask."""
    require_flask()
    from flask import Blueprint

    with _HEALTHZ_LOCK:
        if "healthz" not in globals():
            blueprint = Blueprint("healthz", __name__)
            blueprint.add_url_rule("/<name>", endpoint="check", view_func=_healthz_view)
            globals()["healthz"] = blueprint
    built: flask.Blueprint = globals()["healthz"]
    return built


class Healthz:
    """flask-healthz's extension: registers :data:`healthz` under ``prefix``.

    ``app.config["HEALTHZ"]`` maps a check name to a callable or a dotted
    path: ``{"live": "app.checks.liveness", "ready": readiness}``; each answers
    at ``<prefix>/<name>`` in ``application/problem+json``: 200 ``OK``, 503
    with the message of the :class:`HealthError` (or other exception) raised,
    404 for a name not configured, 500 for a dotted path that cannot be
    imported. A check fails only by raising, or by returning ``False``
    (or ``(False, message)``); anything else it returns passes. What a check
    raises goes on to the engine, which logs its traceback, scrubbed, when
    the check turns failing (a plain :class:`HealthError` gets none).

    Args:
        app: the application to register on now (else call :meth:`init_app`).
        prefix: where the checks answer.
        no_log: drop successful probes from gunicorn's and paste's access logs
            (see :func:`skiesish.logging.quiet_probe_logs`).
        timeout: each check's deadline in seconds.
        success_ttl: seconds a passing result is reused (``None``: never).
        failed_ttl: seconds a failing result is reused (``None``: never).

    Example:
        >>> app.config["HEALTHZ"] = {"live": lambda: None, "ready": "myapp.health.ready"}
        >>> Healthz(app, no_log=True)
    """

    def __init__(
        self,
        app: flask.Flask | None = None,
        prefix: str = "/healthz",
        no_log: bool = False,
        *,
        timeout: float = DEFAULT_TIMEOUT,
        success_ttl: float | None = DEFAULT_SUCCESS_TTL,
        failed_ttl: float | None = DEFAULT_FAILED_TTL,
    ) -> None:
        self.prefix = prefix
        self.no_log = no_log
        self.timeout = read_error_timeout(timeout, key="timeout", allow_zero=False)
        self.success_ttl = read_ttl("success_ttl", success_ttl)
        self.failed_ttl = read_ttl("failed_ttl", failed_ttl)
        #: The access-log filter installed by ``no_log``, to ``uninstall()`` if need be.
        self.log_filter: ProbeLogFilter | None = None
        if app is not None:
            self.init_app(app)

    def init_app(self, app: flask.Flask) -> None:
        """Register the blueprint on ``app`` under :attr:`prefix`, with this extension's settings."""
        blueprint = _healthz_blueprint()
        app.extensions[_HEALTHZ_KEY] = _HealthzEngine(self.timeout, self.success_ttl, self.failed_ttl)
        app.register_blueprint(blueprint, url_prefix=self.prefix)
        if self.no_log:
            self.log_filter = quiet_probe_logs(paths=(f"{self.prefix.rstrip('/')}/*",))


@dataclasses.dataclass
class _HealthzEngine:
    """One application's engine for its HEALTHZ checks, rebuilt when the configuration changes.

    The engine it replaces is closed, so that its threads end (the checks'
    own clients stay open: the new engine may run the same checks).
    """

    timeout: float = DEFAULT_TIMEOUT
    success_ttl: float = DEFAULT_SUCCESS_TTL
    failed_ttl: float = DEFAULT_FAILED_TTL
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    configured: dict[str, Any] | None = None
    engine: HealthEngine | None = None
    unimportable: frozenset[str] = frozenset()

    def current(self, configured: Mapping[str, Any]) -> tuple[HealthEngine, frozenset[str]]:
        """The engine for ``configured``, and the names whose dotted path failed to import."""
        with self.lock:
            replaced = None
            if self.engine is None or self.configured != configured:
                replaced = self.engine
                self.configured = dict(configured)
                self._build()
            engine, unimportable = self.engine, self.unimportable
        assert engine is not None
        if replaced is not None:
            replaced.close(close_checks=False)
        return engine, unimportable

    def _build(self) -> None:
        assert self.configured is not None
        checks: list[Check] = []
        unimportable: set[str] = set()
        for name, value in self.configured.items():
            if not isinstance(name, str) or not name:
                continue  # no URL reaches it
            function = value
            if not callable(value):
                try:
                    function = _import_string(value)
                except Exception:  # noqa: BLE001 - logged; a broken module may raise anything on import
                    logger.exception("the %s check %r could not be imported", name, value)
                    unimportable.add(name)
                    continue
            # An exception goes on to the engine, which logs its traceback (scrubbed) once per change.
            checks.append(Check(adapted(function, _read_healthz_return), name=name))
        self.engine = HealthEngine(
            checks, DI(), timeout=self.timeout, success_ttl=self.success_ttl, failed_ttl=self.failed_ttl
        )
        self.unimportable = frozenset(unimportable)


def _healthz_view(name: str) -> flask.Response:
    """Run the check ``name`` of ``app.config["HEALTHZ"]``; answer in ``application/problem+json``.

    The view of :data:`healthz` (endpoint ``healthz.check``, as in flask-healthz).
    """
    from flask import current_app

    configured = current_app.config.get("HEALTHZ") or {}
    if not isinstance(configured, Mapping):
        return problem(
            500,
            "app.config['HEALTHZ'] must map check names to callables or dotted paths, "
            f"got {type(configured).__name__}",
        )
    if name not in configured:
        return problem(404, f"The {name} check endpoint is not setup")
    engine, unimportable = _healthz_engine(current_app).current(configured)
    if name in unimportable:
        return problem(500, f"The {name} check function could not be imported")
    report = engine.evaluate([name], label=name)
    if report.passed:
        return problem(200, "OK")
    return problem(503, scrub_text(report.results[0].output))


#: Talisman (Flask-Talisman) must not redirect Kubernetes' plain-HTTP probes, as flask-healthz arranges.
_healthz_view.talisman_view_options = {"force_https": False}  # type: ignore[attr-defined]


def _healthz_engine(app: flask.Flask) -> _HealthzEngine:
    """The application's engine holder; the blueprint registered without Healthz gets defaults."""
    state = app.extensions.get(_HEALTHZ_KEY)
    if state is None:
        with _HEALTHZ_LOCK:
            state = app.extensions.setdefault(_HEALTHZ_KEY, _HealthzEngine())
    assert isinstance(state, _HealthzEngine)
    return state


def _read_healthz_return(value: Any) -> Any:
    """flask-healthz ignores what a check returns; here ``False`` and ``(False, message)`` still fail."""
    if value is False or (isinstance(value, tuple) and len(value) == 2 and value[0] is False):
        return value
    return True


def _import_string(dotted_path: str) -> Any:
    """The object at ``dotted_path`` (``package.module.name`` or ``package.module:name``)."""
    from werkzeug.utils import import_string

    return import_string(dotted_path)
