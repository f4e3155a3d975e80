"""Celery workers for real, on RabbitMQ and on Redis: liveness, readiness and the web side's check.

Each test starts real worker processes (``python -m celery -A celery_app worker``, solo pool,
no gossip, mingle or event heartbeat) whose skiesish step beats every INTERVAL seconds, and
kills, stops, resumes or restarts them. Control commands go through an exchange of the test's
own, so no other worker on the same broker answers its pings.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import signal
import subprocess
import sys
import time
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from celery_app import make_app, worker_environment
from conftest import require_server, services_required, skiesish_command, wait_until
from faultproxy import FaultProxy
from servers import redis_connections

import skiesish
from skiesish.exceptions import HealthError
from skiesish.integrations import celery as celery_health

pytestmark = pytest.mark.services

TESTS = Path(__file__).resolve().parent
ROOT = TESTS.parent
BROKERS = {
    "rabbitmq": os.environ.get("SKIESISH_TEST_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/%2F"),
    "redis": os.environ.get("SKIESISH_TEST_CELERY_REDIS_URL", "redis://127.0.0.1:6379/11"),
}
INTERVAL = 0.2  # seconds between two beats of the workers' step
MAX_AGE = 1.5  # the probes' limit: seven missed beats
TIMEOUT = 1.0  # the check's whole budget
PING_TIMEOUT = 0.5
SLACK = 0.5
PROBES = 200
SAMPLE_EVERY = 20


@dataclasses.dataclass
class Worker:
    """One real worker process and the files its skiesish step keeps."""

    process: subprocess.Popen[bytes]
    alive: skiesish.Heartbeat
    ready: skiesish.Heartbeat
    log: Path

    def signal(self, number: int) -> None:
        self.process.send_signal(number)

    def output(self) -> str:
        return self.log.read_text(errors="replace")[-4000:]


@dataclasses.dataclass
class Broker:
    """A broker the test's workers and checks use, and what keeps them to themselves."""

    name: str
    url: str
    namespace: str
    queue: str

    def app(self, url: str | None = None):
        """A Celery application (the web side's) on this broker, or on ``url`` (a proxy, a closed port)."""
        return make_app(url or self.url, self.namespace, self.queue)

    def url_through(self, port: int) -> str:
        """This broker's URL with ``port`` in place of its own."""
        parts = urllib.parse.urlsplit(self.url)
        return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.netloc.rsplit(':', 1)[0]}:{port}"))

    @property
    def port(self) -> int:
        return int(urllib.parse.urlsplit(self.url).port or 0)


@pytest.fixture(params=sorted(BROKERS))
def broker(request: pytest.FixtureRequest) -> Iterator[Broker]:
    """RabbitMQ, then Redis (skipped, or failed under SKIESISH_REQUIRE_SERVICES=1, when down)."""
    url = BROKERS[request.param]
    parts = urllib.parse.urlsplit(url)
    require_server(request.param, parts.hostname or "", parts.port or 0)
    token = uuid.uuid4().hex[:10]
    chosen = Broker(request.param, url, f"skiesish-test-{token}", f"skiesish-test-{token}")
    yield chosen
    forget(chosen, token)


def forget(broker: Broker, token: str) -> None:
    """Delete what the test's workers declared: queue and exchanges (RabbitMQ), keys (Redis)."""
    if broker.name == "redis":
        import redis

        client = redis.Redis.from_url(broker.url)
        try:
            for key in client.scan_iter(f"*{token}*"):
                client.delete(key)
            # kombu's deadlines of the bindings of every exchange, one member for each
            for member, _ in client.zscan_iter("_kombu.binding_deadlines", match=f"*{token}*"):
                client.zrem("_kombu.binding_deadlines", member)
        finally:
            client.close()
        return
    app = broker.app()
    try:
        with app.connection_for_write() as connection:
            channel = connection.default_channel
            channel.queue_delete(broker.queue)
            for exchange in (broker.queue, f"{broker.namespace}.pidbox", f"reply.{broker.namespace}.pidbox"):
                channel.exchange_delete(exchange)
    finally:
        app.close()


