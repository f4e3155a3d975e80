"""ProbeLogFilter drops successful probe lines from gunicorn's and paste's real access logs."""

from __future__ import annotations

import logging
import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta
from http import HTTPStatus
from types import SimpleNamespace

import pytest
import webtest
from gunicorn.config import Config
from gunicorn.glogging import Logger as GunicornLogger
from paste.translogger import TransLogger

from skiesish.exceptions import ConfigurationError
from skiesish.logging import ProbeLogFilter, quiet_probe_logs

# Fixtures live here rather than in conftest.py: they only make sense beside gunicorn and paste.

TOUCHED_LOGGERS = ("gunicorn.access", "gunicorn.error", "wsgi")


@pytest.fixture(autouse=True)
def restored_loggers() -> Iterator[None]:
    """Puts the loggers gunicorn and paste reconfigure back as they were."""
    saved = {}
    for name in TOUCHED_LOGGERS:
        logger = logging.getLogger(name)
        saved[name] = (list(logger.handlers), list(logger.filters), logger.level, logger.propagate)
    yield
    for name, (handlers, filters, level, propagate) in saved.items():
        logger = logging.getLogger(name)
        for handler in logger.handlers:
            if handler not in handlers:
                handler.close()
        logger.handlers[:] = handlers
        logger.filters[:] = filters
        logger.setLevel(level)
        logger.propagate = propagate


def start_gunicorn_logger(**settings: object) -> GunicornLogger:
    """gunicorn's own logger, set up as the arbiter does, with the access log on stdout."""
    cfg = Config()
    cfg.set("accesslog", "-")
    for name, value in settings.items():
        cfg.set(name, value)
    return GunicornLogger(cfg)


def gunicorn_request(
    logger: GunicornLogger, path: str, status: int = 200, query: str = "", script_name: str = ""
) -> None:
    """Log one request the way gunicorn's workers do, through ``Logger.access``."""
    raw_uri = script_name + path + (f"?{query}" if query else "")
    environ = {
        "REQUEST_METHOD": "GET",
        "RAW_URI": raw_uri,
        "SCRIPT_NAME": script_name,
        "PATH_INFO": path,
        "QUERY_STRING": query,
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "10.1.2.3",
        "HTTP_USER_AGENT": "kube-probe/1.31",
    }
    response = SimpleNamespace(
        status=f"{status} {HTTPStatus(status).phrase}", sent=2, headers=[("Content-Type", "text/plain")]
    )
    request = SimpleNamespace(headers=[("USER-AGENT", "kube-probe/1.31")])
    logger.access(response, request, environ, timedelta(microseconds=1500))


def tiny_app(environ, start_response):
    """Answers every path with the status named by its X-Status header (200 by default)."""
    code = int(environ.get("HTTP_X_STATUS", "200"))
    start_response(
        f"{code} {HTTPStatus(code).phrase}", [("Content-Type", "text/plain"), ("Content-Length", "2")]
    )
    return [b"ok"]


def paste_client() -> webtest.TestApp:
    """The tiny app behind paste's TransLogger with its defaults (logger 'wsgi', console handler)."""
    return webtest.TestApp(TransLogger(tiny_app))


def logged_lines(output: str) -> list[str]:
    """The non-empty lines of captured output."""
    return [line for line in output.splitlines() if line]


class RecordList(logging.Handler):
    """Keeps the records that reach it."""

    def __init__(self) -> None:
        super().__init__()
        self.records: list[logging.LogRecord] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)


# gunicorn


def test_gunicorn_probe_dropped_when_installed_before_gunicorn_sets_up(capsys):
    """Installed before gunicorn builds its logger, the filter drops a 200 /healthz and keeps the rest."""
    quiet_probe_logs()
    logger = start_gunicorn_logger()
    gunicorn_request(logger, "/healthz")
    gunicorn_request(logger, "/orders")
    lines = logged_lines(capsys.readouterr().out)
    assert len(lines) == 1
    assert '"GET /orders HTTP/1.1" 200 2' in lines[0]


def test_gunicorn_probe_dropped_when_installed_after_gunicorn_sets_up(capsys):
    """Installed after gunicorn built its logger and handlers, the filter drops a 200 /healthz."""
    logger = start_gunicorn_logger()
    quiet_probe_logs()
    gunicorn_request(logger, "/healthz")
    gunicorn_request(logger, "/orders")
    lines = logged_lines(capsys.readouterr().out)
    assert len(lines) == 1
    assert '"GET /orders HTTP/1.1" 200 2' in lines[0]


