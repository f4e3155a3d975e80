"""The probe listener and the heartbeats that keep it honest, in process: watches, listener, probes."""

from __future__ import annotations

import asyncio
import json
import logging
import socket
import threading
import time

import pytest
from conftest import http_get as get
from conftest import wait_until

import skiesish
from skiesish import ConfigurationError, EventLoopWatch, ProbeListener, ThreadPoolWatch, WorkerWatch
from skiesish.probe_listener import accepting, builtin_probes, start_probe_listener


def go_quiet(watch: ThreadPoolWatch, seconds: float = 100.0) -> None:
    """Make the watch's last progress ``seconds`` older, as if that long had passed without any."""
    watch._last_progress -= seconds


def detailed_probes() -> skiesish.contexts.WSGIContext:
    """A probes application that shows every check's output, for reading ``worker_pool``."""
    return skiesish.contexts.wsgi(skiesish.probes(format="health+json", details="always"))


@pytest.fixture
def listeners():
    """Start probe listeners on free ports; all are closed afterwards."""
    started: list[ProbeListener] = []

    def start(*arguments, **keywords) -> ProbeListener:
        listener = start_probe_listener("127.0.0.1:0", *arguments, **keywords)
        started.append(listener)
        return listener

    yield start
    for listener in started:
        listener.close()


# --- ThreadPoolWatch -------------------------------------------------------------------------------


def test_an_idle_pool_passes_however_long_it_was_quiet():
    """No busy worker and nothing waiting: quiet is idle, not stalled."""
    watch = ThreadPoolWatch(capacity=2, stall_after=1)
    go_quiet(watch)
    passed, output = watch.state()
    assert passed
    assert "0 of 2 workers busy" in output


def test_a_saturated_pool_without_progress_fails():
    """Every worker busy and nothing started or finished for stall_after: stalled."""
    watch = ThreadPoolWatch(capacity=2, stall_after=1)
    watch.started()
    watch.started()
    go_quiet(watch)
    passed, output = watch.state()
    assert not passed
    assert output.startswith("stalled: no worker started or finished a request for 10")


def test_a_saturated_pool_that_still_finishes_requests_passes():
    """A finish is progress: a busy pool that completes requests is alive."""
    watch = ThreadPoolWatch(capacity=2, stall_after=1)
    watch.started()
    watch.started()
    go_quiet(watch)
    watch.finished()
    watch.started()
    assert watch.state()[0]


def test_a_pool_with_a_free_worker_passes_while_one_request_runs_long():
    """One long request on a pool with a free worker is not a stall."""
    watch = ThreadPoolWatch(capacity=2, stall_after=1)
    watch.started()
    go_quiet(watch)
    assert watch.state()[0]


def test_waiting_work_without_progress_fails_even_with_idle_workers():
    """Work queued for stall_after while no worker starts it is a stall (its threads are gone)."""
    watch = ThreadPoolWatch(capacity=lambda: 0, stall_after=1, waiting=lambda: 3)
    go_quiet(watch)
    passed, output = watch.state()
    assert not passed
    assert "3 waiting" in output


def test_the_wsgi_middleware_counts_a_request_until_its_body_is_closed():
    """wsgi(app) counts a request busy from its call until the server closes the body."""
    watch = ThreadPoolWatch(capacity=1, stall_after=1)

    def application(environ, start_response):
        start_response("200 OK", [])
        return [b"ok"]

    body = watch.wsgi(application)({}, lambda *arguments: None)
    assert list(body) == [b"ok"]
    assert "1 of 1 workers busy" in watch.state()[1]
    body.close()
    assert "0 of 1 workers busy, 0 waiting, 1 finished" in watch.state()[1]


def test_the_wsgi_middleware_counts_a_request_whose_application_raises_as_finished():
    """An application that raises still ends its request's count, and the error goes on."""
    watch = ThreadPoolWatch(capacity=1, stall_after=1)

    def application(environ, start_response):
        raise KeyError("boom")

    with pytest.raises(KeyError):
        watch.wsgi(application)({}, lambda *arguments: None)
    assert "0 of 1 workers busy, 0 waiting, 1 finished" in watch.state()[1]


