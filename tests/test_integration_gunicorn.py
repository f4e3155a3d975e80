"""gunicorn's probes served by its master: real gunicorn processes, pinned, wedged and stopped."""

from __future__ import annotations

import concurrent.futures
import contextlib
import json
import os
import re
import signal
import socket
import subprocess
import sys
import textwrap
import types
from pathlib import Path

import pytest
from conftest import free_ports, poll_until, wait_until
from conftest import http_get as get

import skiesish
from skiesish import ConfigurationError
from skiesish.exceptions import MissingExtraError
from skiesish.integrations.gunicorn import GunicornWatch, probe_listener

pytest.importorskip("gunicorn")

APP = '''
import os, time
from pathlib import Path

HERE = Path(__file__).parent


def application(environ, start_response):
    """/slow notes its start and waits for the release file (60 s at most); the rest answers the pid."""
    if environ["PATH_INFO"] == "/slow":
        (HERE / "started" / f"{os.getpid()}-{time.monotonic_ns()}").touch()
        give_up = time.monotonic() + 60
        while not (HERE / "release").exists() and time.monotonic() < give_up:
            time.sleep(0.02)
    body = str(os.getpid()).encode()
    start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", str(len(body)))])
    return [body]


async def asgi_application(scope, receive, send):
    """Answers every HTTP request "ok"; no lifespan."""
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})
'''

PROBES = """
import skiesish

detailed = skiesish.contexts.wsgi(skiesish.probes(format="health+json", details="always"))
"""

CONFIG = """
bind = "127.0.0.1:{main_port}"
workers = {workers}
worker_class = "{worker_class}"
threads = {threads}
timeout = 300
graceful_timeout = 5
control_socket_disable = True


def when_ready(server):
    server.log.info("user when_ready")


def post_request(worker, req):
    worker.log.info("user post_request")


from skiesish.integrations.gunicorn import probe_listener

probe_listener({listen!r}, {probes!r}, stall_after={stall_after}, drain={drain}).install(globals())
"""


class Gunicorn:
    """gunicorn with the probe listener, serving a slow application from ``directory``."""

    def __init__(
        self,
        directory: Path,
        *,
        workers: int = 2,
        worker_class: str = "sync",
        threads: int = 1,
        stall_after: float = 30,
        drain: float = 0,
        probes: str | None = None,
        listen: str | None = None,
        application: str = "slow_app:application",
    ) -> None:
        self.directory = directory
        self.main_port, self.probe_port = free_ports(2)
        self.main = f"http://127.0.0.1:{self.main_port}"
        self.probe = f"http://127.0.0.1:{self.probe_port}"
        (directory / "started").mkdir()
        (directory / "slow_app.py").write_text(textwrap.dedent(APP))
        (directory / "probes_app.py").write_text(PROBES)
        config = CONFIG.format(
            main_port=self.main_port,
            workers=workers,
            worker_class=worker_class,
            threads=threads,
            listen=listen or f"127.0.0.1:{self.probe_port}",
            probes=probes,
            stall_after=stall_after,
            drain=drain,
        )
        (directory / "gunicorn.conf.py").write_text(config)
        self.requests = concurrent.futures.ThreadPoolExecutor(4)
        self.log_file = directory / "gunicorn.log"
        with self.log_file.open("w") as log:
            self.process = subprocess.Popen(
                [sys.executable, "-m", "gunicorn", "-c", "gunicorn.conf.py", application],
                cwd=directory,
                env={**os.environ, "PYTHONUNBUFFERED": "1"},
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def log(self) -> str:
        """Everything gunicorn (and the skiesish logger) wrote so far."""
        return self.log_file.read_text()

    def wait_for_probes(self) -> None:
        """Return once ``/startupz`` passes: the master serves probes and a worker has booted."""

        def started() -> bool:
            if self.process.poll() is not None:
                pytest.fail(f"gunicorn exited with {self.process.returncode}:\n{self.log()}")
            try:
                return get(self.probe + "/startupz")[0] == 200
            except OSError:
                return False

        wait_until(started, "gunicorn's probes")

    def started_requests(self) -> int:
        """How many /slow requests a worker has started."""
        return len(list((self.directory / "started").iterdir()))

    def send_slow(self) -> concurrent.futures.Future:
        """GET /slow on the main port, from another thread; the future holds (status, body)."""
        return self.requests.submit(get, self.main + "/slow", 90)

    def pin_workers(self, count: int) -> list[concurrent.futures.Future]:
        """Send ``count`` /slow requests; return their futures once a worker has started each."""
        futures = [self.send_slow() for _ in range(count)]
        wait_until(lambda: self.started_requests() == count, f"{count} pinned requests")
        return futures

    def release(self) -> None:
        """Let every /slow request finish."""
        (self.directory / "release").touch()

    def kill(self) -> None:
        """SIGKILL the whole process group (master and workers), then wait for the requests sent."""
        self.release()
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.process.pid, signal.SIGKILL)
        self.process.wait(timeout=30)
        self.requests.shutdown(wait=True)