@pytest.fixture
def start_worker(broker: Broker, tmp_path: Path) -> Iterator[Callable[..., Worker]]:
    """``start_worker(url=None)`` starts a worker (on ``url`` if given) and returns once its ready file
    beat; all are killed after."""
    workers: list[Worker] = []
    alive, ready = str(tmp_path / "alive"), str(tmp_path / "ready")

    def start(url: str | None = None) -> Worker:
        log = tmp_path / f"worker-{len(workers)}.log"
        environment = {
            # Without pytest-django's DJANGO_SETTINGS_MODULE, which would make Celery set Django up.
            **{name: value for name, value in os.environ.items() if name != "DJANGO_SETTINGS_MODULE"},
            **worker_environment(url or broker.url, broker.namespace, broker.queue, alive, ready, INTERVAL),
            "PYTHONPATH": os.pathsep.join([str(TESTS), str(ROOT)]),
        }
        with open(log, "wb") as log_file:
            process = subprocess.Popen(
                [
                    *(sys.executable, "-m", "celery", "-A", "celery_app", "worker"),
                    *("--pool=solo", "--without-gossip", "--without-mingle", "--without-heartbeat"),
                    *("--loglevel=warning", "-Q", broker.queue, "-n", f"{uuid.uuid4().hex[:8]}@%h"),
                ],
                cwd=TESTS,
                env=environment,
                stdout=log_file,
                stderr=subprocess.STDOUT,
            )
        worker = Worker(process, skiesish.Heartbeat(alive), skiesish.Heartbeat(ready), log)
        workers.append(worker)
        wait_until(
            lambda: worker.ready.is_fresh(MAX_AGE) or process.poll() is not None,
            "the worker beating its ready file",
        )
        assert process.poll() is None, f"the worker exited with {process.returncode}:\n{worker.output()}"
        return worker

    yield start
    for worker in workers:
        if worker.process.poll() is None:
            worker.signal(signal.SIGCONT)
            worker.process.kill()
        worker.process.wait(30)


def run_check(app, queues: list[str] | None = None, timeout: float = TIMEOUT) -> tuple[bool, str, float]:
    """Run the web side's check once: (passed, its output or error, seconds it took)."""
    check = celery_health.check(app, queues=queues, timeout=timeout, ping_timeout=PING_TIMEOUT)
    started = time.monotonic()
    try:
        _, output = check.func()
    except HealthError as error:
        return False, str(error), time.monotonic() - started
    return True, output, time.monotonic() - started


def probe(path: str) -> int:
    """`skiesish check --heartbeat PATH --max-age MAX_AGE`'s exit code, as an exec probe runs it."""
    return skiesish_command("check", "--heartbeat", path, "--max-age", str(MAX_AGE)).returncode


# -- a worker's own liveness and readiness ------------------------------------------


def test_a_healthy_worker_is_live_ready_and_answers(broker: Broker, start_worker) -> None:
    """A running worker: both files fresh, both probes exit 0, and the check with its queue passes."""
    worker = start_worker()
    assert (probe(worker.alive.path), probe(worker.ready.path)) == (0, 0)
    passed, output, _ = run_check(broker.app(), queues=[broker.queue])
    assert passed, output
    if broker.name == "rabbitmq":
        assert output.startswith("ping answered by 1 worker in ")
        assert output.endswith(f"; queue {broker.queue}: 1 consumer, 0 messages")
    else:
        assert output.startswith("1 worker answered in ")
        assert output.endswith(f"; queues consumed by {broker.queue}: 1 worker")


def test_a_queue_nobody_consumes_fails_the_check(broker: Broker, start_worker) -> None:
    """A declared queue without a consumer, or with no such queue at all, fails the check, naming it."""
    start_worker()
    absent = f"{broker.queue}-absent"
    passed, output, _ = run_check(broker.app(), queues=[broker.queue, absent])
    assert not passed
    if broker.name == "rabbitmq":
        assert output == f"the queue {absent!r} does not exist"
        app = broker.app()
        try:
            with app.connection_for_write() as connection:
                connection.default_channel.queue_declare(absent, auto_delete=True)
                try:
                    passed, output, _ = run_check(app, queues=[broker.queue, absent])
                finally:
                    connection.default_channel.queue_delete(absent)
            assert (passed, output) == (
                False,
                f"the queue {absent!r} has no consumer (0 consumers, 0 messages)",
            )
        finally:
            app.close()
    else:
        assert output == f"no worker consumes the queue(s) {absent!r} (1 worker answered)"


