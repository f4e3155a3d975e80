"""Flask health endpoints on the health engine, with the APIs of py-healthcheck, Runscope and flask-healthz.

Switching is a change of import:

- ``from healthcheck import HealthCheck, EnvironmentDump`` (py-healthcheck, or
  Runscope's healthcheck) becomes
  ``from skiesish.integrations.flask import HealthCheck, EnvironmentDump``;
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
import functools
import importlib
import inspect
import json
import logging
import math
import os
import platform
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..di import DI
from ..exceptions import ConfigurationError, HealthError, MissingExtraError
from ..formats.problem_json import PROBLEM_JSON
from ..handlers.environment_dump import process_section, python_section
from ..health import Check, CheckResult, HealthEngine
from ..health.engine import DEFAULT_FAILED_TTL, DEFAULT_SUCCESS_TTL, DEFAULT_TIMEOUT
from ..logging import ProbeLogFilter, quiet_probe_logs
from ..scrubbing import scrub, scrub_text

if TYPE_CHECKING:
    import flask

    #: flask-healthz's blueprint: ``/<name>`` runs ``app.config["HEALTHZ"][name]`` (built on first use).
    healthz: flask.Blueprint

__all__ = [
    "EnvironmentDump",
    "HealthCheck",
    "HealthError",
    "Healthz",
    "healthz",
    "json_failed_handler",
    "json_success_handler",
]

logger = logging.getLogger("skiesish")

#: A check's result as py-healthcheck gives it to its handlers.
ResultDict = dict[str, Any]
#: ``handler(results, **sections)``: the body of the answer.
ResultsHandler = Callable[..., Any]
#: ``exception_handler(checker, error)`` -> ``(passed, output)``, as in py-healthcheck.
ExceptionHandler = Callable[[Callable[..., Any], Exception], Any]

#: The keys of HealthCheck's JSON, which a section may not take.
RESERVED_SECTION_NAMES = ("hostname", "status", "timestamp", "results")

JSON_HEADERS = {"Content-Type": "application/json"}


# -- py-healthcheck and Runscope's healthcheck -------------------------------


def json_success_handler(results: list[ResultDict], **sections: Any) -> str:
    """py-healthcheck's passing body: ``hostname``, ``status: "success"``, ``timestamp``, ``results``.

    Sections follow as top-level keys.
    """
    return _json_body("success", results, sections)


def json_failed_handler(results: list[ResultDict], **sections: Any) -> str:
    """py-healthcheck's failing body, the same with ``status: "failure"``."""
    return _json_body("failure", results, sections)


def _json_body(status: str, results: list[ResultDict], sections: Mapping[str, Any]) -> str:
    body = {"hostname": socket.gethostname(), "status": status, "timestamp": time.time(), "results": results}
    return json.dumps({**body, **sections})