@pytest.fixture
def gunicorn(tmp_path):
    """``gunicorn(**settings)`` starts a :class:`Gunicorn` in ``tmp_path``; each is killed afterwards."""
    servers: list[Gunicorn] = []

    def start(**settings) -> Gunicorn:
        directory = tmp_path / f"server-{len(servers)}"
        directory.mkdir()
        server = Gunicorn(directory, **settings)
        servers.append(server)
        return server

    yield start
    for server in servers:
        server.kill()


def worker_pool(answer: dict) -> dict:
    """The ``worker_pool`` entry of a health+json answer."""
    [entry] = [entry for entries in answer["checks"].values() for entry in entries]
    assert entry["componentId"] == "worker_pool"
    return entry


def test_livez_answers_while_every_sync_worker_is_pinned(gunicorn):
    """With both sync workers busy and a request queued, 50 /livez all pass before that request is served."""
    server = gunicorn(workers=2)
    server.wait_for_probes()
    pinned = server.pin_workers(2)
    queued = server.send_slow()
    statuses = [get(server.probe + "/livez")[0] for _ in range(50)]
    was_pending = not queued.done() and server.started_requests() == 2
    server.release()
    answers = [future.result(timeout=90) for future in (*pinned, queued)]
    assert statuses == [200] * 50
    assert was_pending
    assert [status for status, _ in answers] == [200, 200, 200]
    log = server.log()
    assert log.index("skiesish: probes served on") < log.index("user when_ready")
    wait_until(lambda: server.log().count("user post_request") == 3, "three post_request hooks")


def test_wedged_sync_workers_fail_liveness_and_readiness_until_released(gunicorn):
    """Both sync workers stuck past stall_after: /livez and /readyz fail, naming worker_pool; then pass."""
    server = gunicorn(workers=2, stall_after=2)
    server.wait_for_probes()
    pinned = server.pin_workers(2)
    poll_until(server.probe + "/livez", 500, "the probe")
    wedged_readiness = get(server.probe + "/readyz")[0]
    server.release()
    answers = [future.result(timeout=90) for future in pinned]
    poll_until(server.probe + "/livez", 200, "the probe")
    assert wedged_readiness == 500
    assert get(server.probe + "/readyz")[0] == 200
    assert [status for status, _ in answers] == [200, 200]
    assert "worker_pool is now fail (stalled: no worker started or finished a request" in server.log()
    # skiesish's lines go to gunicorn's error log, its info lines (the recovery) included
    wait_until(lambda: "[INFO] worker_pool is now pass" in server.log(), "the recovery logged by gunicorn")
    assert "[WARNING] worker_pool is now fail" in server.log()


def test_a_wedged_gthread_worker_fails_liveness_until_released(gunicorn):
    """One gthread worker with both threads stuck fails worker_pool in served probes, then passes again."""
    server = gunicorn(
        workers=1, worker_class="gthread", threads=2, stall_after=2, probes="probes_app:detailed"
    )
    server.wait_for_probes()
    pinned = server.pin_workers(2)
    wedged = json.loads(poll_until(server.probe + "/livez", 500, "the probe"))
    server.release()
    answers = [future.result(timeout=90) for future in pinned]
    healthy = json.loads(poll_until(server.probe + "/livez", 200, "the probe"))
    assert [status for status, _ in answers] == [200, 200]
    assert worker_pool(wedged)["status"] == "fail"
    assert worker_pool(wedged)["output"].startswith("stalled:")
    assert "1 of 1 workers busy, 2 in flight" in worker_pool(wedged)["output"]
    assert worker_pool(healthy)["status"] == "pass"