def test_an_idle_worker_goes_on_beating(broker: Broker, start_worker) -> None:
    """With no task to run, the consumer loop still beats both files, long after it started."""
    worker = start_worker()
    idle_since = time.time()
    for heartbeat in (worker.alive, worker.ready):
        wait_until(
            lambda heartbeat=heartbeat: os.stat(heartbeat.path).st_mtime > idle_since + 2 * MAX_AGE,
            f"a beat of {heartbeat.path} after {2 * MAX_AGE} s idle",
        )


def test_a_killed_worker_fails_the_ping_goes_stale_and_a_restart_passes(broker: Broker, start_worker) -> None:
    """SIGKILL: the check fails (no answer), the files go stale; a new worker makes both pass again."""
    worker = start_worker()
    worker.signal(signal.SIGKILL)
    worker.process.wait(30)
    passed, output, seconds = run_check(broker.app())
    assert not passed
    assert output == f"no worker answered a ping within {PING_TIMEOUT:g} s"
    assert seconds <= TIMEOUT + SLACK
    wait_until(lambda: not worker.alive.is_fresh(MAX_AGE), "the heartbeat going stale")
    assert (probe(worker.alive.path), probe(worker.ready.path)) == (1, 1)

    restarted = start_worker()
    assert (probe(restarted.alive.path), probe(restarted.ready.path)) == (0, 0)
    assert run_check(broker.app(), queues=[broker.queue])[0]


def test_a_wedged_worker_goes_stale_then_fresh_when_it_resumes(broker: Broker, start_worker) -> None:
    """SIGSTOP: the heartbeat goes stale and pings go unanswered; SIGCONT: fresh again, and it answers."""
    worker = start_worker()
    worker.signal(signal.SIGSTOP)
    try:
        wait_until(lambda: not worker.alive.is_fresh(MAX_AGE), "the heartbeat going stale")
        assert probe(worker.alive.path) == 1
        passed, output, seconds = run_check(broker.app())
        assert (passed, output) == (False, f"no worker answered a ping within {PING_TIMEOUT:g} s")
        assert seconds <= TIMEOUT + SLACK
    finally:
        worker.signal(signal.SIGCONT)
    wait_until(lambda: worker.alive.is_fresh(MAX_AGE), "the heartbeat fresh again")
    assert probe(worker.alive.path) == 0
    wait_until(lambda: run_check(broker.app())[0], "the worker answering again")


def test_readiness_fails_as_soon_as_the_worker_is_told_to_stop(
    broker: Broker, start_worker, tmp_path: Path
) -> None:
    """SIGTERM during a task: the ready file goes at once, while the task still runs; then exit 0."""
    worker = start_worker()
    started, release = tmp_path / "task-started", tmp_path / "task-release"
    app = broker.app()
    try:
        app.send_task("celery_app.hold", args=[str(started), str(release)], queue=broker.queue)
    finally:
        app.close()
    wait_until(started.exists, "the task starting")
    worker.signal(signal.SIGTERM)
    wait_until(lambda: worker.ready.age() is None, "the ready file removed")
    assert probe(worker.ready.path) == 1
    assert worker.process.poll() is None  # still running its task
    release.touch()
    assert worker.process.wait(30) == 0
    assert worker.ready.age() is None
    assert worker.alive.age() is not None  # liveness is left to grow stale, not removed


def test_a_worker_that_loses_its_broker_is_not_ready_until_it_reconnects(
    broker: Broker, start_worker, fault_proxy: Callable[[int], FaultProxy]
) -> None:
    """The broker going away (its connections reset, new ones refused) removes the ready file;
    once the worker has reconnected, it beats again."""
    proxy = fault_proxy(broker.port)
    worker = start_worker(broker.url_through(proxy.port))
    proxy.set_mode("refuse")
    wait_until(lambda: worker.ready.age() is None, "the ready file removed")
    assert probe(worker.ready.path) == 1
    proxy.set_mode("pass")
    wait_until(lambda: worker.ready.is_fresh(MAX_AGE), "the ready file beating again")
    assert probe(worker.alive.path) == 0
    assert worker.process.poll() is None


# -- the web side's check when the broker is down --------------------------------------


@pytest.mark.parametrize("fault", ["closed port", "refuse", "blackhole"])
def test_the_check_fails_within_its_deadline_when_the_broker_is_down(
    broker: Broker, fault: str, fault_proxy: Callable[[int], FaultProxy], free_port: int
) -> None:
    """A closed port, a refusing or a blackholed broker fails the check within its timeout plus 0.5 s."""
    if fault == "closed port":
        url = broker.url_through(free_port)
    else:
        proxy = fault_proxy(broker.port)
        proxy.set_mode(fault)
        url = broker.url_through(proxy.port)
    passed, output, seconds = run_check(broker.app(url), queues=[broker.queue])
    assert not passed
    assert output.startswith(f"cannot connect to the broker at 127.0.0.1:{urllib.parse.urlsplit(url).port}: ")
    assert seconds <= TIMEOUT + SLACK