class HealthCheck:
    """py-healthcheck's and Runscope's ``HealthCheck``, run on the health engine.

    A checker returns ``(passed, output)``; a bare ``True``/``None``/``False``
    also works, and an exception fails the check with its message. Results are
    reused for ``success_ttl``/``failed_ttl`` seconds, concurrent requests share
    one run, and a checker still running after ``error_timeout`` seconds is
    reported failed (``"timed out after 5 s"``) while it finishes on its own
    thread: no ``SIGALRM``, so the deadline holds in every server thread.

    Args:
        app: a Flask application to register the endpoint on (with ``path``).
        path: where the endpoint answers; without one no route is added and
            ``run()`` serves as a view (``app.add_url_rule(..., view_func=health.run)``).
        success_ttl: seconds a passing result is reused (``None`` or 0: never).
        failed_ttl: seconds a failing result is reused (``None`` or 0: never).
        success_status: the status code when every check passes.
        failed_status: the status code otherwise.
        success_headers: headers when passing (default ``Content-Type: application/json``).
        failed_headers: headers when failing (likewise).
        success_handler: ``handler(results, **sections)`` -> body when passing;
            ``None`` answers ``"OK"``.
        failed_handler: likewise when failing; ``None`` answers ``"NOT OK"``.
        error_timeout: each check's deadline in seconds. py-healthcheck's
            ``0`` (no deadline) and ``None`` mean the engine's 5 s: a check
            without a deadline would hang its probe.
        exception_handler: py-healthcheck's ``handler(checker, error)`` ->
            ``(passed, output)``; by default a check that raises fails with
            ``"TypeName: message"`` (a :class:`HealthError`'s message alone).
        checkers: checks to start with (callables or :class:`~skiesish.Check`).
        **sections: extra top-level keys of the body (see :meth:`add_section`).

    Example:
        >>> health = HealthCheck(success_ttl=30, version="1.4.2")
        >>> health.add_check(lambda: (True, "redis ok"))
        >>> body, status, headers = health.run()
    """

    def __init__(
        self,
        app: flask.Flask | None = None,
        path: str | None = None,
        *,
        success_ttl: float | None = DEFAULT_SUCCESS_TTL,
        failed_ttl: float | None = DEFAULT_FAILED_TTL,
        success_status: int = 200,
        failed_status: int = 500,
        success_headers: Mapping[str, str] | None = None,
        failed_headers: Mapping[str, str] | None = None,
        success_handler: ResultsHandler | None = json_success_handler,
        failed_handler: ResultsHandler | None = json_failed_handler,
        error_timeout: float | None = DEFAULT_TIMEOUT,
        exception_handler: ExceptionHandler | None = None,
        checkers: Iterable[Check | Callable[..., Any]] | None = None,
        **sections: Any,
    ) -> None:
        self.path = path
        self.success_ttl = _ttl("success_ttl", success_ttl)
        self.failed_ttl = _ttl("failed_ttl", failed_ttl)
        self.success_status = success_status
        self.failed_status = failed_status
        self.success_headers = dict(success_headers or JSON_HEADERS)
        self.failed_headers = dict(failed_headers or JSON_HEADERS)
        self.success_handler = success_handler
        self.failed_handler = failed_handler
        self.error_timeout = _error_timeout(error_timeout)
        self.exception_handler = exception_handler
        self._di = DI()
        self._lock = threading.Lock()
        self._checks: tuple[Check, ...] = ()
        self._engine: HealthEngine | None = None
        self._sections: dict[str, Any] = {}
        for checker in checkers or ():
            self.add_check(checker)
        for name, value in sections.items():
            self.add_section(name, value)
        if app is not None:
            self.init_app(app, path)

    @property
    def names(self) -> list[str]:
        """The checks' names as results show them, in the order added."""
        return [check.label for check in self._checks]

    def add_check(self, func: Check | Callable[..., Any]) -> Check | Callable[..., Any]:
        """Add a check, also after requests have been served; returns ``func``, so it decorates too.

        Its name is the function's ``__name__``; a second check of the same
        name (two lambdas, say) is shown as ``"<lambda> (2)"``.
        """
        check = func if isinstance(func, Check) else Check(func)
        on_error = functools.partial(self._on_error, check.func)
        adapted = _adapted(check.func, _read_checker_return, on_error)
        with self._lock:
            name = _unique_name(check.label, {existing.label for existing in self._checks})
            self._checks = (*self._checks, dataclasses.replace(check, func=adapted, name=name))
            self._engine = None  # the next run builds an engine with this check
        return func

    def add_section(self, name: str, value_or_fn: Any) -> None:
        """Add a top-level key to the body: a value, or a function called (with DI) at each run.

        Sections are scrubbed of secrets before they are shown; a function that
        raises shows ``"error: TypeName: message"``.

        Raises:
            ConfigurationError: the name is taken, or is one of the body's own keys.
        """
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"a section name must be a non-empty string, got {name!r}")
        if name in RESERVED_SECTION_NAMES:
            raise ConfigurationError(
                f"the section name {name!r} is one of the body's own keys {list(RESERVED_SECTION_NAMES)}; "
                "choose another"
            )
        with self._lock:
            if name in self._sections:
                raise ConfigurationError(f'The name "{name}" is already taken.')
            self._sections[name] = value_or_fn

    def init_app(self, app: flask.Flask, path: str | None = None) -> None:
        """Answer at ``path`` (or the ``path`` given to the constructor) on ``app``.

        The endpoint takes ``?check=<name>`` to run one check alone (404 for
        an unknown name). Without a path, nothing is registered.
        """
        path = path or self.path
        if not path:
            return
        self.path = path
        endpoint = "healthcheck" if "healthcheck" not in app.view_functions else f"healthcheck:{path}"
        app.add_url_rule(path, endpoint=endpoint, view_func=self._view)

    def run(self, check: str | None = None) -> tuple[Any, int, dict[str, str]]:
        """Run the checks (or the one named ``check``) and return ``(body, status, headers)``.

        The body is what the success or failed handler makes of the list of
        result dicts (``checker``, ``output``, ``passed``, ``timestamp``,
        ``expires``, ``response_time``) and the sections.

        Raises:
            LookupError: no check is named ``check``.
        """
        engine = self._current_engine()
        if check is not None and check not in engine.names:
            raise LookupError(f"no check is named {check!r}; the checks are {engine.names}")
        report = engine.evaluate(None if check is None else [check])
        results = [_result_dict(result) for result in report.results]
        sections = self._section_values()
        if report.passed:
            body = self.success_handler(results, **sections) if self.success_handler else "OK"
            return body, self.success_status, dict(self.success_headers)
        body = self.failed_handler(results, **sections) if self.failed_handler else "NOT OK"
        return body, self.failed_status, dict(self.failed_headers)

    def _view(self) -> Any:
        _require_flask()
        from flask import request

        check = request.args.get("check")
        if check is not None and check not in self.names:
            return _problem(404, f"no check is named {check!r}")
        return self.run(check)

    def _current_engine(self) -> HealthEngine:
        with self._lock:
            if self._engine is None:
                self._engine = HealthEngine(
                    self._checks,
                    self._di,
                    timeout=self.error_timeout,
                    success_ttl=self.success_ttl,
                    failed_ttl=self.failed_ttl,
                )
            return self._engine

    def _section_values(self) -> dict[str, Any]:
        with self._lock:
            sections = dict(self._sections)
        values: dict[str, Any] = scrub(
            {name: _section_value(self._di, value) for name, value in sections.items()}
        )
        return values

    def _on_error(self, checker: Callable[..., Any], error: Exception) -> Any:
        _log_unexpected(checker, error)
        if self.exception_handler is None:
            raise error
        return _read_checker_return(self.exception_handler(checker, error))


