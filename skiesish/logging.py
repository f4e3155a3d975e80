"""Quiet access logs: drop the lines of successful health probes.

A kubelet or load balancer probing every few seconds buries the requests
that matter. :class:`ProbeLogFilter` drops an access-log line when its path is
a probe path *and* its status is 2xx or 3xx, so a failing probe is still
logged, and it passes through anything it cannot read. It understands:

- gunicorn's access log (logger ``gunicorn.access``): the record's ``args``
  hold gunicorn's atoms, so the path (``SCRIPT_NAME`` + ``U``) and status
  (``s``) are read whatever ``access_log_format`` says;
- paste's ``TransLogger`` (logger ``wsgi`` by default), as used with waitress:
  the record carries one ready-made Apache combined line, which is parsed.

The filter goes on the *loggers*, not on their handlers: gunicorn replaces its
handlers whenever it (re)configures logging, but never touches a logger's
filters, and a logger fetched by name before the server starts is the very
object the server fetches later. So it works installed before or after the
server sets up logging. Neither gunicorn nor paste is imported here.

Example:
    >>> from skiesish.logging import quiet_probe_logs
    >>> probe_filter = quiet_probe_logs(paths=("/healthz", "/readyz"))
    >>> probe_filter.uninstall()
"""

# This module is named ``logging`` inside the package; absolute imports (the
# only kind Python 3 has) keep ``import logging`` meaning the standard library,
# here and in every other skiesish module. It is imported under another name
# only so that reading this file is never ambiguous.
from __future__ import annotations

import logging as std_logging
import re
from collections.abc import Iterable, Mapping
from urllib.parse import unquote

from .exceptions import ConfigurationError

__all__ = ["DEFAULT_LOGGERS", "DEFAULT_PATHS", "ProbeLogFilter", "quiet_probe_logs"]

DEFAULT_PATHS: tuple[str, ...] = ("/healthz", "/livez", "/readyz", "/startupz")
"""The conventional Kubernetes probe paths."""

DEFAULT_LOGGERS: tuple[str, ...] = ("gunicorn.access", "wsgi")
"""gunicorn's access logger and paste ``TransLogger``'s default ``logger_name``."""

# The quoted request line and the status after it, as in an Apache combined
# line: `... "GET /healthz?verbose HTTP/1.1" 200 84 ...`. Tokens are \S+ so
# that a real request line, whatever odd bytes it holds, always matches.
_REQUEST_LINE = re.compile(r'"(?P<method>\S+) (?P<target>\S+) (?P<protocol>HTTP/\S+)" (?P<status>[0-9]{3}) ')
_STATUS_CODE = re.compile(r"[0-9]{3}")


class ProbeLogFilter(std_logging.Filter):
    """A logging filter that drops access-log lines of successful health probes.

    A record is dropped only when its request path equals one of ``paths``
    (the query string is ignored) and its status is 2xx or 3xx. A path ending
    in ``*`` matches every path that starts with what precedes the ``*``:
    ``"/health/*"`` matches ``/health/db`` but not ``/health``. Records that
    are not access-log lines, or that cannot be read for sure, pass.

    Two filters with the same paths compare equal, so installing a second one
    on a logger (say, when gunicorn re-reads its config file on reload) is a
    no-op rather than a pile-up.

    Args:
        paths: the probe paths, each starting with ``/``.

    Raises:
        ConfigurationError: ``paths`` is empty, or a path does not start with
            ``/``, or has a ``*`` anywhere but at its end.

    Example:
        >>> import logging
        >>> probe_filter = ProbeLogFilter(paths=["/healthz", "/health/*"])
        >>> logging.getLogger("gunicorn.access").addFilter(probe_filter)
        >>> logging.getLogger("gunicorn.access").removeFilter(probe_filter)
    """

    def __init__(self, paths: Iterable[str] = DEFAULT_PATHS) -> None:
        super().__init__()
        self._paths = _validated_paths(paths)
        self._exact = frozenset(path for path in self._paths if not path.endswith("*"))
        self._prefixes = tuple(path[:-1] for path in self._paths if path.endswith("*"))

    @property
    def paths(self) -> tuple[str, ...]:
        """The probe paths, as given."""
        return self._paths

    def filter(self, record: std_logging.LogRecord) -> bool:
        """Whether ``record`` should be logged: false only for a successful probe.

        Args:
            record: a record on its way through a logger.

        Returns:
            ``False`` when the record is an access-log line for a probe path
            with a 2xx or 3xx status, ``True`` otherwise.
        """
        request = _gunicorn_request(record)
        if request is None:
            request = _combined_line_request(record)
        if request is None:
            return True
        path, status = request
        return not (200 <= status < 400 and self._is_probe_path(path))

    def install(self, loggers: Iterable[str | std_logging.Logger] = DEFAULT_LOGGERS) -> ProbeLogFilter:
        """Attach this filter to each of ``loggers`` (names or loggers) and return it.

        A name that no logger has yet creates the logger, which the server
        then finds, filter and all. Installing twice is harmless.

        Args:
            loggers: logger names, or loggers, to filter.

        Returns:
            This filter, so that ``ProbeLogFilter().install()`` can be kept.
        """
        for logger in _loggers(loggers):
            logger.addFilter(self)
        return self

    def uninstall(self, loggers: Iterable[str | std_logging.Logger] = DEFAULT_LOGGERS) -> None:
        """Detach this filter (or an equal one) from each of ``loggers``.

        Args:
            loggers: logger names, or loggers, to stop filtering.
        """
        for logger in _loggers(loggers):
            logger.removeFilter(self)

    def _is_probe_path(self, path: str) -> bool:
        return path in self._exact or path.startswith(self._prefixes)

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, ProbeLogFilter):
            return NotImplemented
        return self._exact == other._exact and set(self._prefixes) == set(other._prefixes)

    def __hash__(self) -> int:
        return hash((self._exact, frozenset(self._prefixes)))

    def __repr__(self) -> str:
        return f"ProbeLogFilter(paths={self._paths!r})"