def test_an_idle_gthread_worker_with_one_busy_thread_stays_alive(gunicorn):
    """A gthread worker has threads places: one request stuck past stall_after leaves it free and alive."""
    server = gunicorn(
        workers=1, worker_class="gthread", threads=2, stall_after=1, probes="probes_app:detailed"
    )
    server.wait_for_probes()
    [pinned] = server.pin_workers(1)
    wait_until(lambda: quiet_for(get(server.probe + "/livez")[1]) > 1, "stall_after without progress")
    status, body = get(server.probe + "/livez")
    server.release()
    assert pinned.result(timeout=90)[0] == 200
    assert status == 200
    assert "0 of 1 workers busy, 1 in flight" in worker_pool(json.loads(body))["output"]


def test_other_worker_classes_count_worker_connections_and_say_so(gunicorn):
    """An asgi worker boots, is counted busy only at worker_connections requests, and a warning says so."""
    server = gunicorn(
        workers=1, worker_class="asgi", application="slow_app:asgi_application", probes="probes_app:detailed"
    )
    server.wait_for_probes()
    main = get(server.main + "/")
    wait_until(
        lambda: "1 finished" in worker_pool(json.loads(get(server.probe + "/livez")[1]))["output"], "a count"
    )
    assert main == (200, b"ok")
    assert (
        "skiesish: the worker_pool heartbeat counts each ASGIWorker worker busy only at worker_connections "
        "(1000) requests in flight: an event loop blocked with fewer goes unseen" in server.log()
    )


def quiet_for(body: bytes) -> float:
    """The seconds since the last start or finish, as worker_pool's output in a health+json body says."""
    output = worker_pool(json.loads(body))["output"]
    found = re.search(r"last start or finish ([0-9.]+) s ago", output)
    return float(found.group(1)) if found else 0.0  # no worker booted yet


def test_a_reload_keeps_watching_the_new_workers(gunicorn):
    """After SIGHUP the workers gunicorn boots anew join the heartbeat that the listener already serves."""
    server = gunicorn(workers=2, stall_after=1, probes="probes_app:detailed")
    server.wait_for_probes()
    server.process.send_signal(signal.SIGHUP)
    wait_until(lambda: server.log().count("Worker exiting") == 2, "the old workers' exit")
    wait_until(lambda: quiet_for(get(server.probe + "/livez")[1]) > 1, "stall_after after the reload")
    status, body = get(server.probe + "/livez")
    assert status == 200
    assert worker_pool(json.loads(body))["output"].startswith("0 of 2 workers busy")
    assert "keeps its settings" not in server.log()


def test_sigterm_fails_readiness_while_liveness_passes_until_a_second_signal(gunicorn):
    """During the drain /readyz fails and /livez passes; a second SIGTERM stops gunicorn at once, with 0."""
    server = gunicorn(workers=1, drain=120)
    server.wait_for_probes()
    assert get(server.probe + "/readyz")[0] == 200
    server.process.send_signal(signal.SIGTERM)
    poll_until(server.probe + "/readyz", 500, "the probe")
    liveness = get(server.probe + "/livez")[0]
    main = get(server.main + "/")[0]
    still_running = server.process.poll() is None
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    assert (liveness, main, still_running) == (200, 200, True)
    log = server.log()
    assert log.index("readiness fails from now on; stopping in 120 s") < log.index("Shutting down: Master")


def test_the_drain_ends_with_gunicorn_stopping_itself(gunicorn):
    """After SIGTERM and a short drain the master sends itself SIGTERM and exits 0; the probe port closes."""
    server = gunicorn(workers=1, drain=0.5)
    server.wait_for_probes()
    server.process.send_signal(signal.SIGTERM)
    assert server.process.wait(timeout=60) == 0
    log = server.log()
    assert log.count("Handling signal: term") == 2
    assert log.index("stopping in 0.5 s") < log.index("Shutting down: Master")
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.probe_port), timeout=5).close()


