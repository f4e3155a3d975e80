"""Liveness probes while the application's workers are saturated or wedged, and the heartbeat behind them.

Run with the project's virtualenv: ``.venv/bin/python benchmarks/saturation.py [--quick]``.
Progress goes to stderr; the report (Markdown, ready for docs/performance.md)
goes to stdout. What it measures, side by side in one run:

1. Probe latency and timeouts, 200 probes one after another (1 s client
   timeout, Kubernetes' default), while ``--threads + 2`` clients keep slow
   requests in flight against the application (every worker busy, work
   queued): skiesish's ``/livez`` on the main port, the same process's
   ``/livez`` on its probe listener (``skiesish serve --probe-listen``), and
   flask-healthz's liveness on the main port of a Flask app under waitress.
2. A wedged pool: every worker blocked for good (``--stall-after 2``); the
   seconds until the probe listener's ``/livez`` fails, and after the workers
   are released, until it passes again.
3. Canary versus counters: the implemented heartbeat (tasks started and
   finished) against a canary task pushed through waitress's queue
   (prototyped in ``apps/saturation_heartbeats.py``, not in the library), on
   an idle, a busy-but-progressing and a wedged pool; plus the counters'
   cost per request, measured in process with ``timeit``.
"""

from __future__ import annotations

import argparse
import contextlib
import dataclasses
import datetime
import json
import math
import os
import re
import shlex
import socket
import statistics
import subprocess
import sys
import tempfile
import threading
import time
import timeit
from collections import deque
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

from harness.client import fetch
from harness.environment import (
    MAIN_DISTRIBUTIONS,
    Machine,
    describe_machine,
    ensure_peers_venv,
    package_versions,
)
from harness.errors import BenchmarkError
from harness.report import Outcome, Section, Target, markdown_table, render_section, render_targets
from harness.server import App, Servers, last_line, stop
from harness.settings import BENCHMARKS_DIR

#: Kubernetes' default ``timeoutSeconds``: a probe unanswered after this long has failed.
PROBE_TIMEOUT = 1.0
#: How often the wedge and heartbeat measurements look.
POLL_INTERVAL = 0.05
STARTUP_TIMEOUT = 30.0
#: Requests queued beyond the workers, both while pinning and while wedging.
QUEUED = 2
#: Seconds for the pinning requests to reach their servers before the probes start.
PIN_SETTLE = 1.5
#: ``--stall-after`` of the wedged pool and of the heartbeat comparison.
STALL_AFTER = 2.0
#: The heartbeat comparison's busy pool: 2 workers, 1 s requests, 6 more always waiting.
HEARTBEAT_THREADS = 2
BUSY_REQUEST_SECONDS = 1.0
BUSY_QUEUE = 6
#: How long past its target a wedge may go unreported before the measurement gives up on it.
WEDGE_GRACE = 5.0
RECOVERY_TIMEOUT = 5.0
BLOCK_TIMEOUT = 10.0

PROBE_LISTENER_P99_MS = 20.0
PEER_DISTRIBUTIONS = ("flask-healthz", "Flask", "Werkzeug", "waitress")
SKIESISH_APP = "apps.saturation_skiesish:application"
FLASK_APP = App("flask-healthz on Flask", "apps.saturation_flask_healthz", "peers", "/healthz/live")
BLOCK_FILE_ENV, RELEASE_FILE_ENV = "BENCH_BLOCK_FILE", "BENCH_RELEASE_FILE"
MECHANISMS = {"counters": "counters (implemented)", "canary": "canary (prototype)"}


@dataclasses.dataclass(frozen=True)
class Plan:
    """What one run measures and for how long."""

    probes: int = 200
    threads: int = 4
    slow: float = 5.0
    idle: float = 4.0
    busy: float = 12.0
    calls: int = 200_000
    repeat: int = 5
    quick: bool = False

    @property
    def listener_spacing(self) -> float:
        """Seconds from one probe listener probe to the next: the series spans two slow requests' time."""
        return 2 * self.slow / self.probes

    @classmethod
    def choose(cls, quick: bool, probes: int | None, threads: int, slow: float) -> Plan:
        """The full plan (about 3.5 minutes: 200 probes, mostly 1 s timeouts) or ``--quick`` (1 minute)."""
        base = cls(probes=50, idle=2.0, busy=7.0, calls=50_000, repeat=3, quick=True) if quick else cls()
        return dataclasses.replace(base, probes=probes or base.probes, threads=threads, slow=slow)


def progress(message: str) -> None:
    """Say what is happening, on stderr, so stdout stays pure Markdown."""
    print(f"[saturation] {message}", file=sys.stderr, flush=True)


# --- probes --------------------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class ProbeOutcome:
    """One probe: answered (with its status), timed out, or failed otherwise."""

    kind: str  # "answered", "timeout" or "error"
    seconds: float
    status: int = 0
    detail: str = ""


def probe(url: str) -> ProbeOutcome:
    """GET ``url`` on a fresh connection, as the kubelet does; more than 1 s in all is a timeout."""
    started = time.perf_counter()
    try:
        answer = fetch(url, timeout=PROBE_TIMEOUT)
    except BenchmarkError as error:
        kind = "timeout" if isinstance(error.__cause__, TimeoutError) else "error"
        return ProbeOutcome(kind, time.perf_counter() - started, detail=str(error))
    if answer.seconds > PROBE_TIMEOUT:
        return ProbeOutcome("timeout", answer.seconds, answer.status, "answered after the timeout")
    return ProbeOutcome("answered", answer.seconds, answer.status)


