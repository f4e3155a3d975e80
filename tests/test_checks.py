"""The ready-made checks in skiesish.checks, against the real servers on this machine."""

from __future__ import annotations

import http.server
import threading

import pytest
from conftest import require_server, run_once, tcp_server

import skiesish
from skiesish import checks
from skiesish.di import DI
from skiesish.health import HealthEngine

REDIS_URL = "redis://127.0.0.1:6379/0"
AMQP_URL = "amqp://guest:guest@127.0.0.1:5672/%2F"


@pytest.fixture
def redis_url():
    """The local Redis server's URL; skips (or fails under CI) when it is down."""
    require_server("Redis", "127.0.0.1", 6379)
    return REDIS_URL


@pytest.fixture
def amqp_url():
    """The local RabbitMQ server's URL; skips (or fails under CI) when it is down."""
    require_server("RabbitMQ", "127.0.0.1", 5672)
    return AMQP_URL


@pytest.fixture
def http_server():
    """A local HTTP server answering /ok with 200, /missing with 404 and /moved with a 302."""

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self):
            status = {"/ok": 200, "/moved": 302}.get(self.path, 404)
            self.send_response(status)
            if status == 302:
                self.send_header("Location", "/ok")
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


def test_sql_on_the_applications_cursor_backend(tmp_path):
    """sql() pings the app's own cursor_backend by default."""
    backend = skiesish.backends.CursorBackend(
        skiesish.backends.Database(skiesish.backends.ConnectionDetails.from_url(f"sqlite:///{tmp_path}/a.db"))
    )
    result = run_once(checks.sql(), cursor_backend=backend)
    assert result.passed, result.output
    assert result.name == "cursor_backend"
    assert result.output.startswith("ping in ")


def test_sql_on_sqlite_url(tmp_path):
    """sql(url=sqlite:///...) runs SELECT 1 on that file."""
    result = run_once(checks.sql(url=f"sqlite:///{tmp_path}/b.db"))
    assert (result.passed, result.name) == (True, f"sql:sqlite:{tmp_path}/b.db")
    assert result.output.startswith("SELECT 1 in ")


def test_sql_on_postgresql(postgres_url):
    """sql(url=postgresql://...) passes against the real server."""
    assert run_once(checks.sql(url=postgres_url)).passed


def test_sql_on_mariadb(mysql_url):
    """sql(url=mysql://...) passes against the real server."""
    assert run_once(checks.sql(url=mysql_url)).passed


def test_sql_reuses_its_connection(postgres_url):
    """20 probes of sql(url=...) add at most one server-side connection, not one per probe."""
    import psycopg

    def connections(observer):
        return observer.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = 'test'").fetchone()[0]

    with psycopg.connect(postgres_url, autocommit=True) as observer:
        before = connections(observer)
        engine = HealthEngine([checks.sql(url=postgres_url)], DI(), success_ttl=None, failed_ttl=None)
        try:
            for _ in range(20):
                assert engine.evaluate().passed
            assert connections(observer) - before <= 1
        finally:
            engine.close()


@pytest.mark.parametrize(
    "url",
    ["postgresql://postgres@127.0.0.1:{port}/test", "mysql://root@127.0.0.1:{port}/test"],
)
def test_sql_fails_when_the_server_is_unreachable(url, free_port):
    """A closed port fails the check with the driver's error, not a hang."""
    result = run_once(checks.sql(url=url.format(port=free_port)))
    assert not result.passed
    assert "Error" in result.output


def test_redis_ping(redis_url):
    """redis(url=...) PINGs the real server."""
    result = run_once(checks.redis(url=redis_url))
    assert (result.passed, result.name) == (True, "redis:127.0.0.1:6379/0")
    assert result.output.startswith("PING in ")


def test_redis_reuses_the_applications_client(redis_url):
    """redis(service=...) pings the app's own client instead of making one."""
    import redis

    client = redis.Redis.from_url(redis_url)
    try:
        result = run_once(checks.redis(service="redis_client"), redis_client=client)
    finally:
        client.close()
    assert (result.passed, result.name) == (True, "redis_client")


def test_redis_fails_when_unreachable(free_port):
    """A closed Redis port fails the check."""
    result = run_once(checks.redis(url=f"redis://127.0.0.1:{free_port}/0"))
    assert not result.passed
    assert "ConnectionError" in result.output