def test_a_probe_port_in_use_stops_gunicorn_before_any_worker(gunicorn):
    """A probe port another socket holds: one logged sentence, exit status 2, and no worker ever booted."""
    with socket.socket() as holder:
        holder.bind(("127.0.0.1", 0))
        holder.listen()
        port = holder.getsockname()[1]
        server = gunicorn(listen=f"127.0.0.1:{port}")
        status = server.process.wait(timeout=60)
    log = server.log()
    assert status == 2
    assert (
        f"Reason: skiesish probe listener: listen 127.0.0.1:{port}: expected an address to listen on, "
        "but another process already listens on that port" in log
    )
    assert "Booting worker" not in log


def test_an_unresolvable_probe_host_stops_gunicorn_before_any_worker(gunicorn):
    """A probe host that does not resolve: one logged sentence, exit status 2, and no worker ever booted."""
    server = gunicorn(listen="no-such-host.invalid:8081")
    status = server.process.wait(timeout=60)
    log = server.log()
    assert status == 2
    assert "Reason: skiesish probe listener: listen no-such-host.invalid:8081: expected a host name" in log
    assert "Booting worker" not in log


def test_probes_that_cannot_be_imported_stop_gunicorn_before_any_worker(gunicorn):
    """probes="MODULE:ATTR" naming nothing importable: exit status 2, the sentence naming it, no worker."""
    server = gunicorn(probes="probes_app:no_such_attribute")
    status = server.process.wait(timeout=60)
    log = server.log()
    assert status == 2
    assert "Reason: skiesish probe listener: probes 'probes_app:no_such_attribute':" in log
    assert "Booting worker" not in log


def listening_inode(port: int) -> str:
    """The inode of the socket listening on 127.0.0.1:``port``, from /proc/net/tcp."""
    for line in Path("/proc/net/tcp").read_text().splitlines()[1:]:
        fields = line.split()
        local_port = int(fields[1].rsplit(":", 1)[1], 16)
        if local_port == port and fields[3] == "0A":  # 0A: LISTEN
            return fields[9]
    pytest.fail(f"nothing listens on port {port}")


def socket_inodes(pid: int) -> set[str]:
    """The inodes of the sockets process ``pid`` holds open."""
    inodes = set()
    for descriptor in Path(f"/proc/{pid}/fd").iterdir():
        try:
            target = os.readlink(descriptor)
        except OSError:  # closed meanwhile
            continue
        if target.startswith("socket:["):
            inodes.add(target[len("socket:[") : -1])
    return inodes


def children(pid: int) -> list[int]:
    """The processes whose parent is ``pid``."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            stat = (entry / "stat").read_text()
        except OSError:  # exited meanwhile
            continue
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry.name))
    return found


@pytest.mark.skipif(not Path("/proc/net/tcp").exists(), reason="reads Linux's /proc")
def test_only_the_master_holds_the_probe_port(gunicorn):
    """The master holds the probe port and its workers do not: once it is killed, the port refuses."""
    server = gunicorn(workers=2)
    server.wait_for_probes()
    server.pin_workers(2)  # both workers have booted, so each has run post_fork
    inode = listening_inode(server.probe_port)
    workers = children(server.process.pid)
    holders = {pid for pid in [server.process.pid, *workers] if inode in socket_inodes(pid)}
    os.kill(server.process.pid, signal.SIGKILL)
    server.process.wait(timeout=30)
    lingering = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", server.probe_port), timeout=5).close()
    assert len(workers) == 2
    assert holders == {server.process.pid}
    assert len(lingering) == 2


class Clock:
    """A clock that moves only when told to."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class Arbiter:
    """What GunicornWatch reads of gunicorn's arbiter: its current workers, by pid."""

    def __init__(self) -> None:
        self.WORKERS: dict[int, types.SimpleNamespace] = {}


@pytest.fixture
def clock() -> Clock:
    """A fake clock for a watch."""
    return Clock()


@pytest.fixture
def arbiter() -> Arbiter:
    """A fake arbiter with no workers yet."""
    return Arbiter()


@pytest.fixture
def watch(clock, arbiter) -> GunicornWatch:
    """A watch of ``arbiter``'s workers on ``clock``, stalled after 10 s, with 4 slots."""
    watch = GunicornWatch(10, slots=4, clock=clock)
    watch.attach(arbiter)
    return watch


