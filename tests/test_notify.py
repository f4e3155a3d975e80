"""skiesish.notify.Webhook: notices of health changes POSTed to a real HTTP receiver on loopback."""

from __future__ import annotations

import collections
import datetime
import hashlib
import hmac
import json
import logging
import socket
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from conftest import ListenedService

import skiesish
from skiesish.exceptions import ConfigurationError
from skiesish.handlers import HealthCheck
from skiesish.health import CheckResult, Report
from skiesish.notify import SIGNATURE_HEADER, TIMESTAMP_HEADER, Webhook

WAIT = 60  # a hang guard for waits that end as soon as their condition holds, never a speed target


class Receiver:
    """An HTTP server on loopback recording every POST, answering each as its plan says.

    The plan is a queue of behaviours for the next requests: ``"ok"`` (200, the
    default once the plan is empty), ``"fail"`` (500), ``"reject"`` (400) or
    ``"hang"`` (held until :attr:`release` is set, then 200).
    """

    def __init__(self) -> None:
        self.plan: collections.deque[str] = collections.deque()
        self.attempts: list[tuple[str, dict[str, str], bytes]] = []
        self.answered: list[bytes] = []
        self.release = threading.Event()
        self.hanging = threading.Event()
        self.lock = threading.Lock()
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                with receiver.lock:
                    behaviour = receiver.plan.popleft() if receiver.plan else "ok"
                    receiver.attempts.append((behaviour, dict(self.headers.items()), body))
                if behaviour == "hang":
                    receiver.hanging.set()
                    receiver.release.wait()
                status = {"ok": 200, "hang": 200, "fail": 500, "reject": 400}[behaviour]
                if status == 200:
                    with receiver.lock:
                        receiver.answered.append(body)
                try:
                    self.send_response(status)
                    self.send_header("Content-Length", "2")
                    self.end_headers()
                    self.wfile.write(b"no" if status >= 400 else b"ok")
                except OSError:
                    pass  # the client gave up waiting (a hang past its timeout)

            def log_message(self, format: str, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/health"
        self.thread = threading.Thread(target=self.server.serve_forever, args=(0.02,), daemon=True)
        self.thread.start()

    @property
    def notices(self) -> list[dict]:
        """The bodies of the requests answered 200, parsed, in the order they were answered."""
        with self.lock:
            return [json.loads(body) for body in self.answered]

    def statuses(self) -> list[tuple[str, str | None, bool]]:
        """Each notice received as (status, previous_status, recovery)."""
        return [(notice["status"], notice["previous_status"], notice["recovery"]) for notice in self.notices]

    def close(self) -> None:
        self.release.set()
        self.server.shutdown()
        self.server.server_close()


@pytest.fixture
def receiver():
    """A recording HTTP receiver on loopback."""
    server = Receiver()
    yield server
    server.close()


@pytest.fixture
def webhooks():
    """Make webhooks, all closed after the test."""
    made: list[Webhook] = []

    def make(url: str, **options) -> Webhook:
        webhook = Webhook(url, **options)
        made.append(webhook)
        return webhook

    yield make
    for webhook in made:
        webhook.close()


class FakeClock:
    """A monotonic clock that moves only when told (for min_interval)."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch):
    """The clock the webhook measures its gap by, moved by the test."""
    fake = FakeClock()
    monkeypatch.setattr("skiesish.notify._clock", fake)
    return fake


def settle(service: ListenedService) -> None:
    """Wait until the service's webhook has sent (or given up on) every notice due."""
    assert service.listener.flush(WAIT)


def test_a_failure_and_its_recovery_are_sent_in_order(receiver, webhooks, service_for):
    """A healthy start sends nothing; a failure sends a notice naming the check; passing again, a recovery."""
    service = service_for(webhooks(receiver.url, min_interval=0))
    assert service.probe() == 200
    settle(service)
    assert receiver.notices == []
    assert service.probe(database=False) == 500
    settle(service)
    assert service.probe() == 200
    settle(service)
    failure, recovery = receiver.notices
    assert failure["status"] == "fail"
    assert failure["previous_status"] == "pass"
    assert failure["recovery"] is False
    assert failure["source"] == "skiesish"
    assert failure["text"] == "health is now fail (was pass): database fail (connection refused)"
    [check] = failure["checks"]
    assert {key: check[key] for key in ("name", "status", "critical", "output")} == {
        "name": "database",
        "status": "fail",
        "critical": True,
        "output": "connection refused",
    }
    assert set(check) == {"name", "status", "critical", "output", "response_time", "timestamp", "since"}
    assert [(change["previous_status"], change["status"]) for change in failure["changes"]] == [
        ("pass", "fail")
    ]
    assert failure["changes_dropped"] == 0
    assert datetime.datetime.fromisoformat(failure["timestamp"].replace("Z", "+00:00")).tzinfo is not None
    assert (recovery["status"], recovery["previous_status"], recovery["recovery"]) == ("pass", "fail", True)
    assert recovery["checks"] == []
    assert recovery["text"] == "health is back to pass (was fail)"


def test_warn_is_told_apart_from_fail(receiver, webhooks, service_for):
    """A non-critical check failing is a warn notice; a critical one failing too is fail, listing both."""
    service = service_for(webhooks(receiver.url, min_interval=0, service="billing"))
    service.probe()
    service.probe(cache=False)
    settle(service)
    service.probe(database=False, cache=False)
    settle(service)
    service.probe()
    settle(service)
    assert receiver.statuses() == [("warn", "pass", False), ("fail", "warn", False), ("pass", "fail", True)]
    warn, fail, _ = receiver.notices
    assert [(check["name"], check["status"], check["critical"]) for check in warn["checks"]] == [
        ("cache", "warn", False)
    ]
    assert [(check["name"], check["status"]) for check in fail["checks"]] == [
        ("database", "fail"),
        ("cache", "warn"),
    ]
    assert warn["service"] == "billing"
    assert warn["text"] == "billing is now warn (was pass): cache warn (cache is full)"


def test_a_failing_start_is_sent_without_a_previous_status(receiver, webhooks, service_for):
    """When the very first evaluation fails, the notice says so, with no status before it."""
    service = service_for(webhooks(receiver.url, min_interval=0))
    service.probe(database=False)
    settle(service)
    assert receiver.statuses() == [("fail", None, False)]


def test_unknown_at_start_is_not_news(receiver, webhooks):
    """Unknown before the first results, then pass, sends nothing; trouble after that is sent from pass."""
    webhook = webhooks(receiver.url, min_interval=0)
    now = datetime.datetime.now(datetime.timezone.utc)
    webhook.on_change(Report((CheckResult("database", False, "no result yet", 0.0, now),), is_complete=False))
    webhook.on_change(Report((CheckResult("database", True, "", 0.01, now),)))
    assert webhook.flush(WAIT)
    assert receiver.attempts == []
    webhook.on_change(Report((CheckResult("database", False, "stale", 0.0, now),), is_complete=False))
    assert webhook.flush(WAIT)
    assert receiver.statuses() == [("unknown", "pass", False)]


def test_changes_within_min_interval_are_coalesced_into_the_next_notice(
    receiver, webhooks, service_for, clock
):
    """Trouble within the gap after a notice of trouble is held, then sent once, with every change held."""
    service = service_for(webhooks(receiver.url, min_interval=60))
    service.probe()
    service.probe(database=False)  # sent: no notice of trouble before it
    settle(service)
    clock.now += 1
    service.probe()  # a recovery: sent at once
    settle(service)
    clock.now += 1
    service.probe(database=False)  # within 60 s of the failure notice: held
    clock.now += 1
    service.probe(database=True, cache=False)  # held too
    settle(service)
    assert receiver.statuses() == [("fail", "pass", False), ("pass", "fail", True)]
    clock.now += 57  # the gap ends
    settle(service)
    assert receiver.statuses() == [("fail", "pass", False), ("pass", "fail", True), ("warn", "pass", False)]
    coalesced = receiver.notices[-1]
    assert [(change["previous_status"], change["status"]) for change in coalesced["changes"]] == [
        ("pass", "fail"),
        ("fail", "warn"),
    ]
    assert [check["name"] for check in coalesced["checks"]] == ["cache"]


def test_trouble_that_came_and_went_within_the_gap_is_not_lost(receiver, webhooks, service_for, clock):
    """A failure and its end, both within the gap, still reach the receiver when the gap ends."""
    service = service_for(webhooks(receiver.url, min_interval=60))
    service.probe()
    service.probe(database=False)
    service.probe()
    settle(service)
    clock.now += 10
    service.probe(database=False)
    service.probe()
    settle(service)
    assert len(receiver.notices) == 2
    clock.now += 50
    settle(service)
    assert receiver.statuses() == [("fail", "pass", False), ("pass", "fail", True), ("pass", "pass", False)]
    assert [(change["previous_status"], change["status"]) for change in receiver.notices[-1]["changes"]] == [
        ("pass", "fail"),
        ("fail", "pass"),
    ]


def test_a_recovery_is_never_held_by_the_gap(receiver, webhooks, service_for, clock):
    """Back to pass within the gap is sent at once, carrying the changes held before it."""
    service = service_for(webhooks(receiver.url, min_interval=60))
    service.probe()
    service.probe(database=False)
    settle(service)
    clock.now += 1
    service.probe(database=True, cache=False)  # held
    clock.now += 1
    service.probe()
    settle(service)
    assert receiver.statuses() == [("fail", "pass", False), ("pass", "fail", True)]
    assert [(change["previous_status"], change["status"]) for change in receiver.notices[-1]["changes"]] == [
        ("fail", "warn"),
        ("warn", "pass"),
    ]
    clock.now += 60
    settle(service)
    assert len(receiver.notices) == 2  # nothing was left held


def test_the_signature_verifies_with_the_shared_secret(receiver, webhooks, service_for):
    """The HMAC-SHA256 of "<timestamp>.<body>" matches the signature header; extra headers arrive as given."""
    secret = "correct horse battery staple"
    service = service_for(
        webhooks(receiver.url, min_interval=0, secret=secret, headers={"X-Team": "payments"})
    )
    service.probe(database=False)
    settle(service)
    [(_, headers, body)] = receiver.attempts
    timestamp = headers[TIMESTAMP_HEADER]
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(headers[SIGNATURE_HEADER], f"sha256={expected}")
    tampered = hmac.new(secret.encode(), f"{timestamp}.".encode() + body + b" ", hashlib.sha256).hexdigest()
    assert headers[SIGNATURE_HEADER] != f"sha256={tampered}"
    assert headers["X-Team"] == "payments"
    assert headers["Content-Type"] == "application/json"
    assert headers["X-Skiesish-Delivery"] == json.loads(body)["id"]


def test_without_a_secret_nothing_is_signed(receiver, webhooks, service_for):
    """No secret, no signature header (a timestamp is still sent)."""
    service = service_for(webhooks(receiver.url, min_interval=0))
    service.probe(database=False)
    settle(service)
    [(_, headers, _)] = receiver.attempts
    assert SIGNATURE_HEADER not in headers
    assert TIMESTAMP_HEADER in headers


def test_a_failing_receiver_is_tried_again_until_it_takes_the_notice(receiver, webhooks, service_for):
    """Two 500s, then a 200: three attempts of the same notice, and it is received once."""
    receiver.plan.extend(["fail", "fail"])
    service = service_for(webhooks(receiver.url, min_interval=0, backoff=0.001))
    service.probe(database=False)
    settle(service)
    assert [behaviour for behaviour, _, _ in receiver.attempts] == ["fail", "fail", "ok"]
    assert len({headers["X-Skiesish-Delivery"] for _, headers, _ in receiver.attempts}) == 1
    assert len({body for _, _, body in receiver.attempts}) == 1
    assert receiver.statuses() == [("fail", None, False)]


def test_retries_stop_after_the_bound(receiver, webhooks, service_for, caplog):
    """A receiver that always fails gets exactly ``attempts`` tries; the next notice is still sent."""
    receiver.plan.extend(["fail"] * 5)
    service = service_for(webhooks(receiver.url, min_interval=0, attempts=3, backoff=0.001))
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        service.probe(database=False)
        settle(service)
    assert [behaviour for behaviour, _, _ in receiver.attempts] == ["fail"] * 3
    assert "gave up on the fail notice after 3 of 3 attempts: answered 500" in caplog.text
    receiver.plan.clear()
    service.probe()
    settle(service)
    assert receiver.statuses() == [("pass", "fail", True)]


def test_a_client_error_is_not_tried_again(receiver, webhooks, service_for, caplog):
    """A 400 means the receiver will never take this notice: one attempt, logged."""
    receiver.plan.append("reject")
    service = service_for(webhooks(receiver.url, min_interval=0, backoff=0.001))
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        service.probe(database=False)
        settle(service)
    assert [behaviour for behaviour, _, _ in receiver.attempts] == ["reject"]
    assert "after 1 of 5 attempts: answered 400: no" in caplog.text


def test_a_hanging_receiver_is_timed_out_and_tried_again(receiver, webhooks, service_for):
    """An attempt the receiver never answers ends at the client's timeout; the next one gets through."""
    receiver.plan.append("hang")
    service = service_for(webhooks(receiver.url, min_interval=0, timeout=0.5, backoff=0.001))
    service.probe(database=False)
    settle(service)
    assert receiver.hanging.is_set()
    assert not receiver.release.is_set()  # the hung attempt was never answered
    assert [behaviour for behaviour, _, _ in receiver.attempts] == ["hang", "ok"]
    assert receiver.statuses() == [("fail", None, False)]


def test_a_probe_is_never_delayed_by_a_hanging_receiver(receiver, webhooks, service_for):
    """While the receiver holds the first notice, probes are answered and later notices queue, in order."""
    receiver.plan.append("hang")
    webhook = webhooks(receiver.url, min_interval=0, timeout=WAIT)
    service = service_for(webhook)
    service.probe()
    assert service.probe(database=False) == 500
    assert receiver.hanging.wait(WAIT)
    assert service.probe() == 200  # evaluated, and its change handed to the webhook,
    assert service.probe(database=False) == 500  # while the receiver still holds the first notice
    assert not receiver.release.is_set()
    assert len(receiver.attempts) == 1
    assert webhook.flush(timeout=0) is False  # still sending
    receiver.release.set()
    settle(service)
    assert receiver.statuses() == [("fail", "pass", False), ("pass", "fail", True), ("fail", "pass", False)]


def test_a_full_queue_drops_the_oldest_notice(receiver, webhooks, service_for, caplog):
    """Past max_pending waiting notices the oldest waiting one goes, logged; the newest are kept in order."""
    receiver.plan.append("hang")
    service = service_for(webhooks(receiver.url, min_interval=0, timeout=WAIT, max_pending=2))
    service.probe()
    service.probe(database=False)
    assert receiver.hanging.wait(WAIT)
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        service.probe()  # waiting: pass
        service.probe(cache=False)  # waiting: pass, warn
        service.probe(database=False)  # waiting: warn, fail (the pass is dropped)
    assert "has 2 notices waiting; dropped the oldest (status pass)" in caplog.text
    receiver.release.set()
    settle(service)
    assert [status for status, _, _ in receiver.statuses()] == ["fail", "warn", "fail"]


def test_an_unreachable_url_is_logged_never_raised(webhooks, service_for, caplog):
    """Nothing listening: the probe is answered, the attempts fail and the end is logged, scrubbed."""
    with socket.create_server(("127.0.0.1", 0)) as closed:
        port = closed.getsockname()[1]
    url = f"http://127.0.0.1:{port}/hook?api_key=sk_live_51HqLyjWDarjtT1zdp7dcXYZabc"
    service = service_for(webhooks(url, min_interval=0, attempts=2, backoff=0.001))
    with caplog.at_level(logging.WARNING, logger="skiesish"):
        assert service.probe(database=False) == 500
        settle(service)
    assert "gave up on the fail notice after 2 of 2 attempts: ConnectionRefusedError" in caplog.text
    assert "sk_live" not in caplog.text
    assert "api_key=********" in caplog.text


def test_what_is_sent_is_scrubbed(receiver, webhooks):
    """A secret in a check's output (even one that reached the webhook unscrubbed) is masked in the notice."""
    webhook = webhooks(receiver.url, min_interval=0)
    now = datetime.datetime.now(datetime.timezone.utc)
    leaky = CheckResult("database", False, "cannot reach postgres://app:hunter2@db/app", 0.01, now)
    webhook.on_change(Report((leaky,)))
    assert webhook.flush(WAIT)
    [(_, _, body)] = receiver.attempts
    assert b"hunter2" not in body
    assert receiver.notices[0]["checks"][0]["output"] == "cannot reach postgres://app:********@db/app"


@pytest.mark.parametrize(
    ("url", "message"),
    [
        ("ftp://hooks.example.com/x", "must start with http:// or https://, got ftp"),
        ("hooks.example.com/health", "must start with http:// or https://, got no scheme"),
        ("http:///health", "has no host"),
        ("https://", "has no host"),
        ("http://hooks.example.com:99999/", "is not a valid URL"),
        ("http://hooks.example.com/a b", "no spaces or control characters"),
        ("http://user:hunter2@hooks.example.com/", "must not hold user:password@"),
        ("http://hooks.example.com/#top", "no #fragment"),
        (b"http://hooks.example.com/", "must be a string, got bytes"),
    ],
)
def test_a_malformed_url_fails_at_build_time(url, message):
    """A URL that could never be POSTed to is refused when the webhook is made, naming the problem."""
    with pytest.raises(ConfigurationError, match=message) as raised:
        Webhook(url)
    assert "hunter2" not in str(raised.value)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        ({"headers": {"Content-Type": "text/plain"}}, "may not set Content-Type"),
        ({"headers": {"X-Skiesish-Signature": "x"}}, "may not set X-Skiesish-Signature"),
        ({"headers": {"Bad Header": "x"}}, "a header name must be a token"),
        ({"headers": {"X-Token": "a\r\nInjected: yes"}}, "without control characters"),
        ({"headers": ["X-Team"]}, "must be a dict, got list"),
        ({"secret": "short"}, "at least 16 bytes long"),
        ({"secret": 1234567890123456}, "must be str or bytes, got int"),
        ({"attempts": 0}, r"attempts=\.\.\.\) must be a whole number from 1 to 20, got 0"),
        ({"max_pending": 1.5}, "must be a whole number"),
        ({"min_interval": -1}, "min_interval"),
        ({"timeout": 0}, "timeout"),
        ({"service": ""}, "non-empty string"),
    ],
)
def test_bad_options_fail_at_build_time(options, message):
    """Every option is checked when the webhook is made, with a message naming it."""
    with pytest.raises(ConfigurationError, match=message):
        Webhook("https://hooks.example.com/health", **options)


def test_a_webhook_is_accepted_as_a_listener_by_the_handler_config():
    """A Webhook fits the HealthCheck ``listeners`` key, and is built without sending anything."""
    webhook = Webhook("https://hooks.example.com/health")
    context = skiesish.contexts.test(skiesish.Application(HealthCheck, {"listeners": [webhook]}))
    try:
        assert context.handler.config.listeners == [webhook]
    finally:
        context.close()
        webhook.close()
