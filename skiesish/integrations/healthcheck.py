"""py-healthcheck's and Runscope's ``HealthCheck`` and ``EnvironmentDump``, on the health engine.

Switching is a change of import: ``from healthcheck import HealthCheck,
EnvironmentDump`` becomes ``from skiesish.integrations.flask import
HealthCheck, EnvironmentDump`` (or from this module, which needs no Flask:
``run()`` serves any framework, Tornado's included), and
``from healthcheck.security import safe_dict`` becomes ``from
skiesish.integrations.healthcheck import safe_dict``. The constructors,
methods, JSON and log lines stay. Underneath, the checks run on a
:class:`~skiesish.health.HealthEngine`: in parallel, each under a deadline
that needs no signal (so it works in any server thread), with results cached
for their TTL and concurrent requests sharing one run (single-flight), and
everything shown or logged passes through :mod:`skiesish.scrubbing`. Only
``init_app`` and EnvironmentDump's ``config`` section import Flask.

Example:
    >>> health = HealthCheck(error_timeout=2)
    >>> health.add_check(lambda: (True, "database ok"))
    >>> body, status, headers = health.run()
"""

from __future__ import annotations

import dataclasses
import datetime
import functools
import json
import logging
import socket
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..di import DI
from ..exceptions import ConfigurationError, HealthError
from ..health import Check, CheckResult, HealthEngine, Report
from ..health.engine import DEFAULT_FAILED_TTL, DEFAULT_SUCCESS_TTL, DEFAULT_TIMEOUT
from ..health.outcome import interpret_return
from ..scrubbing import scrub

if TYPE_CHECKING:
    import flask

from ..sections import section_value
from ._support import (
    JSON_HEADERS,
    adapted,
    check_flask_app,
    problem,
    read_error_timeout,
    read_ttl,
    unique_name,
)
from .environment_dump import EnvironmentDump, safe_dict

__all__ = ["EnvironmentDump", "HealthCheck", "json_failed_handler", "json_success_handler", "safe_dict"]

#: py-healthcheck's logger: ``logging.getLogger(__name__)`` in its ``healthcheck/healthcheck.py``
#: (py-healthcheck 1.10.1), which logs each check it runs, passing at DEBUG and failing at ERROR.
#: It is kept so that logging set up for ``healthcheck`` goes on working after the switch.
check_logger = logging.getLogger("healthcheck.healthcheck")

#: A check's result as py-healthcheck gives it to its handlers.
ResultDict = dict[str, Any]


#: ``handler(results, **sections)``: the body of the answer.
ResultsHandler = Callable[..., Any]


#: ``exception_handler(checker, error)`` -> ``(passed, output)``, as in py-healthcheck.
ExceptionHandler = Callable[[Callable[..., Any], Exception], Any]


#: The keys of HealthCheck's JSON, which a section may not take.
RESERVED_SECTION_NAMES = ("hostname", "status", "timestamp", "results")