def boot(watch: GunicornWatch, arbiter: Arbiter, pid: int, capacity: int = 1, in_flight: int = 0) -> None:
    """Fork (in name), boot and load a worker as gunicorn's hooks would; its age is its pid."""
    assert watch.assign(pid) is not None
    arbiter.WORKERS[pid] = types.SimpleNamespace(age=pid)
    watch.register(pid, pid, capacity)
    for _ in range(in_flight):
        watch.request_started()


def test_an_idle_worker_passes_however_long_it_waits(watch, arbiter, clock):
    """A booted worker with nothing in flight is free: worker_pool passes after any quiet time."""
    boot(watch, arbiter, 101)
    clock.now += 3600
    assert watch.state() == (
        True,
        "0 of 1 workers busy, 0 in flight, 0 finished, last start or finish 3600.0 s ago",
    )


def test_saturated_workers_fail_only_after_stall_after_without_progress(watch, arbiter, clock):
    """Every worker busy: passes within stall_after of the last start, fails after it."""
    boot(watch, arbiter, 101, in_flight=1)
    boot(watch, arbiter, 102, in_flight=1)
    clock.now += 10
    within = watch.state()
    clock.now += 0.5
    passed, output = watch.state()
    assert within[0] is True
    assert passed is False
    assert output.startswith(
        "stalled: no worker started or finished a request for 10.5 s (2 of 2 workers busy"
    )


def test_one_free_worker_keeps_the_pool_alive(watch, arbiter, clock):
    """One stuck worker beside a free one passes: the pool can still take work."""
    boot(watch, arbiter, 101, in_flight=1)
    boot(watch, arbiter, 102)
    clock.now += 100
    assert watch.state()[0] is True


def test_one_progressing_worker_keeps_a_saturated_pool_alive(watch, arbiter, clock):
    """Every worker busy but one just finished and started again: passes."""
    boot(watch, arbiter, 101, in_flight=1)
    clock.now += 100
    boot(watch, arbiter, 102, in_flight=1)
    watch.request_finished()
    watch.request_started()
    passed, output = watch.state()
    assert passed is True
    assert output == "2 of 2 workers busy, 2 in flight, 1 finished, last start or finish 0.0 s ago"


def test_a_gthread_worker_is_busy_only_with_every_thread_taken(watch, arbiter, clock):
    """Capacity 2 with one request stuck is free; with two it is stalled."""
    boot(watch, arbiter, 101, capacity=2, in_flight=1)
    clock.now += 100
    one_stuck = watch.state()[0]
    watch.request_started()
    clock.now += 100
    assert (one_stuck, watch.state()[0]) == (True, False)


def test_slots_of_workers_the_arbiter_no_longer_has_are_ignored(watch, arbiter, clock):
    """A free worker's slot counts only while its pid is among the arbiter's workers."""
    boot(watch, arbiter, 101, in_flight=1)
    boot(watch, arbiter, 102)
    clock.now += 100
    with_both = watch.state()[0]
    del arbiter.WORKERS[102]
    assert (with_both, watch.state()[0]) == (True, False)


def test_a_worker_that_has_not_registered_is_starting(watch, arbiter, clock):
    """A forked worker counts once it registers: until then it is starting, and no worker has booted."""
    watch.assign(101)
    arbiter.WORKERS[101] = types.SimpleNamespace(age=101)
    before = (watch.has_booted(), watch.state())
    watch.register(101, 101, 1)
    assert before == (False, (True, "waiting for a worker to boot (1 starting, 0.0 s so far)"))
    assert watch.has_booted() is True


def test_no_worker_booted_for_stall_after_fails(watch, arbiter, clock):
    """No worker booted stall_after seconds after start (or after the last one left): fails, saying so."""
    arbiter.WORKERS[101] = types.SimpleNamespace(age=101)
    watch.assign(101)
    clock.now += 10.5
    assert watch.state() == (False, "no worker has been booted for 10.5 s (1 starting)")


def test_a_slot_is_reused_once_its_worker_exits(watch, arbiter):
    """With every slot taken a new worker gets none, until an exited worker's slot is freed."""
    assigned = [watch.assign(age) for age in range(1, 6)]
    watch.release(2)
    assert assigned == [0, 1, 2, 3, None]
    assert watch.assign(6) == 1