def test_a_health_check_answers_within_its_deadline_in_a_blackhole(
    broker: Broker, start_worker, fault_proxy: Callable[[int], FaultProxy]
) -> None:
    """In a HealthCheck: 200 through the proxy, 500 within the deadline plus 0.5 s once it blackholes."""
    start_worker()
    proxy = fault_proxy(broker.port)
    context = skiesish.contexts.test(
        skiesish.Application(
            skiesish.handlers.HealthCheck,
            {
                "checks": [celery_health.check(broker.app(broker.url_through(proxy.port)), timeout=TIMEOUT)],
                "timeout": TIMEOUT,
                "success_ttl": None,
                "failed_ttl": None,
            },
        )
    )
    try:
        assert context()[1] == 200
        proxy.set_mode("blackhole")
        started = time.monotonic()
        assert context()[1] == 500
        assert time.monotonic() - started <= TIMEOUT + SLACK
        proxy.set_mode("pass")
        wait_until(lambda: context()[1] == 200, "the check passing once the blackhole ends")
    finally:
        context.close()


# -- leaks ------------------------------------------------------------------------------


def rabbitmq_connections(ports: frozenset[int]) -> int:
    """Connections RabbitMQ holds whose client port is one of ``ports`` (through rabbitmqctl)."""
    listed = subprocess.run(
        ["rabbitmqctl", "-q", "list_connections", "peer_port"], capture_output=True, text=True, timeout=60
    )
    assert listed.returncode == 0, listed.stderr
    return sum(int(line) in ports for line in listed.stdout.split() if line.isdigit())


def reply_queues(broker: Broker) -> list[str]:
    """The reply queues of the test's checks left on the broker (there should be none)."""
    if broker.name == "rabbitmq":
        listed = subprocess.run(
            ["rabbitmqctl", "-q", "list_queues", "name"], capture_output=True, text=True, timeout=60
        )
        return [name for name in listed.stdout.split() if name.endswith(f".reply.{broker.namespace}.pidbox")]
    import redis

    client = redis.Redis.from_url(broker.url)
    try:
        return [key.decode() for key in client.scan_iter(f"*.reply.{broker.namespace}.pidbox*")]
    finally:
        client.close()


def test_many_probes_leave_no_connection_and_no_queue_behind(
    broker: Broker, start_worker, fault_proxy: Callable[[int], FaultProxy]
) -> None:
    """200 uncached probes through a proxy: the broker holds none of their connections or reply queues."""
    if broker.name == "rabbitmq" and shutil.which("rabbitmqctl") is None:
        reason = "rabbitmqctl is needed to count RabbitMQ's connections"
        if services_required():
            pytest.fail(reason, pytrace=False)
        pytest.skip(reason)
    start_worker()
    proxy = fault_proxy(broker.port)
    app = broker.app(broker.url_through(proxy.port))
    context = skiesish.contexts.test(
        skiesish.Application(
            skiesish.handlers.HealthCheck,
            {
                "checks": [celery_health.check(app, queues=[broker.queue], timeout=TIMEOUT)],
                "timeout": TIMEOUT,
                "success_ttl": None,
                "failed_ttl": None,
            },
        )
    )

    def held() -> int:
        ports = proxy.upstream_ports()
        if broker.name == "rabbitmq":
            return rabbitmq_connections(ports)
        return redis_connections(broker.url, ports)

    statuses, counts = set(), []
    try:
        for done in range(1, PROBES + 1):
            statuses.add(context()[1])
            if done % SAMPLE_EVERY == 0:
                counts.append(held())
    finally:
        context.close()
    assert statuses == {200}
    assert len(proxy.upstream_ports()) >= PROBES  # connections of its own for each probe: nothing pooled
    # Sampled just after a probe, whose closing connections the broker may not have seen go yet.
    assert max(counts) <= 2, f"connections held after each {SAMPLE_EVERY} probes: {counts}"
    wait_until(lambda: held() == 0, "the broker dropping the last probe's connection", seconds=10)
    assert reply_queues(broker) == []
