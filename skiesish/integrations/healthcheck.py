"""py-healthcheck's and Runscope's ``HealthCheck`` and ``EnvironmentDump``, on the health engine.

Switching is a change of import: ``from healthcheck import HealthCheck,
EnvironmentDump`` becomes ``from skiesish.integrations.flask import
HealthCheck, EnvironmentDump`` (or from this module, which needs no Flask:
``run()`` serves any framework, Tornado's included). The constructors,
methods and JSON stay. Underneath, the checks run on a
:class:`~skiesish.health.HealthEngine`: in parallel, each under a deadline
that needs no signal (so it works in any server thread), with results cached
for their TTL and concurrent requests sharing one run (single-flight), and
everything shown passes through :mod:`skiesish.scrubbing`. Only
``HealthCheck.init_app`` imports Flask.

Example:
    >>> health = HealthCheck(error_timeout=2)
    >>> health.add_check(lambda: (True, "database ok"))
    >>> body, status, headers = health.run()
"""

from __future__ import annotations

import dataclasses
import functools
import json
import logging
import os
import platform
import socket
import sys
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import TYPE_CHECKING, Any

from ..di import DI
from ..exceptions import ConfigurationError
from ..handlers.environment_dump import process_section, python_section
from ..health import Check, CheckResult, HealthEngine
from ..health.engine import DEFAULT_FAILED_TTL, DEFAULT_SUCCESS_TTL, DEFAULT_TIMEOUT
from ..scrubbing import scrub, scrub_text

if TYPE_CHECKING:
    import flask

from ._support import (
    adapted,
    log_unexpected,
    problem,
    read_error_timeout,
    read_ttl,
    require_flask,
    section_value,
    unique_name,
)

__all__ = ["EnvironmentDump", "HealthCheck", "json_failed_handler", "json_success_handler"]

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
        wrapped = adapted(check.func, _read_checker_return, on_error)
        with self._lock:
            name = unique_name(check.label, {existing.label for existing in self._checks})
            self._checks = (*self._checks, dataclasses.replace(check, func=wrapped, name=name))
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
        require_flask()
        from flask import request

        check = request.args.get("check")
        if check is not None and check not in self.names:
            return problem(404, f"no check is named {check!r}")
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
            {name: section_value(self._di, value) for name, value in sections.items()}
        )
        return values

    def _on_error(self, checker: Callable[..., Any], error: Exception) -> Any:
        log_unexpected(checker, error)
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
        data = {name: section_value(self._di, value) for name, value in dict(self._sections).items()}
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