def test_the_wsgi_middleware_closes_the_applications_body_once():
    """The wrapped body's own close() runs, once, however often the server closes."""
    watch = ThreadPoolWatch(capacity=1, stall_after=1)
    closed = []

    class Body(list):
        def close(self):
            closed.append(True)

    counted = watch.wsgi(lambda environ, start_response: Body([b"x"]))({}, None)
    counted.close()
    counted.close()
    assert closed == [True]
    assert "1 finished" in watch.state()[1]


@pytest.mark.parametrize("stall_after", [0, -1, float("nan"), float("inf"), 3601, "soon", None, True])
def test_a_stall_after_out_of_range_is_refused_naming_it(stall_after):
    """stall_after must be a positive number of seconds up to an hour."""
    with pytest.raises(ConfigurationError, match="stall_after"):
        ThreadPoolWatch(capacity=1, stall_after=stall_after)


@pytest.mark.parametrize("capacity", [0, -2, True, "4", None, 2.5])
def test_a_capacity_that_is_no_count_of_workers_is_refused(capacity):
    """capacity is a whole number of workers from 1, or a function."""
    with pytest.raises((TypeError, ValueError), match="capacity"):
        ThreadPoolWatch(capacity=capacity)


def test_a_watch_that_cannot_be_read_fails_its_check_and_logs(caplog):
    """A heartbeat whose state raises is a failed worker_pool, never a crash or a pass."""

    class Broken(WorkerWatch):
        def state(self):
            raise RuntimeError("counters gone")

    with caplog.at_level(logging.ERROR, logger="skiesish"):
        result = Broken(stall_after=1).result()
    assert (result.name, result.passed) == ("worker_pool", False)
    assert result.output == "the heartbeat could not be read"
    assert "counters gone" in caplog.text


def test_a_change_of_the_heartbeat_is_logged_once(caplog):
    """worker_pool logs when it turns fail and when it passes again, not on every probe."""
    watch = ThreadPoolWatch(capacity=1, stall_after=1)
    with caplog.at_level(logging.INFO, logger="skiesish"):
        watch.result()
        watch.started()
        go_quiet(watch)
        watch.result()
        watch.result()
        watch.finished()
        watch.result()
    changes = [
        record.getMessage() for record in caplog.records if "worker_pool is now" in record.getMessage()
    ]
    assert [change.split(" (")[0] for change in changes] == [
        "worker_pool is now pass",
        "worker_pool is now fail",
        "worker_pool is now pass",
    ]


def test_the_heartbeat_log_line_keeps_its_numbers_through_the_scrubber(caplog):
    """The logged line reads "is now pass (0 of 1 ...)": nothing in it looks like a password to mask."""
    with caplog.at_level(logging.INFO, logger="skiesish"):
        ThreadPoolWatch(capacity=1, stall_after=1).result()
    assert "worker_pool is now pass (0 of 1 workers busy, 0 waiting, 0 finished" in caplog.text
    assert "*" not in caplog.text


def test_a_subclass_sentence_is_scrubbed_like_a_checks_output():
    """What a WorkerWatch subclass says passes the scrubber before it can be shown or logged."""

    class Leaky(WorkerWatch):
        def state(self):
            return True, "connected to postgresql://app:hunter2secret@db:5432/app"

    output = Leaky(stall_after=1).result().output
    assert "hunter2secret" not in output


# --- EventLoopWatch --------------------------------------------------------------------------------