def test_amqp_opens_and_closes_a_connection(amqp_url):
    """amqp(url) connects to the real RabbitMQ and closes again."""
    result = run_once(checks.amqp(amqp_url))
    assert (result.passed, result.name) == (True, "amqp:127.0.0.1:5672/%2F")


def test_amqp_with_wrong_credentials_fails(amqp_url):
    """A broker refusing the login fails the check."""
    assert not run_once(checks.amqp("amqp://guest:wrong@127.0.0.1:5672/%2F")).passed


def test_amqp_fails_when_unreachable(free_port):
    """A closed AMQP port fails the check."""
    assert not run_once(checks.amqp(f"amqp://guest:guest@127.0.0.1:{free_port}/%2F")).passed


def test_tcp_passes_on_an_open_port(postgres_url):
    """tcp() passes when something accepts connections."""
    assert run_once(checks.tcp("127.0.0.1", 5432)).passed


def test_tcp_fails_on_a_closed_port(free_port):
    """tcp() fails, naming the address, when nothing listens."""
    result = run_once(checks.tcp("127.0.0.1", free_port))
    assert not result.passed
    assert f"cannot connect to 127.0.0.1:{free_port}" in result.output


@pytest.mark.parametrize(("path", "expected"), [("/ok", True), ("/missing", False), ("/moved", True)])
def test_http_judges_the_status(http_server, path, expected):
    """http() passes on 2xx/3xx by default and fails on 4xx, without following redirects."""
    result = run_once(checks.http(http_server + path))
    assert result.passed is expected, result.output


def test_http_expect_status_is_honoured(http_server):
    """expect_status narrows what counts as healthy."""
    result = run_once(checks.http(http_server + "/moved", expect_status={200}))
    assert not result.passed
    assert "answered 302" in result.output


def test_http_fails_when_unreachable(free_port):
    """http() fails on a refused connection."""
    assert not run_once(checks.http(f"http://127.0.0.1:{free_port}/")).passed


@pytest.fixture
def not_http_server():
    """A TCP server that answers any request with a 12 kB line that is not an HTTP status line."""

    def answer(connection):
        connection.recv(65536)
        connection.sendall(b"X" * 12_000 + b"\r\n\r\n")

    with tcp_server(answer) as port:
        yield f"http://127.0.0.1:{port}/"


def test_http_reports_an_answer_that_is_not_http_briefly(not_http_server, caplog):
    """A dependency answering garbage fails the check briefly: no garbage quoted whole, no traceback."""
    result = run_once(checks.http(not_http_server))
    assert not result.passed
    assert "the answer is not HTTP (BadStatusLine" in result.output
    assert len(result.output) < 200
    assert not [record for record in caplog.records if record.exc_text]


def test_disk_thresholds(tmp_path):
    """disk() passes with a threshold of 0 and fails with one of 100%."""
    assert run_once(checks.disk(str(tmp_path), min_free=0)).passed
    result = run_once(checks.disk(str(tmp_path), min_free="100%"))
    assert not result.passed
    assert "at least 100% is required" in result.output


def test_disk_on_a_missing_path_fails(tmp_path):
    """disk() on a path that does not exist fails, naming it."""
    result = run_once(checks.disk(str(tmp_path / "nowhere")))
    assert not result.passed
    assert "nowhere" in result.output


def test_memory_thresholds():
    """memory() passes with a threshold of 0 bytes and fails with one no machine has."""
    assert run_once(checks.memory(min_available=0)).passed
    assert not run_once(checks.memory(min_available=2**62)).passed


def test_check_options_pass_through():
    """Ready-made checks take Check's own options: name, timeout, critical, tags."""
    check = checks.tcp("127.0.0.1", 5432, name="db port", critical=False, tags=("ready",))
    assert (check.name, check.critical, check.tags) == ("db port", False, ("ready",))