#: Keywords Runscope's ``HealthCheck(app, path, **options)`` passed on to ``app.add_url_rule``;
#: here too they are route options, and every other extra keyword is a section (py-healthcheck's meaning).
ROUTE_OPTIONS = (
    "endpoint",
    "methods",
    "strict_slashes",
    "defaults",
    "subdomain",
    "provide_automatic_options",
)


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

    Each run of a check is logged as py-healthcheck logs it, on the
    ``healthcheck.healthcheck`` logger: ``Health check "name" passed`` at
    DEBUG, ``Health check "name" failed with output "..."`` at ERROR, the
    output scrubbed. A result reused from the cache is not logged again. The
    traceback of an exception that fails a check is the engine's to log.

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
        log_on_failure: Runscope's switch: false leaves failing runs unlogged
            (passing ones are still logged at DEBUG).
        **sections: extra top-level keys of the body (see :meth:`add_section`);
            the names in :data:`ROUTE_OPTIONS` go to ``app.add_url_rule`` instead.

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
        log_on_failure: bool = True,
        **sections: Any,
    ) -> None:
        if app is not None:
            check_flask_app(app, "HealthCheck")
        self.path = path
        self.success_ttl = read_ttl("success_ttl", success_ttl)
        self.failed_ttl = read_ttl("failed_ttl", failed_ttl)
        self.success_status = success_status
        self.failed_status = failed_status
        self.success_headers = dict(success_headers or JSON_HEADERS)
        self.failed_headers = dict(failed_headers or JSON_HEADERS)
        self.success_handler = success_handler
        self.failed_handler = failed_handler
        self.error_timeout = read_error_timeout(error_timeout)
        self.exception_handler = exception_handler
        self.log_on_failure = log_on_failure
        #: What ``init_app`` passes to ``app.add_url_rule`` (Runscope's ``**options``).
        self.route_options = {name: sections.pop(name) for name in ROUTE_OPTIONS if name in sections}
        self._di = DI()
        self._lock = threading.Lock()
        self._checks: tuple[Check, ...] = ()
        self._engine: HealthEngine | None = None
        self._sections: dict[str, Any] = {}
        self._logged: dict[str, datetime.datetime] = {}
        self._shown: dict[str, tuple[CheckResult, ResultDict]] = {}
        self._parts: _JSONParts | None = None
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
        name (two lambdas, say) is shown as ``"<lambda> (2)"``. Added after
        requests were served, it joins the running engine: the other checks
        keep their cached results, and a probe sees the checks before or
        after the change, never half of it.
        """
        check = func if isinstance(func, Check) else Check(func)
        on_error = functools.partial(self._on_error, check.func)
        wrapped = adapted(check.func, _read_checker_return, on_error)
        with self._lock:
            name = unique_name(check.label, {existing.label for existing in self._checks})
            added = dataclasses.replace(check, func=wrapped, name=name)
            self._checks = (*self._checks, added)
            if self._engine is not None:
                self._engine.add_check(added)
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

        Raises:
            ConfigurationError: ``app`` is not a Flask application.
        """
        check_flask_app(app, "HealthCheck")
        path = path or self.path
        if not path:
            return
        self.path = path
        options = dict(self.route_options)
        default_endpoint = "healthcheck" if "healthcheck" not in app.view_functions else f"healthcheck:{path}"
        endpoint = options.pop("endpoint", default_endpoint)
        app.add_url_rule(path, endpoint=endpoint, view_func=self._view, **options)

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
        return self._answer(engine.evaluate(None if check is None else [check]))

    def run_if_fresh(self, check: str | None = None) -> tuple[Any, int, dict[str, str]] | None:
        """:meth:`run`'s answer when it needs no check run and no code of yours; else ``None``.

        For event loops (the Tornado handler): when every result is fresh and
        neither sections nor custom handlers are configured, nothing can block,
        so the answer is made right there instead of on a worker thread.
        """
        engine = self._engine
        if (
            engine is None
            or self._sections
            or self.success_handler not in _BUILT_IN_HANDLERS
            or self.failed_handler not in _BUILT_IN_HANDLERS
            or (check is not None and check not in engine.names)
        ):
            return None
        report = engine.fresh_report(None if check is None else [check])
        return None if report is None else self._answer(report)

    def _answer(self, report: Report) -> tuple[Any, int, dict[str, str]]:
        """``(body, status, headers)`` for ``report``, as py-healthcheck's handlers make it."""
        handler = self.success_handler if report.passed else self.failed_handler
        if not self._sections and handler in (json_success_handler, json_failed_handler):
            body = self._json_parts(report).body()
            if report.passed:
                return body, self.success_status, dict(self.success_headers)
            return body, self.failed_status, dict(self.failed_headers)
        results = [self._shown_result(result) for result in report.results]
        sections = self._section_values() if self._sections else {}
        if report.passed:
            body = self.success_handler(results, **sections) if self.success_handler else "OK"
            return body, self.success_status, dict(self.success_headers)
        body = self.failed_handler(results, **sections) if self.failed_handler else "NOT OK"
        return body, self.failed_status, dict(self.failed_headers)

    def check(self) -> tuple[Any, int, dict[str, str]]:
        """Runscope's name for :meth:`run` (every check): ``(body, status, headers)``."""
        return self.run()

    def _view(self) -> Any:
        from flask import request  # imported by init_app already: a look-up in sys.modules

        check = None
        if request.query_string:  # parsing an empty query string still costs a MultiDict
            arguments = request.args
            check = arguments.get("check") if "check" in arguments else None  # get() raises when absent
        if check is not None and check not in self.names:
            return problem(404, f"no check is named {check!r}")
        return self.run(check)

    def _current_engine(self) -> HealthEngine:
        engine = self._engine
        if engine is not None:  # built once; add_check() replaces it under the lock
            return engine
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

    def _json_parts(self, report: Report) -> _JSONParts:
        """The default JSON body of ``report`` but for its timestamp, made once per report and host name.

        The host name is read again for each new report, and at least every
        :data:`HOSTNAME_REFRESH` seconds: ``socket.gethostname()`` lets go of
        the GIL, which on a server's busy threads costs a cached probe more
        than the rest of its answer.
        """
        parts = self._parts
        now = time.monotonic()
        if parts is not None and parts.report is report and now < parts.hostname_until:
            return parts
        hostname = socket.gethostname()
        if parts is None or parts.report is not report or parts.hostname != hostname:
            results = [self._shown_result(result) for result in report.results]
            parts = self._parts = _JSONParts(report, hostname, results)
        parts.hostname_until = now + HOSTNAME_REFRESH
        return parts

    def _shown_result(self, result: CheckResult) -> ResultDict:
        """``result`` as py-healthcheck shows it (a dict of its own for each caller); a new run is logged.

        A result reused from the cache is the same object from probe to probe,
        so its dict is made once; every caller gets a copy, which a handler
        may change freely.
        """
        kept = self._shown.get(result.name)
        if kept is not None and kept[0] is result:
            return dict(kept[1])
        shown = _result_dict(result)
        self._shown[result.name] = (result, shown)
        self._log_run(result, shown)
        return dict(shown)

    def _log_run(self, result: CheckResult, shown: ResultDict) -> None:
        """Log a result once, as py-healthcheck logs a run; results reused from the cache are not runs.

        Requests sharing one run (single-flight) and later cache hits carry the
        timestamp already logged, so a run is logged once whoever asked for it.
        """
        with self._lock:
            if self._logged.get(result.name) == result.timestamp:
                return
            self._logged[result.name] = result.timestamp
        if result.passed:
            check_logger.debug('Health check "%s" passed', result.name)
        elif self.log_on_failure:
            check_logger.error('Health check "%s" failed with output "%s"', result.name, shown["output"])

    def _section_values(self) -> dict[str, Any]:
        with self._lock:
            sections = dict(self._sections)
        values: dict[str, Any] = scrub(
            {name: section_value(self._di, value) for name, value in sections.items()}
        )
        return values

    def _on_error(self, checker: Callable[..., Any], error: Exception) -> Any:
        """Give ``error`` to the engine, which logs its traceback (scrubbed) when the check turns failing.

        Without an ``exception_handler`` the error goes on as it is; one that
        reads it as a failure raises ``HealthError(output)`` from it, so the
        engine still logs the cause; one that reads it as a pass logs nothing.
        """
        if self.exception_handler is None:
            raise error
        value = _read_checker_return(self.exception_handler(checker, error))
        passed, output = interpret_return(value)
        if passed:
            return value
        raise HealthError(output) from error