def _result_dict(result: CheckResult) -> ResultDict:
    """One result as py-healthcheck gives it: Unix times, seconds to 6 places, output scrubbed."""
    return {
        "checker": result.name,
        "output": scrub_text(result.output),
        "passed": result.passed,
        "timestamp": result.timestamp.timestamp(),
        "expires": result.expires.timestamp(),
        "response_time": round(result.response_time, 6),
    }


def _read_checker_return(value: Any) -> Any:
    """py-healthcheck's ``(passed, output)`` in the engine's terms.

    A truthy non-bool ``passed`` (``1``, a response) passes, as it did there;
    a non-string output is shown as JSON text, scrubbed.
    """
    if not (isinstance(value, tuple) and len(value) == 2):
        return value
    passed, output = value
    if output is None:
        output = ""
    elif not isinstance(output, str):
        output = json.dumps(scrub(output))
    return bool(passed), output


# -- EnvironmentDump -----------------------------------------------------------


class EnvironmentDump:
    """py-healthcheck's ``EnvironmentDump``, every secret masked by :func:`skiesish.scrubbing.scrub`.

    Sections ``os`` (``platform``, ``name``, ``uname``), ``python``
    (``version``, ``executable``, ``pythonpath``, ``version_info``,
    ``packages``) and ``process`` (``argv``, ``cwd``, ``user``, ``pid``,
    ``environ``), as py-healthcheck names them, plus custom sections. Serve it
    only where strangers cannot reach: scrubbing masks what it recognises, not
    a secret of no recognisable shape under an innocent name.

    Example:
        >>> dump = EnvironmentDump(include_process=False, application={"name": "shop"})
        >>> app.add_url_rule("/environment", "environment", view_func=dump.run)
    """

    def __init__(
        self,
        include_os: bool = True,
        include_python: bool = True,
        include_process: bool = True,
        **sections: Any,
    ) -> None:
        self._di = DI()
        self._sections: dict[str, Any] = {}
        if include_os:
            self._sections["os"] = _os_section
        if include_python:
            self._sections["python"] = _python_section
        if include_process:
            self._sections["process"] = _process_section
        for name, value in sections.items():
            self.add_section(name, value)

    def add_section(self, name: str, value_or_fn: Any) -> None:
        """Add a section: a value, or a function called (with DI) at each run.

        Raises:
            ConfigurationError: the name is taken (the built-in sections included).
        """
        if not isinstance(name, str) or not name:
            raise ConfigurationError(f"a section name must be a non-empty string, got {name!r}")
        if name in self._sections:
            raise ConfigurationError(f'The name "{name}" is already taken.')
        self._sections[name] = value_or_fn

    def run(self) -> tuple[str, int, dict[str, str]]:
        """Return ``(json_body, 200, headers)`` with every section, scrubbed."""
        data = {name: _section_value(self._di, value) for name, value in dict(self._sections).items()}
        return json.dumps(scrub(data)), 200, dict(JSON_HEADERS)