@pytest.fixture
def loop_in_thread():
    """An event loop running on a thread of its own; stopped and closed afterwards."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    yield loop
    loop.call_soon_threadsafe(loop.stop)
    thread.join(10)
    loop.close()


def test_an_event_loop_watch_fails_until_started():
    """A loop nobody watches yet cannot be called alive."""
    passed, output = EventLoopWatch(stall_after=1).state()
    assert not passed
    assert "not watched" in output


def test_a_blocked_event_loop_fails_and_passes_again_once_free(loop_in_thread):
    """A loop that cannot run a callback for stall_after fails; once unblocked it passes."""
    watch = EventLoopWatch(stall_after=0.2)
    watch.start(loop_in_thread)
    wait_until(lambda: watch.state()[0], "the first tick")
    release = threading.Event()
    loop_in_thread.call_soon_threadsafe(release.wait, 30)  # blocks the loop, as time.sleep in a route would
    wait_until(lambda: not watch.state()[0], "the blocked loop failing")
    assert "stalled: the event loop has not run a callback" in watch.state()[1]
    release.set()
    wait_until(lambda: watch.state()[0], "the freed loop passing")
    watch.close()


def test_a_busy_event_loop_still_passes(loop_in_thread):
    """Many short callbacks keep the loop busy but it still ticks: alive."""
    watch = EventLoopWatch(stall_after=0.5)
    watch.start(loop_in_thread)
    wait_until(lambda: watch.state()[0], "the first tick")

    async def churn():
        end = time.monotonic() + 1.5
        while time.monotonic() < end:
            time.sleep(0.001)  # a little synchronous work per turn
            await asyncio.sleep(0)

    futures = [asyncio.run_coroutine_threadsafe(churn(), loop_in_thread) for _ in range(20)]
    seen = []
    while not all(future.done() for future in futures):
        seen.append(watch.state()[0])
        time.sleep(0.05)
    assert seen
    assert all(seen)
    watch.close()


def test_a_closed_event_loop_fails():
    """The loop closed under the watch: not alive."""
    loop = asyncio.new_event_loop()
    watch = EventLoopWatch(stall_after=1)
    watch.start(loop)
    loop.close()
    passed, output = watch.state()
    assert not passed
    assert "closed" in output


def test_an_event_loop_watch_watches_one_loop():
    """Starting a watch twice is a mistake, said plainly."""
    loop = asyncio.new_event_loop()
    watch = EventLoopWatch(stall_after=1)
    watch.start(loop)
    with pytest.raises(RuntimeError, match="already watches"):
        watch.start(loop)
    loop.close()


# --- probes with a heartbeat -----------------------------------------------------------------------


def test_the_heartbeat_joins_liveness_and_readiness_but_not_startup():
    """worker_pool is reported by /livez and /readyz, and never decides /startupz."""
    application = skiesish.contexts.test(skiesish.probes(format="health+json", details="always"))
    watch = ThreadPoolWatch(capacity=1, stall_after=1)
    application.di.build_from_name("service_state").add_watch(watch)
    watch.started()
    go_quiet(watch)
    for path in ("/livez", "/readyz"):
        body, status, _ = application(url=path)
        assert status == 500
        assert body["checks"]["worker_pool:responseTime"][0]["status"] == "fail"
    assert application(url="/startupz")[1] == 200


# --- ProbeListener ---------------------------------------------------------------------------------


def test_the_listener_serves_builtin_probes_with_the_heartbeat(listeners):
    """Without probes of its own the listener answers /livez, /readyz and /startupz from the heartbeat."""
    watch = ThreadPoolWatch(capacity=1, stall_after=1)
    listener = listeners(watch=watch)
    base = f"http://127.0.0.1:{listener.port}"
    assert [get(f"{base}/{probe}")[0] for probe in ("livez", "readyz", "startupz")] == [200, 200, 200]
    watch.started()
    go_quiet(watch)
    assert get(f"{base}/livez")[0] == 500
    assert get(f"{base}/readyz")[0] == 500
    watch.finished()
    assert get(f"{base}/livez")[0] == 200


def test_the_listener_reports_the_heartbeat_in_its_probes_outputs(listeners):
    """A probes application of one's own gets worker_pool in its per-check outputs."""
    watch = ThreadPoolWatch(capacity=1, stall_after=1)
    listener = listeners(detailed_probes(), watch=watch)
    status, body = get(f"http://127.0.0.1:{listener.port}/livez")
    assert status == 200
    assert json.loads(body)["checks"]["worker_pool:responseTime"][0]["output"].startswith(
        "0 of 1 workers busy"
    )


def test_draining_fails_readiness_while_liveness_passes(listeners):
    """start_draining (SIGTERM) turns /readyz down at once and leaves /livez up."""
    listener = listeners(watch=ThreadPoolWatch(capacity=1, stall_after=1))
    base = f"http://127.0.0.1:{listener.port}"
    listener.start_draining()
    assert get(f"{base}/readyz")[0] == 500
    assert get(f"{base}/livez")[0] == 200