def test_gunicorn_probe_still_dropped_after_a_reload(capsys):
    """gunicorn's setup() on reload replaces its handlers but the filter on the logger stays."""
    quiet_probe_logs()
    logger = start_gunicorn_logger()
    logger.setup(logger.cfg)
    gunicorn_request(logger, "/healthz")
    gunicorn_request(logger, "/orders")
    lines = logged_lines(capsys.readouterr().out)
    assert len(lines) == 1
    assert '"GET /orders HTTP/1.1"' in lines[0]


GUNICORN_WITH_LOGCONFIG_DICT = """
from datetime import timedelta
from types import SimpleNamespace

from gunicorn.config import Config
from gunicorn.glogging import Logger

from skiesish.logging import quiet_probe_logs

quiet_probe_logs()
cfg = Config()
cfg.set("logconfig_dict", {"loggers": {"gunicorn.access": {"handlers": ["console"], "propagate": False}}})
logger = Logger(cfg)
for path in ("/healthz", "/orders"):
    environ = {"REQUEST_METHOD": "GET", "RAW_URI": path, "PATH_INFO": path, "SERVER_PROTOCOL": "HTTP/1.1"}
    logger.access(SimpleNamespace(status="200 OK", sent=2, headers=[]), {}, environ, timedelta())
"""