def _os_section() -> dict[str, Any]:
    return {"platform": sys.platform, "name": os.name, "uname": list(platform.uname())}


def _python_section() -> dict[str, Any]:
    python = python_section()
    return {
        "version": python["version"],
        "executable": python["executable"],
        "pythonpath": python["path"],
        "version_info": python["version_info"],
        "packages": {item["name"]: item["version"] for item in python["distributions"]},
    }


def _process_section() -> dict[str, Any]:
    process = process_section()
    return {
        "argv": process["argv"],
        "cwd": process["cwd"],
        "user": process["user"],
        "pid": process["pid"],
        "environ": process["environment"],
    }


# -- flask-healthz -------------------------------------------------------------

_HEALTHZ_KEY = "skiesish.healthz"
_HEALTHZ_LOCK = threading.Lock()


def __getattr__(name: str) -> Any:
    if name == "healthz":
        return _healthz_blueprint()
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


def _healthz_blueprint() -> flask.Blueprint:
    """:data:`healthz`, built on first use so that HealthCheck and EnvironmentDump need no Flask."""
    _require_flask()
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
    (or ``(False, message)``); anything else it returns passes.

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
        self.timeout = _error_timeout(timeout, key="timeout", allow_zero=False)
        self.success_ttl = _ttl("success_ttl", success_ttl)
        self.failed_ttl = _ttl("failed_ttl", failed_ttl)
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
    """One application's engine for its HEALTHZ checks, rebuilt when the configuration changes."""

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
            if self.engine is None or self.configured != configured:
                self.configured = dict(configured)
                self._build()
            assert self.engine is not None
            return self.engine, self.unimportable

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
                except Exception:  # a broken module may raise anything on import
                    logger.exception("the %s check %r could not be imported", name, value)
                    unimportable.add(name)
                    continue
            checks.append(Check(_adapted(function, _read_healthz_return, _reraise(function)), name=name))
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
        return _problem(
            500,
            "app.config['HEALTHZ'] must map check names to callables or dotted paths, "
            f"got {type(configured).__name__}",
        )
    if name not in configured:
        return _problem(404, f"The {name} check endpoint is not setup")
    engine, unimportable = _healthz_engine(current_app).current(configured)
    if name in unimportable:
        return _problem(500, f"The {name} check function could not be imported")
    report = engine.evaluate([name], label=name)
    if report.passed:
        return _problem(200, "OK")
    return _problem(503, scrub_text(report.results[0].output))