def probe_series(url: str, count: int, spacing: float = 0.0) -> list[ProbeOutcome]:
    """``count`` probes, each sent when the last one ended and at least ``spacing`` s after it started."""
    outcomes = []
    for _ in range(count):
        started = time.monotonic()
        outcomes.append(probe(url))
        time.sleep(max(0.0, spacing - (time.monotonic() - started)))
    return outcomes


def nearest_rank(values: Sequence[float], share: float) -> float:
    """The nearest-rank percentile ``share`` (0-1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


def milliseconds(seconds: float) -> str:
    """``"3.2 ms"``, or the timeout for a probe without an answer in time."""
    if math.isinf(seconds):
        return f"> {PROBE_TIMEOUT:g} s (timed out)"
    return f"{seconds * 1000:,.1f} ms"


@dataclasses.dataclass(frozen=True)
class SeriesSummary:
    """The latency figures of one probe series; unanswered probes count as infinitely slow."""

    count: int
    p50: float
    p99: float
    slowest_answer: float | None
    passing: int
    failing: int
    timeouts: int
    errors: int
    first_error: str

    @classmethod
    def of(cls, outcomes: Sequence[ProbeOutcome]) -> SeriesSummary:
        latencies = [item.seconds if item.kind == "answered" else math.inf for item in outcomes]
        answered = [item for item in outcomes if item.kind == "answered"]
        errors = [item for item in outcomes if item.kind == "error"]
        return cls(
            count=len(outcomes),
            p50=nearest_rank(latencies, 0.50),
            p99=nearest_rank(latencies, 0.99),
            slowest_answer=max((item.seconds for item in answered), default=None),
            passing=sum(1 for item in answered if 200 <= item.status < 300),
            failing=sum(1 for item in answered if not 200 <= item.status < 300),
            timeouts=sum(1 for item in outcomes if item.kind == "timeout"),
            errors=len(errors),
            first_error=errors[0].detail if errors else "",
        )


# --- load and observation --------------------------------------------------------------------------


class Pinning:
    """``count`` clients, each sending its next request to ``url`` as soon as the last one returned.

    With ``once``, each client sends one request only.
    """

    def __init__(self, name: str, url: str, count: int, timeout: float, once: bool = False) -> None:
        self.name, self.url, self.timeout, self.once = name, url, timeout, once
        self.completed = 0
        self.failed = 0
        self.last_failure = ""
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._threads = [
            threading.Thread(target=self._loop, name=f"{name}-{index}", daemon=True) for index in range(count)
        ]

    def start(self) -> Pinning:
        for thread in self._threads:
            thread.start()
        return self

    def stop(self) -> None:
        """Send nothing more (the requests in flight end when they are answered or their server stops)."""
        self._stop.set()

    def join(self, timeout: float) -> None:
        give_up = time.monotonic() + timeout
        for thread in self._threads:
            thread.join(max(0.0, give_up - time.monotonic()))

    def _loop(self) -> None:
        while not self._stop.is_set():
            try:
                answer = fetch(self.url, timeout=self.timeout)
            except BenchmarkError as error:
                with self._lock:
                    self.failed += not self._stop.is_set()
                    self.last_failure = str(error)
                if self.once:
                    return
                self._stop.wait(0.1)
                continue
            with self._lock:
                if 200 <= answer.status < 300:
                    self.completed += 1
                else:
                    self.failed += 1
                    self.last_failure = answer.status_line
            if self.once:
                return


class Poller:
    """Calls ``observe`` every 50 ms on a thread of its own and keeps ``(time.time(), observation)``."""

    def __init__(self, observe: Callable[[], Any]) -> None:
        self._observe = observe
        self._samples: list[tuple[float, Any]] = []
        self._lock = threading.Lock()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._loop, name="poller", daemon=True)

    def __enter__(self) -> Poller:
        self._thread.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._stop.set()
        self._thread.join(PROBE_TIMEOUT + 1)

    def _loop(self) -> None:
        next_at = time.monotonic()
        while not self._stop.is_set():
            seen_at = time.time()
            observation = self._observe()
            with self._lock:
                self._samples.append((seen_at, observation))
            next_at += POLL_INTERVAL
            self._stop.wait(max(0.0, next_at - time.monotonic()))

    def samples(self, start: float = 0.0, end: float = math.inf) -> list[tuple[float, Any]]:
        """The samples taken from ``start`` to ``end`` (``time.time()``)."""
        with self._lock:
            return [(at, seen) for at, seen in self._samples if start <= at <= end]

    def first(self, after: float, predicate: Callable[[Any], bool]) -> float | None:
        """When ``predicate`` first held at or after ``after``, if it did."""
        return next((at for at, seen in self.samples(after) if predicate(seen)), None)

    def wait_for(self, after: float, predicate: Callable[[Any], bool], timeout: float) -> float | None:
        """Wait (at most ``timeout`` s) until a sample after ``after`` satisfies ``predicate``."""
        give_up = time.monotonic() + timeout
        while time.monotonic() < give_up:
            found = self.first(after, predicate)
            if found is not None:
                return found
            time.sleep(POLL_INTERVAL / 2)
        return self.first(after, predicate)


def livez_status(url: str) -> int | str:
    """The status of one probe to ``url``, or ``"timeout"`` / ``"error"``."""
    outcome = probe(url)
    return outcome.status if outcome.kind == "answered" else outcome.kind


def heartbeat_states(url: str) -> dict[str, tuple[bool, str]] | None:
    """Each mechanism's ``(passed, output)`` from the heartbeat server's ``/state``, or ``None``."""
    try:
        answer = fetch(url, timeout=PROBE_TIMEOUT)
    except BenchmarkError:
        return None
    found = answer.json()
    if not isinstance(found, dict):
        return None
    return {name: (bool(state[0]), str(state[1])) for name, state in found.items()}


# --- servers -------------------------------------------------------------------------------------


def free_ports(count: int) -> list[int]:
    """``count`` distinct ports free on 127.0.0.1 a moment ago."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [int(sock.getsockname()[1]) for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