def quiet_probe_logs(
    paths: Iterable[str] = DEFAULT_PATHS,
    loggers: Iterable[str | std_logging.Logger] = DEFAULT_LOGGERS,
) -> ProbeLogFilter:
    """Drop successful probe lines from gunicorn's and paste's access logs.

    Call it anywhere before the first request: in ``gunicorn.conf.py``, in a
    server hook, or at import of the application module. The filter goes on
    the named loggers, so it works whether or not the server has set up its
    logging yet.

    Args:
        paths: the probe paths (a trailing ``*`` matches by prefix).
        loggers: the access loggers to filter: gunicorn's ``gunicorn.access``
            and ``TransLogger``'s ``wsgi`` unless told otherwise.

    Returns:
        The installed :class:`ProbeLogFilter`; ``uninstall()`` it to undo.

    Raises:
        ConfigurationError: a path is malformed (see :class:`ProbeLogFilter`).

    Example:
        >>> probe_filter = quiet_probe_logs(paths=("/healthz",), loggers=("gunicorn.access",))
        >>> probe_filter.uninstall(["gunicorn.access"])
    """
    return ProbeLogFilter(paths).install(loggers)


def _validated_paths(paths: Iterable[str]) -> tuple[str, ...]:
    # A lone string is one path, not a sequence of one-character paths.
    given = (paths,) if isinstance(paths, str) else tuple(paths)
    if not given:
        raise ConfigurationError(
            "ProbeLogFilter needs at least one probe path, such as '/healthz'; it was given none."
        )
    for path in given:
        if not isinstance(path, str) or not path.startswith("/"):
            raise ConfigurationError(
                f"ProbeLogFilter paths must be strings starting with '/', such as '/healthz'; got {path!r}."
            )
        if "*" in path[:-1]:
            raise ConfigurationError(
                f"ProbeLogFilter allows '*' only at the end of a path, as in '/health/*'; got {path!r}."
            )
    return given


def _loggers(loggers: Iterable[str | std_logging.Logger]) -> list[std_logging.Logger]:
    named = (loggers,) if isinstance(loggers, str) else loggers
    return [std_logging.getLogger(logger) if isinstance(logger, str) else logger for logger in named]


def _gunicorn_request(record: std_logging.LogRecord) -> tuple[str, int] | None:
    """Path and status from gunicorn's atoms, which it passes as the record's ``args``."""
    atoms = record.args
    if not isinstance(atoms, Mapping):
        return None
    # dict.get, not [] : gunicorn's SafeAtoms answers "-" for a missing key.
    path_info = atoms.get("U")
    script_name = atoms.get("{script_name}e") or ""
    status = _status_code(atoms.get("s"))
    if not isinstance(path_info, str) or not isinstance(script_name, str) or status is None:
        return None
    return script_name + path_info, status


def _combined_line_request(record: std_logging.LogRecord) -> tuple[str, int] | None:
    """Path and status from a ready-made Apache combined line, as paste's TransLogger logs."""
    if record.args or not isinstance(record.msg, str):
        return None
    # X-Forwarded-For (the first field), Referer and User-Agent are the
    # client's to write; a line with a second request-shaped part may be a
    # forgery meant to hide a request, so only a line with exactly one is read.
    found = list(_REQUEST_LINE.finditer(record.msg))
    if len(found) != 1:
        return None
    target = found[0].group("target")
    return unquote(target.partition("?")[0]), int(found[0].group("status"))


def _status_code(status: object) -> int | None:
    # gunicorn gives the code as a string ("200") or, from some workers, an int.
    if isinstance(status, int) and not isinstance(status, bool):
        return status if 100 <= status <= 999 else None
    if isinstance(status, str) and _STATUS_CODE.fullmatch(status):
        return int(status)
    return None