class _JSONParts:
    """py-healthcheck's JSON body of one report, around the one value that changes: the timestamp.

    ``json.dumps`` writes a float as ``float.__repr__`` does, so the body made
    here is byte for byte what :func:`json_success_handler` (or the failed
    one) would make at the same moment, for a fraction of the work.
    """

    __slots__ = ("after", "before", "hostname", "hostname_until", "report")

    def __init__(self, report: Report, hostname: str, results: list[ResultDict]) -> None:
        self.report = report
        self.hostname = hostname
        #: Until when (``time.monotonic()``) the host name is taken as read.
        self.hostname_until = 0.0
        status = "success" if report.passed else "failure"
        head = json.dumps({"hostname": hostname, "status": status})
        self.before = head[:-1] + ', "timestamp": '
        self.after = ', "results": ' + json.dumps(results) + "}"

    def body(self) -> str:
        return self.before + repr(time.time()) + self.after


#: Seconds the host name in the default JSON body is taken as read, while the report stays the same.
HOSTNAME_REFRESH = 1.0

#: The handlers that are no code of the user's: the answer can be made on an event loop.
_BUILT_IN_HANDLERS: tuple[ResultsHandler | None, ...] = (None, json_success_handler, json_failed_handler)


def _result_dict(result: CheckResult) -> ResultDict:
    """One result as py-healthcheck gives it: Unix times, seconds to 6 places.

    Its output was scrubbed when the check ran (every result's is).
    """
    return {
        "checker": result.name,
        "output": result.output,
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