def test_a_released_worker_leaves_nothing_behind(watch, arbiter, clock):
    """A slot freed and given to a new worker does not carry the old worker's requests."""
    boot(watch, arbiter, 101, in_flight=1)
    del arbiter.WORKERS[101]
    watch.release(101)
    boot(watch, arbiter, 102)
    clock.now += 100
    assert watch.state() == (
        True,
        "0 of 1 workers busy, 0 in flight, 0 finished, last start or finish 100.0 s ago",
    )


def test_the_watch_has_no_more_than_its_slots():
    """The slot count is checked: a whole number from 1 to 65536."""
    with pytest.raises(ConfigurationError, match="slots must be a whole number from 1 to 65536, got 0"):
        GunicornWatch(slots=0)


@pytest.mark.parametrize(
    ("arguments", "keywords", "message"),
    [
        (("8081",), {}, "listen expects HOST:PORT"),
        (("127.0.0.1:8081", "no_colon"), {}, "probes must be a skiesish application or its MODULE:ATTR"),
        (("127.0.0.1:8081", lambda environ, start_response: []), {}, "probes must be a skiesish application"),
        (("127.0.0.1:8081",), {"stall_after": 0}, "stall_after must be a number of seconds"),
        (("127.0.0.1:8081",), {"drain": -1}, "drain must be a number of seconds from 0 to 3600"),
        (("127.0.0.1:8081",), {"threads": 0}, "threads must be a whole number of probe listener threads"),
    ],
)
def test_probe_listener_refuses_bad_arguments_at_once(arguments, keywords, message):
    """Every argument is checked when the configuration is read, and the error names it."""
    with pytest.raises(ValueError, match=message):
        probe_listener(*arguments, **keywords)


def test_probe_listener_names_the_extra_when_gunicorn_is_missing(monkeypatch):
    """Without gunicorn installed, probe_listener() says which extra installs it."""
    monkeypatch.setitem(sys.modules, "gunicorn", None)
    with pytest.raises(MissingExtraError, match=r"pip install 'skiesish\[gunicorn\]'"):
        probe_listener("127.0.0.1:8081")


def test_probe_listener_takes_a_skiesish_probes_application():
    """A skiesish probes application is accepted as it is, and nothing is bound before gunicorn is ready."""
    probes = skiesish.contexts.wsgi(skiesish.probes())
    hooks = probe_listener("127.0.0.1:8081", probes)
    assert (hooks.probes, hooks.listener) == (probes, None)


def test_installed_hooks_pass_gunicorns_own_checks():
    """gunicorn's configuration accepts every installed hook, chained or not."""
    from gunicorn.config import Config

    namespace = {"post_request": lambda worker, req, environ: None, "child_exit": lambda server, worker: None}
    probe_listener("127.0.0.1:8081").install(namespace)
    config = Config()
    for name in ("when_ready", "on_reload", "pre_fork", "post_fork", "post_worker_init", "pre_request"):
        config.set(name, namespace[name])
    for name in ("post_request", "child_exit", "worker_exit", "on_exit"):
        config.set(name, namespace[name])


def test_install_chains_the_configurations_own_hook():
    """A hook defined before install() still runs, with the arguments it takes."""
    calls = []
    namespace = {"post_request": lambda worker, req: calls.append((worker, req))}
    probe_listener("127.0.0.1:8081").install(namespace)
    namespace["post_request"]("worker", "request", {}, "response")
    assert calls == [("worker", "request")]


def test_install_refuses_a_hook_gunicorn_could_not_call():
    """A hook of the configuration with the wrong arguments is refused, naming it."""
    namespace = {"pre_fork": lambda server: None}
    with pytest.raises(ConfigurationError, match="pre_fork must be a function of 2 arguments"):
        probe_listener("127.0.0.1:8081").install(namespace)


def test_install_twice_is_refused():
    """Installing the hooks twice would count every request twice: refused."""
    namespace: dict[str, object] = {}
    probe_listener("127.0.0.1:8081").install(namespace)
    with pytest.raises(ConfigurationError, match="install\\(\\) was already called"):
        probe_listener("127.0.0.1:8082").install(namespace)