@contextlib.contextmanager
def server_process(
    command: list[str], log_file: Path, environment: dict[str, str]
) -> Iterator[subprocess.Popen[bytes]]:
    """Run ``command`` from ``benchmarks/``, logging to ``log_file``; terminate (then kill) it afterwards."""
    with open(log_file, "wb") as log:
        process = subprocess.Popen(
            command,
            cwd=BENCHMARKS_DIR,
            env={**os.environ, **environment},
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
    try:
        yield process
    finally:
        stop(process)


def wait_answering(process: subprocess.Popen[bytes], urls: Iterable[str], log_file: Path) -> None:
    """Return once every URL answers 200.

    Raises:
        BenchmarkError: the server exited first or took longer than 30 s.
    """
    pending = deque(urls)
    give_up = time.monotonic() + STARTUP_TIMEOUT
    while pending:
        if process.poll() is not None:
            raise BenchmarkError(f"the server exited with {process.returncode}: {last_line(log_file)}")
        if time.monotonic() > give_up:
            raise BenchmarkError(f"{pending[0]} did not answer 200 within {STARTUP_TIMEOUT:.0f} s")
        with contextlib.suppress(BenchmarkError):
            if fetch(pending[0], timeout=PROBE_TIMEOUT).status == 200:
                pending.popleft()
                continue
        time.sleep(POLL_INTERVAL)


@contextlib.contextmanager
def skiesish_serve(
    workdir: Path,
    name: str,
    threads: int,
    stall_after: float | None = None,
    environment: dict[str, str] | None = None,
) -> Iterator[tuple[str, str]]:
    """``skiesish serve`` of the dispatcher app with a probe listener; yield both base URLs."""
    main_port, probe_port = free_ports(2)
    command = [sys.executable, "-m", "skiesish", "serve", SKIESISH_APP, "--listen", f"127.0.0.1:{main_port}"]
    command += ["--threads", str(threads), "--probe-listen", f"127.0.0.1:{probe_port}"]
    if stall_after is not None:
        command += ["--stall-after", f"{stall_after:g}"]
    log_file = workdir / f"{name}.log"
    with server_process(command, log_file, environment or {}) as process:
        main, probes = f"http://127.0.0.1:{main_port}", f"http://127.0.0.1:{probe_port}"
        wait_answering(process, [f"{main}/livez", f"{probes}/livez"], log_file)
        yield main, probes


@contextlib.contextmanager
def heartbeats_server(workdir: Path, environment: dict[str, str]) -> Iterator[tuple[str, str]]:
    """``apps/saturation_heartbeats.py`` (both heartbeats on one pool); yield its base URL and ``/state``."""
    port_file, log_file = workdir / "heartbeats.port", workdir / "heartbeats.log"
    command = [sys.executable, "-m", "apps.saturation_heartbeats", "--threads", str(HEARTBEAT_THREADS)]
    command += ["--stall-after", f"{STALL_AFTER:g}", "--port-file", str(port_file)]
    with server_process(command, log_file, environment) as process:
        give_up = time.monotonic() + STARTUP_TIMEOUT
        while not port_file.exists():
            if process.poll() is not None:
                raise BenchmarkError(f"the server exited with {process.returncode}: {last_line(log_file)}")
            if time.monotonic() > give_up:
                raise BenchmarkError(f"the heartbeat server was not listening after {STARTUP_TIMEOUT:.0f} s")
            time.sleep(POLL_INTERVAL)
        ports = json.loads(port_file.read_text(encoding="ascii"))
        main, state = f"http://127.0.0.1:{ports['main']}", f"http://127.0.0.1:{ports['state']}/state"
        wait_answering(process, [f"{main}/livez", state], log_file)
        yield main, state


@dataclasses.dataclass(frozen=True)
class BlockFiles:
    """Where ``/block`` records its starts, and the file whose existence releases it."""

    block: Path
    release: Path

    @classmethod
    def make(cls, workdir: Path, name: str) -> BlockFiles:
        files = cls(workdir / f"{name}.blocked", workdir / f"{name}.release")
        files.block.unlink(missing_ok=True)
        files.release.unlink(missing_ok=True)
        return files

    @property
    def environment(self) -> dict[str, str]:
        return {BLOCK_FILE_ENV: str(self.block), RELEASE_FILE_ENV: str(self.release)}

    def wedged_at(self, workers: int) -> float:
        """When the last of ``workers`` blocked requests started (``time.time()``), waiting up to 10 s."""
        give_up = time.monotonic() + BLOCK_TIMEOUT
        while time.monotonic() < give_up:
            starts = self.block.read_text(encoding="ascii").split() if self.block.exists() else []
            if len(starts) >= workers:
                return max(float(start) for start in starts[:workers])
            time.sleep(POLL_INTERVAL / 5)
        raise BenchmarkError(f"{workers} workers were not all blocked after {BLOCK_TIMEOUT:.0f} s")


@dataclasses.dataclass(frozen=True)
class Wedge:
    """When every worker was blocked and when they were released (``time.time()``), and what came back."""

    wedged_at: float
    released_at: float
    answered: int
    sent: int


def wedge_and_release(
    main: str, workers: int, files: BlockFiles, poller: Poller, stalled: Callable[[Any], bool], limit: float
) -> Wedge:
    """Block every worker (and queue ``QUEUED`` more), wait for ``stalled`` (at most ``limit`` s), release.

    After the release, waits until the poller has seen ``not stalled`` (at
    most 5 s) and until the blocked requests are answered.
    """
    blockers = Pinning("block", f"{main}/block", workers + QUEUED, timeout=limit + 60, once=True).start()
    try:
        wedged_at = files.wedged_at(workers)
        poller.wait_for(wedged_at, stalled, timeout=limit)
    finally:
        released_at = time.time()
        files.release.touch()
    poller.wait_for(released_at, lambda seen: not stalled(seen), timeout=RECOVERY_TIMEOUT)
    blockers.join(RECOVERY_TIMEOUT + 5)
    return Wedge(wedged_at, released_at, blockers.completed, workers + QUEUED)


# --- 2. the wedged pool ----------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class WedgeResult:
    """The probe listener's ``/livez`` around a wedge."""

    wedge: Wedge
    detected_after: float | None
    recovered_after: float | None
    polls: int
    unanswered_polls: int


def measure_wedge(plan: Plan, workdir: Path) -> WedgeResult:
    """Wedge ``skiesish serve --stall-after 2`` and time its probe listener's verdicts."""
    files = BlockFiles.make(workdir, "wedge")
    server = skiesish_serve(workdir, "wedge", plan.threads, STALL_AFTER, files.environment)
    with server as (main, probes), Poller(lambda: livez_status(f"{probes}/livez")) as poller:
        time.sleep(0.5)
        wedge = wedge_and_release(
            main, plan.threads, files, poller, lambda seen: seen == 500, STALL_AFTER + WEDGE_GRACE
        )
        samples = poller.samples(wedge.wedged_at)
    failed = next((at for at, seen in samples if seen == 500), None)
    passed = next((at for at, seen in samples if at >= wedge.released_at and seen == 200), None)
    return WedgeResult(
        wedge=wedge,
        detected_after=None if failed is None else failed - wedge.wedged_at,
        recovered_after=None if passed is None else passed - wedge.released_at,
        polls=len(samples),
        unanswered_polls=sum(1 for _, seen in samples if not isinstance(seen, int)),
    )


# --- 3. canary versus counters -------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Phase:
    """One pool state of the heartbeat comparison: its samples, and for the wedge, its moments."""

    name: str
    start: float
    end: float
    samples: list[tuple[float, Any]]
    wedge: Wedge | None = None


def measure_heartbeats(plan: Plan, workdir: Path) -> list[Phase]:
    """An idle, a busy and a wedged pool of 2 workers, both heartbeats polled every 50 ms."""
    files = BlockFiles.make(workdir, "heartbeats")
    phases: list[Phase] = []
    with (
        heartbeats_server(workdir, files.environment) as (main, state),
        Poller(lambda: heartbeat_states(state)) as poller,
    ):
        start = time.time()
        time.sleep(plan.idle)
        phases.append(Phase("idle", start, time.time(), poller.samples(start)))

        busy = Pinning(
            "busy",
            f"{main}/slow/{BUSY_REQUEST_SECONDS:.3f}",
            HEARTBEAT_THREADS + BUSY_QUEUE,
            timeout=60,
        )
        start = time.time()
        busy.start()
        try:
            time.sleep(plan.busy)
        finally:
            busy.stop()
        end = time.time()
        phases.append(Phase("busy", start, end, poller.samples(start, end)))
        busy.join(BUSY_REQUEST_SECONDS * (BUSY_QUEUE + HEARTBEAT_THREADS) + 10)
        time.sleep(1.0)  # the canary in the queue runs; the counters see the pool idle

        def both_failing(seen: Any) -> bool:
            return seen is not None and not any(passed for passed, _ in seen.values())

        limit = STALL_AFTER + WEDGE_GRACE
        wedge = wedge_and_release(main, HEARTBEAT_THREADS, files, poller, both_failing, limit)
        poller.wait_for(
            wedge.released_at, lambda seen: seen is not None and all(p for p, _ in seen.values()), 2
        )
        phases.append(Phase("wedged", wedge.wedged_at, time.time(), poller.samples(wedge.wedged_at), wedge))
    return phases


def _waiting_range(samples: list[tuple[float, Any]]) -> str:
    """The queue depths the counters reported (``"N waiting"`` in their output), the canary included."""
    depths = sorted(
        int(found.group(1))
        for _, seen in samples
        if seen is not None
        for found in [re.search(r"(\d+) waiting", seen["counters"][1])]
        if found
    )
    if not depths:
        return "queue depth unknown"
    spread = f"{depths[0]}" if depths[0] == depths[-1] else f"{depths[0]}-{depths[-1]}"
    return f"{spread} waiting (median {depths[len(depths) // 2]}, the canary included)"


def describe_phase(phase: Phase, mechanism: str) -> str:
    """What ``mechanism`` reported during ``phase``, in one cell."""
    seen = [(at, states[mechanism]) for at, states in phase.samples if states is not None]
    if not seen:
        return "no answer from the heartbeat server"
    if phase.wedge is not None:
        wedge = phase.wedge
        failed = next((at for at, (passed, _) in seen if not passed), None)
        recovered = next((at for at, (passed, _) in seen if at >= wedge.released_at and passed), None)
        if failed is None or failed > wedge.released_at:
            fail_text = f"**pass**: no failure in the {wedge.released_at - wedge.wedged_at:.1f} s wedged"
        else:
            fail_text = f"fail {failed - wedge.wedged_at:.2f} s after the last worker blocked"
        back = "not within 2 s" if recovered is None else f"{recovered - wedge.released_at:.2f} s"
        return f"{fail_text}; pass again {back} after the release"
    failing = [at for at, (passed, _) in seen if not passed]
    longest = _longest_quiet(phase, mechanism, [output for _, (_, output) in seen])
    if not failing:
        return f"pass throughout ({len(seen)} polls over {phase.end - phase.start:.0f} s{longest})"
    share = len(failing) / len(seen)
    return (
        f"**fail** in {len(failing)} of {len(seen)} polls ({share:.0%}), first "
        f"{failing[0] - phase.start:.1f} s after the load began{longest}"
    )


def _longest_quiet(phase: Phase, mechanism: str, outputs: list[str]) -> str:
    """For a busy pool: the longest time without a start or finish, or the longest canary wait."""
    if phase.name != "busy":
        return ""
    pattern, what = {
        "counters": (r"last start or finish ([\d.]+) (s) ago", "at most {} without a start or finish"),
        "canary": (r"waited ([\d.]+) (ms|s)", "canaries waited up to {}"),
    }[mechanism]
    found = [
        float(match.group(1)) / (1000 if match.group(2) == "ms" else 1)
        for output in outputs
        for match in [re.search(pattern, output)]
        if match
    ]
    return f"; {what.format(f'{max(found):.1f} s')}" if found else ""


# --- the counters' cost --------------------------------------------------------------------------


@dataclasses.dataclass(frozen=True)
class Cost:
    """Nanoseconds per call of one path, bare and counted."""

    label: str
    bare_ns: float
    counted_ns: float


def _median_ns(call: Callable[[], object], calls: int, repeat: int) -> float:
    call()
    return statistics.median(timeit.repeat(call, number=calls, repeat=repeat)) / calls * 1e9


def measure_cost(plan: Plan) -> list[Cost]:
    """The counters' cost per request: the WSGI wrapper, and waitress's task hook, against neither."""
    from skiesish.probe_listener import ThreadPoolWatch

    body = b"ok"
    headers = [("Content-Type", "text/plain"), ("Content-Length", "2")]
    environ = {"REQUEST_METHOD": "GET", "PATH_INFO": "/", "SERVER_NAME": "localhost", "SERVER_PORT": "80"}

    def app(environ: dict[str, Any], start_response: Callable[..., Any]) -> list[bytes]:
        start_response("200 OK", headers)
        return [body]

    def start_response(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> None:
        return None

    def serve_with(application: Callable[..., Iterable[bytes]]) -> Callable[[], None]:
        def request() -> None:  # what a WSGI server does with one request
            answer = application(environ, start_response)
            for _ in answer:
                pass
            close = getattr(answer, "close", None)
            if close is not None:
                close()

        return request

    counted = ThreadPoolWatch(capacity=4, stall_after=30).wsgi(app)
    wsgi = Cost(
        "WSGI wrapper: `ThreadPoolWatch(...).wsgi(app)` around a trivial app",
        _median_ns(serve_with(app), plan.calls, plan.repeat),
        _median_ns(serve_with(counted), plan.calls, plan.repeat),
    )

    class Task:
        def service(self) -> None:
            app(environ, start_response)

    class Dispatcher:  # waitress's, reduced to running each task at once
        def __init__(self) -> None:
            self.threads = {0, 1, 2, 3}
            self.stop_count = 0
            self.queue: deque[Any] = deque()

        def add_task(self, task: Any) -> None:
            task.service()

    class Server:
        task_dispatcher = Dispatcher()

    task = Task()
    dispatcher = Server.task_dispatcher
    bare_ns = _median_ns(lambda: dispatcher.add_task(task), plan.calls, plan.repeat)
    ThreadPoolWatch.for_waitress(Server(), stall_after=30)  # now every task goes through _CountedTask
    hooked_ns = _median_ns(lambda: dispatcher.add_task(task), plan.calls, plan.repeat)
    hook = Cost(
        "waitress hook: `ThreadPoolWatch.for_waitress` (`_CountedTask`) around a task", bare_ns, hooked_ns
    )
    return [wsgi, hook]


# --- the run -------------------------------------------------------------------------------------


@dataclasses.dataclass
class Results:
    """Everything one run measured; a measurement that failed is kept as its error."""

    series: dict[str, list[ProbeOutcome] | BenchmarkError] = dataclasses.field(default_factory=dict)
    pinning: dict[str, str] = dataclasses.field(default_factory=dict)
    wedge: WedgeResult | BenchmarkError | None = None
    heartbeats: list[Phase] | BenchmarkError | None = None
    cost: list[Cost] | BenchmarkError | None = None
    seconds: dict[str, float] = dataclasses.field(default_factory=dict)


def run_series(results: Results, key: str, url: str, count: int, spacing: float = 0.0) -> None:
    started = time.monotonic()
    results.series[key] = probe_series(url, count, spacing)
    results.seconds[key] = time.monotonic() - started
    progress(f"{key}: {count} probes in {results.seconds[key]:.0f} s")


def measure_during(plan: Plan, workdir: Path, results: Results) -> None:
    """The wedge and heartbeat measurements, each on its own server."""
    progress("wedged pool (skiesish serve --stall-after 2)")
    try:
        results.wedge = measure_wedge(plan, workdir)
    except BenchmarkError as error:
        results.wedge = error
    progress(f"canary versus counters (idle {plan.idle:g} s, busy {plan.busy:g} s, wedged)")
    try:
        results.heartbeats = measure_heartbeats(plan, workdir)
    except BenchmarkError as error:
        results.heartbeats = error


def measure_all(plan: Plan, workdir: Path, servers: Servers) -> Results:
    """Probe latency under pinned workers; meanwhile, the wedge and heartbeat measurements; then the cost.

    The probe listener's series runs alone first. The two main-port series
    (mostly 1 s timeouts) then run at the same time, and the wedge and
    heartbeat measurements, each on a server of its own, run while they wait.
    """
    results = Results()
    slow = f"/slow/{plan.slow:.3f}"
    pins: list[Pinning] = []
    with contextlib.ExitStack() as stack:
        stack.callback(lambda: [pin.join(5) for pin in pins])  # last: after the servers are gone
        urls: dict[str, str] = {}
        progress(f"skiesish serve --threads {plan.threads} --probe-listen")
        try:
            main, probes = stack.enter_context(skiesish_serve(workdir, "skiesish", plan.threads))
            urls |= {"main": f"{main}/livez", "listener": f"{probes}/livez"}
            pins.append(Pinning("skiesish", main + slow, plan.threads + QUEUED, plan.slow * 3 + 30))
        except BenchmarkError as error:
            results.series["main"] = results.series["listener"] = error
        progress(f"flask-healthz under waitress --threads {plan.threads}")
        try:
            health = stack.enter_context(servers.running(FLASK_APP))
            urls["flask"] = health
            base = health.removesuffix(FLASK_APP.path)
            pins.append(Pinning("flask", base + slow, plan.threads + QUEUED, plan.slow * 3 + 30))
        except BenchmarkError as error:
            results.series["flask"] = error
        stack.callback(lambda: [pin.stop() for pin in pins])  # first: no new slow requests
        for pin in pins:
            pin.start()
        time.sleep(PIN_SETTLE)
        if "listener" in urls:
            run_series(results, "listener", urls["listener"], plan.probes, plan.listener_spacing)
        probers = [
            threading.Thread(target=run_series, args=(results, key, urls[key], plan.probes), daemon=True)
            for key in ("main", "flask")
            if key in urls
        ]
        for prober in probers:
            prober.start()
        measure_during(plan, workdir, results)
        give_up = time.monotonic() + plan.probes * (PROBE_TIMEOUT + 1) + 60
        for prober in probers:
            prober.join(max(0.0, give_up - time.monotonic()))
        for key in ("main", "flask"):
            if key in urls and key not in results.series:
                results.series[key] = BenchmarkError("the probes did not finish in time")
        for pin in pins:
            results.pinning[pin.name] = f"{pin.completed} slow requests answered, {pin.failed} failed" + (
                f" (last: {pin.last_failure})" if pin.failed else ""
            )
    progress(f"counters' cost in process ({plan.repeat} x {plan.calls:,} calls)")
    try:
        results.cost = measure_cost(plan)
    except Exception as error:  # noqa: BLE001 - the other measurements must still be reported
        results.cost = BenchmarkError(f"{type(error).__name__}: {error}")
    return results


# --- the report ----------------------------------------------------------------------------------

ROWS = {
    "main": ("(a) skiesish `/livez`", "main port (the workers')"),
    "listener": ("(b) skiesish `/livez`", "probe listener (`--probe-listen`)"),
    "flask": ("(c) flask-healthz `/healthz/live`", "main port (the workers')"),
}


def latency_section(plan: Plan, results: Results) -> Section:
    headers = [
        "probe",
        "port",
        "p50",
        "p99",
        "slowest answer",
        "2xx",
        "non-2xx",
        "timeouts (> 1 s)",
        "errors",
    ]
    section = Section(
        name="saturated",
        title=f"Probes while every worker is busy ({plan.threads} threads, "
        f"{plan.threads + QUEUED} slow requests)",
        description=(
            f"Each server has {plan.threads} waitress threads; {plan.threads + QUEUED} clients keep a "
            f"request sleeping {plan.slow:g} s in flight at all times (each sends its next one as soon as "
            f"the last is answered), so every worker is busy and {QUEUED} requests wait in the queue. "
            f"{plan.probes} probes are then sent one after another, each on a new connection with a "
            f"{PROBE_TIMEOUT:g} s timeout (Kubernetes' default). p50 and p99 are nearest-rank over all "
            "probes, an unanswered one counting as slower than any answer. The probe listener's series ran "
            f"alone, one probe every {plan.listener_spacing * 1000:.0f} ms so that it spans "
            f"{plan.probes * plan.listener_spacing:g} s, two rounds of slow requests finishing and "
            "being replaced. The two main-port series (each probe sent as soon as the last one ended) "
            "then ran at the same time, while the measurements below ran on servers of their own."
        ),
        headers=headers,
    )
    for key, (label, port) in ROWS.items():
        measured = results.series.get(key)
        if isinstance(measured, BenchmarkError) or measured is None:
            section.rows.append([label, port, f"error: {measured}", *[""] * (len(headers) - 3)])
            continue
        summary = SeriesSummary.of(measured)
        slowest = "none" if summary.slowest_answer is None else milliseconds(summary.slowest_answer)
        errors = f"{summary.errors} ({summary.first_error})" if summary.errors else "0"
        section.rows.append(
            [
                label,
                port,
                milliseconds(summary.p50),
                milliseconds(summary.p99),
                slowest,
                str(summary.passing),
                str(summary.failing),
                str(summary.timeouts),
                errors,
            ]
        )
    for name, line in results.pinning.items():
        section.notes.append(f"pinning load on the {name} server: {line}.")
    for key, seconds in results.seconds.items():
        section.notes.append(
            f"{ROWS[key][0]} on the {ROWS[key][1]}: {plan.probes} probes took {seconds:.0f} s."
        )
    section.targets += latency_targets(results)
    return section


def latency_targets(results: Results) -> list[Target]:
    listener = results.series.get("listener")
    subject = "skiesish probe listener `/livez`"
    goal_p99 = f"p99 <= {PROBE_LISTENER_P99_MS:g} ms"
    if not isinstance(listener, list):
        return [
            Target("saturated", subject, goal_p99, str(listener), Outcome.ERROR),
            Target("saturated", subject, "0 timeouts", str(listener), Outcome.ERROR),
        ]
    summary = SeriesSummary.of(listener)
    p99_met = summary.p99 * 1000 <= PROBE_LISTENER_P99_MS
    others = []
    for key in ("main", "flask"):
        measured = results.series.get(key)
        count = SeriesSummary.of(measured).timeouts if isinstance(measured, list) else "error"
        others.append(f"{ROWS[key][0].split(' ', 1)[1]} on its main port: {count}")
    clean = summary.timeouts == 0 and summary.errors == 0
    return [
        Target(
            "saturated",
            subject,
            goal_p99,
            milliseconds(summary.p99),
            Outcome.MET if p99_met else Outcome.MISSED,
        ),
        Target(
            "saturated",
            subject,
            "0 timeouts",
            f"{summary.timeouts} of {summary.count} (against {'; '.join(others)})",
            Outcome.MET if clean else Outcome.MISSED,
        ),
    ]


def wedge_section(plan: Plan, results: Results) -> Section:
    target = STALL_AFTER + 1
    section = Section(
        name="wedged",
        title=f"A wedged pool: `skiesish serve --threads {plan.threads} --stall-after {STALL_AFTER:g}`",
        description=(
            f"{plan.threads} requests block their workers on an Event nobody sets and {QUEUED} more wait in "
            f"the queue. The probe listener's `/livez` is polled every {POLL_INTERVAL * 1000:.0f} ms; the "
            "clock starts when the last worker blocked (its request's own record) and stops at the first "
            "500. Then the workers are released (a file the blocked requests look for every 50 ms) and the "
            f"clock runs until the first 200. Target: failing within stall_after + 1 s = {target:g} s."
        ),
        headers=["measurement", "seconds", "target"],
    )
    measured = results.wedge
    if not isinstance(measured, WedgeResult):
        section.rows.append(["wedged pool reported failing", f"error: {measured}", f"<= {target:g} s"])
        section.targets.append(
            Target("wedged", "probe listener `/livez`", f"<= {target:g} s", str(measured), Outcome.ERROR)
        )
        return section
    detected = "never" if measured.detected_after is None else f"{measured.detected_after:.2f} s"
    recovered = "not within 5 s" if measured.recovered_after is None else f"{measured.recovered_after:.2f} s"
    section.rows += [
        [
            "wedged pool reported failing (first 500 after the last worker blocked)",
            detected,
            f"<= {target:g} s",
        ],
        ["released pool reported passing (first 200 after the release)", recovered, ""],
    ]
    section.notes.append(
        f"{measured.polls} polls from the wedge on, {measured.unanswered_polls} unanswered; "
        f"{measured.wedge.answered} of the {measured.wedge.sent} blocked requests answered after the release."
    )
    met = measured.detected_after is not None and measured.detected_after <= target
    section.targets.append(
        Target(
            "wedged",
            "probe listener `/livez`",
            f"fails <= {target:g} s after the wedge",
            detected,
            Outcome.MET if met else Outcome.MISSED,
        )
    )
    return section


def heartbeat_section(plan: Plan, results: Results) -> Section:
    interval = min(1.0, STALL_AFTER / 4)
    section = Section(
        name="heartbeats",
        title="Canary versus counters: what each heartbeat reports",
        description=(
            f"One waitress server with {HEARTBEAT_THREADS} threads, watched both ways with stall_after "
            f"{STALL_AFTER:g} s (`apps/saturation_heartbeats.py`), both verdicts polled every "
            f"{POLL_INTERVAL * 1000:.0f} ms. **Counters** (implemented, `ThreadPoolWatch.for_waitress`): "
            "fail after stall_after without a task started or finished while no worker is free. **Canary** "
            f"(prototyped in the benchmark only): every {interval:g} s, unless one is still waiting, a "
            "no-op task goes into waitress's task queue; fail once it has waited more than stall_after for "
            f"a worker. Idle: no requests for {plan.idle:g} s. Busy: {HEARTBEAT_THREADS + BUSY_QUEUE} "
            f"clients keep {BUSY_REQUEST_SECONDS:g} s requests in flight for {plan.busy:g} s, so the pool "
            f"finishes {HEARTBEAT_THREADS / BUSY_REQUEST_SECONDS:g} requests a second with about "
            f"{BUSY_QUEUE} waiting ({BUSY_QUEUE * BUSY_REQUEST_SECONDS / HEARTBEAT_THREADS:g} s of work "
            f"ahead of anything queued, more than stall_after). Wedged: both workers blocked and {QUEUED} "
            "requests queued until released."
        ),
        headers=["pool", *MECHANISMS.values()],
    )
    phases = results.heartbeats
    if not isinstance(phases, list):
        section.rows.append(["all", f"error: {phases}", ""])
    else:
        for phase in phases:
            label = phase.name
            if phase.name == "busy":
                label = f"busy: {_waiting_range(phase.samples)}"
            section.rows.append([label, *(describe_phase(phase, mechanism) for mechanism in MECHANISMS)])
    costs = results.cost
    if isinstance(costs, list):
        added = "; ".join(
            f"+{cost.counted_ns - cost.bare_ns:,.0f} ns ({cost.label.split(':')[0]})" for cost in costs
        )
        section.rows.append(
            [
                "cost per request",
                f"{added}; {plan.repeat} x {plan.calls:,} calls",
                f"none; one no-op task through the queue every {interval:g} s",
            ]
        )
    else:
        section.rows.append(["cost per request", f"error: {costs}", ""])
    return section


def cost_section(plan: Plan, results: Results) -> Section:
    section = Section(
        name="cost",
        title="The counters' cost per request, in process",
        description=(
            f"`timeit`, median of {plan.repeat} runs of {plan.calls:,} calls on one thread (no server, no "
            "contention for the counters' lock): a trivial WSGI call (call, iterate, close, as a server "
            "does) with and without the wrapper, and a trivial task handed to a dispatcher that runs it at "
            "once, before and after `ThreadPoolWatch.for_waitress` wrapped its `add_task`."
        ),
        headers=["path", "bare", "counted", "added per request", "repetitions"],
    )
    costs = results.cost
    if not isinstance(costs, list):
        section.rows.append(["both", f"error: {costs}", "", "", ""])
        return section
    for cost in costs:
        section.rows.append(
            [
                cost.label,
                f"{cost.bare_ns:,.0f} ns",
                f"{cost.counted_ns:,.0f} ns",
                f"{cost.counted_ns - cost.bare_ns:,.0f} ns",
                f"{plan.repeat} x {plan.calls:,}",
            ]
        )
    return section


def versions_line(python: Path | None, distributions: tuple[str, ...], missing: str | None) -> str:
    """``name version, ...`` for one virtualenv, or why it is unavailable."""
    if python is None:
        return f"unavailable: {missing}"
    try:
        found = package_versions(python, distributions)
    except BenchmarkError as error:
        return f"unknown: {error}"
    return ", ".join(f"{name} {version}" for name, version in found.items())


def header(plan: Plan, machine: Machine, argv: list[str], versions: dict[str, str]) -> str:
    now = datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
    command = shlex.join(["python", "benchmarks/saturation.py", *argv])
    rows = [
        ["CPU", f"{machine.cpu}, {machine.cores} cores"],
        ["Python", machine.python],
        ["load average at start (1 / 5 / 15 min)", machine.load_average],
        [
            "servers",
            f"waitress, {plan.threads} threads (skiesish: `skiesish serve`; flask-healthz: "
            f"`benchmarks/serve.py`), on 127.0.0.1",
        ],
        [
            "runs",
            f"{plan.probes} probes per row ({PROBE_TIMEOUT:g} s timeout); wedge and heartbeats polled every "
            f"{POLL_INTERVAL * 1000:.0f} ms, idle {plan.idle:g} s, busy {plan.busy:g} s; cost: "
            f"{plan.repeat} x {plan.calls:,} calls (median)",
        ],
        ["skiesish", machine.skiesish_source],
        *[[name, line] for name, line in versions.items()],
    ]
    return "\n\n".join(
        [
            "## Saturation results",
            f"Measured on {now} with `{command}`.",
            markdown_table(["", "value"], rows),
        ]
    )


def parse_arguments(argv: list[str]) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument(
        "--quick", action="store_true", help="50 probes per row, shorter phases (about 1 minute)"
    )
    parser.add_argument("--probes", type=int, help="probes per row (default 200, quick 50)")
    parser.add_argument("--threads", type=int, default=4, help="waitress threads of the servers (default 4)")
    parser.add_argument(
        "--slow", type=float, default=5.0, help="seconds each pinning request sleeps (default 5)"
    )
    parser.add_argument("--no-install", action="store_true", help="never pip install the peers")
    arguments = parser.parse_args(argv)
    if (
        arguments.threads < 1
        or (arguments.probes is not None and arguments.probes < 1)
        or arguments.slow <= 0
    ):
        parser.error("--threads and --probes must be at least 1, --slow more than 0")
    return arguments


def main(argv: list[str]) -> int:
    arguments = parse_arguments(argv)
    started = time.monotonic()
    plan = Plan.choose(arguments.quick, arguments.probes, arguments.threads, arguments.slow)
    progress("peers virtualenv (benchmarks/.venv-peers)")
    try:
        peers, peers_problem = ensure_peers_venv(not arguments.no_install), None
    except BenchmarkError as error:
        peers, peers_problem = None, str(error)
    machine = describe_machine()
    versions = {
        "project venv": versions_line(Path(sys.executable), MAIN_DISTRIBUTIONS, None),
        "peers venv": versions_line(peers, PEER_DISTRIBUTIONS, peers_problem),
    }
    with tempfile.TemporaryDirectory(prefix="skiesish-saturation-") as workdir:
        pythons = {"main": Path(sys.executable)} | ({"peers": peers} if peers else {})
        unavailable = {"peers": peers_problem} if peers_problem else {}
        servers = Servers(pythons, unavailable, plan.threads, Path(workdir))
        results = measure_all(plan, Path(workdir), servers)
    sections = [
        latency_section(plan, results),
        wedge_section(plan, results),
        heartbeat_section(plan, results),
        cost_section(plan, results),
    ]
    report = [header(plan, machine, argv, versions), *map(render_section, sections), render_targets(sections)]
    report.append(f"_Whole run: {time.monotonic() - started:.0f} s._")
    print("\n\n".join(part for part in report if part))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