@pytest.mark.parametrize(
    ("build", "match"),
    [
        (lambda: checks.sql(url="oracle://x/y"), "unsupported scheme 'oracle'"),
        (lambda: checks.sql(url="postgresql:///nohost"), "needs a host and a database name"),
        (lambda: checks.sql(service="a", url="sqlite:///x"), r"give service= or url=, not both"),
        (lambda: checks.sql(timeout=0), r"sql\(\): timeout must be a number of seconds greater than 0"),
        (lambda: checks.http("http://x", timeout=float("inf")), r"http\(\): timeout must be .*got float inf"),
        (lambda: checks.tcp("x", 1, timeout=1e10), r"tcp\(\): timeout must be .*at most 600"),
        (lambda: checks.redis(), r"redis\(\): give url="),
        (lambda: checks.redis(url="http://x"), r"redis\(\): url must be redis://"),
        (lambda: checks.amqp("http://x"), r"amqp\(\): url must be amqp://"),
        (lambda: checks.http("ftp://x"), r"http\(\): url must be an http:// or https:// URL"),
        (lambda: checks.tcp("127.0.0.1", 70000), r"tcp\(\): port must be an int from 1 to 65535"),
        (lambda: checks.tcp("", 1), r"tcp\(\): host must be a non-empty string"),
        (lambda: checks.disk("/", min_free="lots"), r"expected a number of bytes .* or a percentage"),
        (lambda: checks.memory(min_available="150%"), r"expected a number of bytes .* or a percentage"),
        (lambda: checks.tcp("127.0.0.1", 1, colour="red"), r"unknown argument\(s\) colour"),
    ],
)
def test_bad_arguments_fail_at_build_time(build, match):
    """Bad URLs and arguments raise ConfigurationError when the check is made."""
    with pytest.raises(skiesish.ConfigurationError, match=match):
        build()


def test_a_missing_driver_names_the_extra(monkeypatch):
    """Without the driver installed, the error says which extra to install."""
    import sys

    monkeypatch.setitem(sys.modules, "pika", None)
    with pytest.raises(skiesish.exceptions.MissingExtraError, match=r"pip install 'skiesish\[amqp\]'"):
        checks.amqp(AMQP_URL)


# -- default names ------------------------------------------------------------------


SECRET_URLS = [
    lambda: checks.http("http://admin:S3cretPassw0rd@example.com/health"),
    lambda: checks.http("https://user:S3cretPassw0rd@example.com:8443/health?token=S3cretPassw0rd"),
    lambda: checks.http("https://example.com/status?api_key=S3cretPassw0rd"),
    lambda: checks.redis(url="redis://:S3cretPassw0rd@cache:6379/1"),
    lambda: checks.redis(url="redis://default:S3cretPassw0rd@cache:6379/0"),
    lambda: checks.sql(url="postgresql://app:S3cretPassw0rd@db:5432/app"),
    lambda: checks.sql(url="mysql://root:S3cretPassw0rd@127.0.0.1:3306/test"),
    lambda: checks.amqp("amqp://guest:S3cretPassw0rd@127.0.0.1:5672/%2F"),
]


@pytest.mark.parametrize("build", SECRET_URLS)
def test_default_names_never_hold_credentials(build):
    """A ready-made check's default name keeps the host, port and path of its URL, never its credentials."""
    assert "S3cretPassw0rd" not in build().name


def test_a_secret_in_a_url_path_is_left_out_of_the_name():
    """A webhook-style URL whose path is a token gets a name without the path."""
    check = checks.http("https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX")
    assert check.name == "http:hooks.slack.com"


@pytest.mark.parametrize(
    "pair",
    [
        (lambda: checks.redis(url="redis://cache:6379/0"), lambda: checks.redis(url="redis://cache:6379/1")),
        (lambda: checks.redis(url="redis://cache:6379"), lambda: checks.redis(url="redis://cache:6380")),
        (
            lambda: checks.sql(url="postgresql://app@db1:5432/app"),
            lambda: checks.sql(url="postgresql://app@db2:5432/app"),
        ),
        (
            lambda: checks.sql(url="postgresql://app@db:5432/orders"),
            lambda: checks.sql(url="postgresql://app@db:5432/users"),
        ),
        (lambda: checks.http("http://api/live"), lambda: checks.http("http://api/ready")),
        (lambda: checks.amqp("amqp://mq:5672/a"), lambda: checks.amqp("amqp://mq:5672/b")),
    ],
    ids=["redis-db", "redis-port", "sql-host", "sql-database", "http-path", "amqp-vhost"],
)
def test_two_checks_of_one_server_get_distinct_default_names(pair):
    """Checks on one host that differ by port, database, path or vhost do not collide."""
    first, second = pair
    assert first().name != second().name


def test_a_duplicate_name_error_suggests_name():
    """Two checks that still share a name fail at build time, and the error says how to tell them apart."""
    same = [checks.redis(url="redis://cache:6379/0"), checks.redis(url="redis://cache:6379/0")]
    with pytest.raises(
        skiesish.ConfigurationError, match=r"more than one check is named redis:cache:6379/0.*name="
    ):
        skiesish.Application(skiesish.handlers.HealthCheck, {"checks": same})