# Like flask-healthz: Flask-Talisman must not redirect probes to HTTPS.
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


def _reraise(checker: Callable[..., Any]) -> Callable[[Exception], Any]:
    def on_error(error: Exception) -> Any:
        _log_unexpected(checker, error)
        raise error

    return on_error


# -- shared --------------------------------------------------------------------


def _adapted(
    func: Callable[..., Any], on_return: Callable[[Any], Any], on_error: Callable[[Exception], Any]
) -> Callable[..., Any]:
    """``func`` with its return read by ``on_return`` and its exceptions by ``on_error``.

    The wrapper keeps ``func``'s signature (through ``__wrapped__``), so DI
    injects the same parameters, and works for ``async def`` checks too.
    """

    @functools.wraps(func)
    def adapted(*args: Any, **kwargs: Any) -> Any:
        try:
            value = func(*args, **kwargs)
        except Exception as error:  # noqa: BLE001 - a user's check may raise anything
            return on_error(error)
        if inspect.isawaitable(value):
            return _settle(value, on_return, on_error)
        return on_return(value)

    return adapted


async def _settle(
    awaitable: Any, on_return: Callable[[Any], Any], on_error: Callable[[Exception], Any]
) -> Any:
    try:
        value = await awaitable
    except Exception as error:  # noqa: BLE001 - a user's check may raise anything
        return on_error(error)
    return on_return(value)


def _log_unexpected(checker: Callable[..., Any], error: Exception) -> None:
    """Log a check's exception with its traceback, unless it is a deliberate :class:`HealthError`."""
    if not isinstance(error, HealthError):
        name = getattr(checker, "__name__", type(checker).__name__)
        logger.error("health check %r raised %s", name, type(error).__name__, exc_info=error)


def _section_value(di: DI, value: Any) -> Any:
    """A section's value; a function is called with its parameters injected."""
    if not callable(value):
        return value
    try:
        return di.call_function(value)
    except Exception as error:  # noqa: BLE001 - a section is informative only
        return f"error: {type(error).__name__}: {error}"


def _problem(status: int, title: str) -> flask.Response:
    """flask-healthz's answer: ``{"status": status, "title": title}`` as ``application/problem+json``."""
    from flask import current_app as app

    return app.response_class(
        app.json.dumps({"status": status, "title": title}), status=status, content_type=PROBLEM_JSON
    )


def _require_flask() -> None:
    """Import Flask, or say which extra installs it.

    Raises:
        MissingExtraError: naming ``pip install 'skiesish[flask]'``.
    """
    try:
        importlib.import_module("flask")
    except ImportError as error:
        raise MissingExtraError(
            "skiesish.integrations.flask's Flask endpoints need Flask: pip install 'skiesish[flask]'"
        ) from error


def _import_string(dotted_path: str) -> Any:
    """The object at ``dotted_path`` (``package.module.name`` or ``package.module:name``)."""
    from werkzeug.utils import import_string

    return import_string(dotted_path)


def _unique_name(name: str, taken: set[str]) -> str:
    if name not in taken:
        return name
    number = 2
    while f"{name} ({number})" in taken:
        number += 1
    return f"{name} ({number})"


def _ttl(key: str, value: float | None) -> float:
    """A TTL in seconds; ``None`` and 0 (py-healthcheck's "no caching") are 0."""
    if value is None:
        return 0.0
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not value >= 0:
        raise ConfigurationError(f"{key} must be a number of seconds >= 0 or None, got {value!r}")
    return float(value)


def _error_timeout(value: float | None, key: str = "error_timeout", allow_zero: bool = True) -> float:
    """A deadline in seconds; ``None`` and (where allowed) py-healthcheck's 0 give the engine's default."""
    if value is None or (allow_zero and value == 0 and not isinstance(value, bool)):
        return DEFAULT_TIMEOUT
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not math.isfinite(value) or value <= 0:
        raise ConfigurationError(f"{key} must be a number of seconds > 0, got {value!r}")
    return float(value)