def test_gunicorn_probe_dropped_with_a_logconfig_dict():
    """gunicorn's dictConfig replaces the access logger's handlers but keeps the filter."""
    # In a child process: dictConfig also reconfigures the root logger, which pytest's capture uses.
    result = subprocess.run(
        [sys.executable, "-c", GUNICORN_WITH_LOGCONFIG_DICT], capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    lines = logged_lines(result.stdout)
    assert len(lines) == 1
    assert '"GET /orders HTTP/1.1" 200 2' in lines[0]


def test_gunicorn_probe_dropped_whatever_the_access_log_format(capsys):
    """The filter reads gunicorn's atoms, so a format without the request line is filtered too."""
    quiet_probe_logs()
    logger = start_gunicorn_logger(access_log_format="path=%(U)s status=%(s)s")
    gunicorn_request(logger, "/healthz")
    gunicorn_request(logger, "/orders")
    assert logged_lines(capsys.readouterr().out) == ["path=/orders status=200"]


@pytest.mark.parametrize("status", [200, 204, 302])
def test_gunicorn_successful_probe_statuses_dropped(capsys, status):
    """A probe answered 2xx or 3xx leaves no line."""
    quiet_probe_logs()
    logger = start_gunicorn_logger(access_log_format="%(U)s %(s)s")
    gunicorn_request(logger, "/readyz", status=status)
    gunicorn_request(logger, "/orders", status=status)
    assert logged_lines(capsys.readouterr().out) == [f"/orders {status}"]


@pytest.mark.parametrize("status", [101, 404, 500, 503])
def test_gunicorn_failing_probe_kept(capsys, status):
    """A probe answered anything but 2xx or 3xx is still logged."""
    quiet_probe_logs()
    logger = start_gunicorn_logger(access_log_format="%(U)s %(s)s")
    gunicorn_request(logger, "/readyz", status=status)
    assert logged_lines(capsys.readouterr().out) == [f"/readyz {status}"]


def test_gunicorn_query_string_ignored(capsys):
    """/healthz?verbose is the /healthz probe."""
    quiet_probe_logs()
    logger = start_gunicorn_logger(access_log_format="%(U)s?%(q)s %(s)s")
    gunicorn_request(logger, "/healthz", query="verbose")
    gunicorn_request(logger, "/orders", query="verbose")
    assert logged_lines(capsys.readouterr().out) == ["/orders?verbose 200"]


def test_gunicorn_path_includes_script_name(capsys):
    """Under a SCRIPT_NAME the probe path is the full one the client asked for."""
    quiet_probe_logs(paths=["/api/healthz"])
    logger = start_gunicorn_logger(access_log_format="%(r)s %(s)s")
    gunicorn_request(logger, "/healthz", script_name="/api")
    gunicorn_request(logger, "/healthz")
    assert logged_lines(capsys.readouterr().out) == ["GET /healthz HTTP/1.1 200"]


# paste's TransLogger (as used in front of waitress)


def test_paste_probe_dropped_when_installed_before_translogger(capsys):
    """Installed before TransLogger sets up the 'wsgi' logger, the filter drops a 200 /healthz."""
    quiet_probe_logs()
    client = paste_client()
    client.get("/healthz")
    client.get("/orders")
    lines = logged_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert '"GET /orders HTTP/1.0" 200 2' in lines[0]


def test_paste_probe_dropped_when_installed_after_translogger(capsys):
    """Installed after TransLogger added its console handler, the filter drops a 200 /healthz."""
    client = paste_client()
    quiet_probe_logs()
    client.get("/healthz")
    client.get("/orders")
    lines = logged_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert '"GET /orders HTTP/1.0" 200 2' in lines[0]


def test_paste_failing_probe_kept(capsys):
    """A probe TransLogger saw answered 503 is still logged."""
    quiet_probe_logs()
    client = paste_client()
    client.get("/readyz", headers={"X-Status": "503"}, status=503)
    lines = logged_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert '"GET /readyz HTTP/1.0" 503 2' in lines[0]


def test_paste_query_string_ignored(capsys):
    """/livez?verbose=1 is the /livez probe, in TransLogger's line too."""
    quiet_probe_logs()
    client = paste_client()
    client.get("/livez", params={"verbose": "1"})
    client.get("/orders", params={"verbose": "1"})
    lines = logged_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert '"GET /orders?verbose=1 HTTP/1.0" 200' in lines[0]


def test_paste_prefix_path_matches_below_it_only(capsys):
    """'/health/*' drops /health/db but keeps /health and /healthz."""
    quiet_probe_logs(paths=["/health/*"])
    client = paste_client()
    for path in ("/health/db", "/health", "/healthz"):
        client.get(path)
    lines = logged_lines(capsys.readouterr().err)
    assert [line.split('"')[1] for line in lines] == ["GET /health HTTP/1.0", "GET /healthz HTTP/1.0"]


@pytest.mark.parametrize("header", ["X-Forwarded-For", "Referer", "User-Agent"])
def test_paste_forged_probe_line_in_a_header_kept(capsys, header):
    """A client writing a fake probe request line into a logged header cannot hide its request."""
    quiet_probe_logs()
    client = paste_client()
    client.get("/admin", headers={header: '1.2.3.4 "GET /healthz HTTP/1.1" 200 2 "-" "-"'})
    lines = logged_lines(capsys.readouterr().err)
    assert len(lines) == 1
    assert '"GET /admin HTTP/1.0" 200' in lines[0]


@pytest.mark.parametrize(
    ("message", "args"),
    [
        ('"GET /healthz HTTP/1.1" answered', ()),
        ("probe %s answered %d", ("/healthz", 200)),
        ("%(U)s", ({"U": "/healthz"},)),
        ("%(U)s %(s)s", ({"U": "/healthz", "s": "OK!"},)),
    ],
    ids=["no-status", "tuple-args", "atoms-without-status", "atoms-with-bad-status"],
)
def test_unparseable_records_pass(message, args):
    """A record the filter cannot read as an access-log line is logged untouched."""
    logger = logging.getLogger("wsgi")
    records = RecordList()
    logger.addHandler(records)
    logger.setLevel(logging.INFO)
    quiet_probe_logs()
    logger.info(message, *args)
    assert [record.msg for record in records.records] == [message]


# installing


def test_installing_twice_attaches_one_filter():
    """Calling quiet_probe_logs again (say, on a config reload) does not stack filters."""
    quiet_probe_logs()
    quiet_probe_logs()
    filters = logging.getLogger("gunicorn.access").filters
    assert sum(isinstance(f, ProbeLogFilter) for f in filters) == 1


def test_uninstall_lets_probe_lines_through(capsys):
    """After uninstall() a successful probe is logged again."""
    probe_filter = quiet_probe_logs()
    logger = start_gunicorn_logger(access_log_format="%(U)s %(s)s")
    probe_filter.uninstall()
    gunicorn_request(logger, "/healthz")
    assert logged_lines(capsys.readouterr().out) == ["/healthz 200"]


def test_install_accepts_a_logger_object():
    """install() takes loggers as well as names, e.g. a TransLogger given its own logger."""
    logger = logging.getLogger("wsgi")
    probe_filter = ProbeLogFilter().install([logger])
    assert probe_filter in logger.filters


@pytest.mark.parametrize(
    ("paths", "match"),
    [
        ([], "at least one probe path"),
        (["healthz"], "starting with '/'.*'healthz'"),
        (["/health*/db"], r"'\*' only at the end.*'/health\*/db'"),
    ],
    ids=["empty", "no-leading-slash", "inner-star"],
)
def test_malformed_paths_rejected(paths, match):
    """Paths are checked when the filter is made, and the error shows the one at fault."""
    with pytest.raises(ConfigurationError, match=match):
        ProbeLogFilter(paths)


def test_import_needs_neither_gunicorn_nor_paste_and_keeps_stdlib_logging():
    """skiesish.logging imports with gunicorn and paste missing, and stdlib logging stays itself."""
    script = (
        "import sys\n"
        "sys.modules['gunicorn'] = None\n"
        "sys.modules['paste'] = None\n"
        "import skiesish.logging, logging\n"
        "assert logging is not skiesish.logging, 'stdlib logging is shadowed'\n"
        "assert logging.__name__ == 'logging', 'stdlib logging is shadowed'\n"
        "skiesish.logging.quiet_probe_logs()\n"
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, check=False)
    assert result.returncode == 0, result.stderr