def test_startup_passes_once_started_says_so_and_stays_passed(listeners):
    """The built-in /startupz follows started() until it first returns True."""
    has_started = threading.Event()
    listener = listeners(started=has_started.is_set)
    url = f"http://127.0.0.1:{listener.port}/startupz"
    assert get(url)[0] == 500
    has_started.set()
    assert get(url)[0] == 200
    has_started.clear()
    assert get(url)[0] == 200


def test_accepting_tells_whether_a_server_accepts_connections(free_port):
    """accepting(host, port) is True when something listens there, and raises when nothing does."""
    with socket.socket() as server:
        server.bind(("127.0.0.1", 0))
        server.listen()
        assert accepting("0.0.0.0", server.getsockname()[1])() is True
    with pytest.raises(OSError):
        accepting("127.0.0.1", free_port)()


def test_a_closed_listener_refuses_connections(listeners):
    """close() stops serving and frees the port."""
    listener = listeners()
    port = listener.port
    listener.close()
    assert not listener.is_alive
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=2).close()


def test_a_listener_that_dies_logs_and_refuses_later_probes(caplog, monkeypatch):
    """A listener whose loop fails logs it and refuses probes; the application serves on."""
    from webtest.http import StopableWSGIServer

    def application(environ, start_response):
        start_response("200 OK", [("Content-Length", "2")])
        return [b"ok"]

    main = StopableWSGIServer.create(application)
    listener = ProbeListener("127.0.0.1:0")
    crash = threading.Event()

    def run_until_crash():
        crash.wait(30)
        raise OSError("poll() failed")

    monkeypatch.setattr(listener._server, "run", run_until_crash)
    with caplog.at_level(logging.ERROR, logger="skiesish"):
        listener.start()
        crash.set()
        wait_until(lambda: not listener.is_alive, "the listener's thread ending")
    assert "the probe listener on 127.0.0.1" in caplog.text
    assert "refused from now on" in caplog.text
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", listener.port), timeout=2).close()
    listener.close()
    try:
        assert get(main.application_url) == (200, b"ok")
    finally:
        main.shutdown()


def test_a_port_in_use_is_a_clear_error(listeners):
    """Listening where another listener listens fails with one sentence."""
    taken = listeners()
    with pytest.raises(ValueError, match="another process already listens on that port"):
        ProbeListener(f"127.0.0.1:{taken.port}")


@pytest.mark.parametrize("listen", ["", "8081", "localhost", "::1:80", "127.0.0.1:99999", "a b:1"])
def test_a_malformed_address_is_a_clear_error(listen):
    """The address must be HOST:PORT; the error names the option and what arrived."""
    with pytest.raises(ValueError, match="listen expects"):
        ProbeListener(listen)


def test_a_foreign_application_cannot_take_the_heartbeat():
    """A heartbeat needs a skiesish probes application to join; anything else is refused at once."""

    def application(environ, start_response):
        start_response("200 OK", [])
        return [b""]

    with pytest.raises(ConfigurationError, match="must be a skiesish application"):
        ProbeListener("127.0.0.1:0", application, watch=ThreadPoolWatch(capacity=1))


def test_started_is_only_for_the_builtin_probes():
    """started= with probes of one's own is refused: their startup checks say when it started."""
    with pytest.raises(ConfigurationError, match="started="):
        ProbeListener("127.0.0.1:0", detailed_probes(), started=lambda: True)


def test_builtin_probes_without_started_pass_startup():
    """builtin_probes() with nothing to wait for has started."""
    assert skiesish.contexts.test(builtin_probes().application)(url="/startupz")[1] == 200


@pytest.mark.parametrize("threads", [0, -1, 33, 2.0, True, "2", None])
def test_a_thread_count_out_of_range_is_refused_naming_it(threads):
    """The listener's threads are a whole number from 1 to 32, said plainly otherwise."""
    with pytest.raises(ConfigurationError, match="threads must be a whole number"):
        ProbeListener("127.0.0.1:0", threads=threads)
