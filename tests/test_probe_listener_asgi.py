"""``skiesish.with_probe_listener``: probes beside an ASGI application under uvicorn, watching its loop."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, free_ports, http_get, poll_until

import skiesish

APP = '''
import asyncio, os, time
import skiesish

RELEASE = os.environ["RELEASE_FILE"]


async def raw(scope, receive, send):
    """/block blocks the event loop (time.sleep) until the release file exists; /slow awaits 3 s."""
    if scope["type"] != "http":
        raise RuntimeError("no lifespan here")
    if scope["path"] == "/block":
        give_up = time.monotonic() + 60
        while not os.path.exists(RELEASE) and time.monotonic() < give_up:
            time.sleep(0.02)
    elif scope["path"] == "/slow":
        open(RELEASE + ".slow", "w").close()  # tells the test the request has arrived
        await asyncio.sleep(3)
    await send({"type": "http.response.start", "status": 200, "headers": [(b"content-length", b"2")]})
    await send({"type": "http.response.body", "body": b"ok"})


app = skiesish.with_probe_listener(raw, "127.0.0.1:" + os.environ["PROBE_PORT"], stall_after=2)
'''


def get(url: str, timeout: float = 10) -> int:
    """GET ``url``; return its status whatever it is."""
    return http_get(url, timeout)[0]


@pytest.fixture
def uvicorn_app(tmp_path: Path):
    """uvicorn serving APP in ``tmp_path``; yields (main URL, probe URL, release file, process)."""
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    main_port, probe_port = free_ports(2)
    release = tmp_path / "release"
    environment = {
        **os.environ,
        "RELEASE_FILE": str(release),
        "PROBE_PORT": str(probe_port),
        "PYTHONPATH": str(ROOT),
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "uvicorn", "app:app", "--port", str(main_port), "--lifespan", "on"],
        cwd=tmp_path,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    probe = f"http://127.0.0.1:{probe_port}"
    deadline = time.monotonic() + 30
    while True:
        if process.poll() is not None:
            pytest.fail(f"uvicorn exited with {process.returncode}: {process.stdout.read()}")
        try:
            if get(probe + "/startupz") == 200:
                break
        except OSError:
            pass
        if time.monotonic() > deadline:
            process.kill()
            pytest.fail("the probe listener did not start within 30 s")
        time.sleep(0.05)
    yield f"http://127.0.0.1:{main_port}", probe, release, process
    release.write_text("go")
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=30)


def test_a_blocked_event_loop_fails_liveness_while_probes_still_answer(uvicorn_app):
    """time.sleep in a route blocks the loop: the listener still answers, and liveness turns failing."""
    import concurrent.futures

    main, probe, release, _ = uvicorn_app
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        blocked = pool.submit(get, main + "/block", 90)
        poll_until(probe + "/livez", 500, "liveness of the blocked loop")
        assert get(probe + "/readyz") == 500
        assert not blocked.done()
        release.write_text("go")
        poll_until(probe + "/livez", 200, "liveness once the loop is free")
        assert blocked.result(timeout=60) == 200


def test_a_busy_event_loop_stays_alive(uvicorn_app):
    """Requests awaiting on the loop keep it busy, not blocked: liveness passes throughout."""
    import concurrent.futures

    main, probe, _, _ = uvicorn_app
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        slow = [pool.submit(get, main + "/slow", 30) for _ in range(8)]
        statuses = []
        while not all(future.done() for future in slow):
            statuses.append(get(probe + "/livez"))
            time.sleep(0.05)
        assert [future.result() for future in slow] == [200] * 8
    assert statuses
    assert set(statuses) == {200}


def test_sigterm_fails_readiness_while_liveness_passes_until_exit(uvicorn_app):
    """On SIGTERM uvicorn finishes its requests: meanwhile /readyz fails and /livez passes."""
    import concurrent.futures

    main, probe, release, process = uvicorn_app
    arrived = Path(f"{release}.slow")
    with concurrent.futures.ThreadPoolExecutor(1) as pool:
        slow = pool.submit(get, main + "/slow", 30)
        deadline = time.monotonic() + 30
        while not arrived.exists() and time.monotonic() < deadline:
            time.sleep(0.02)
        process.send_signal(signal.SIGTERM)
        poll_until(probe + "/readyz", 500, "readiness after SIGTERM")
        assert get(probe + "/livez") == 200
        assert slow.result(timeout=30) == 200
    # uvicorn (0.29 and later) re-raises the signal it caught once it has stopped, as a bare app does
    assert process.wait(timeout=30) in (0, -signal.SIGTERM)


async def run_lifespan(app) -> list[str]:
    """Drive one lifespan (startup, then shutdown) through ``app``; return what it sent."""
    inbox: asyncio.Queue = asyncio.Queue()
    for message in ("lifespan.startup", "lifespan.shutdown"):
        inbox.put_nowait({"type": message})
    sent: list[str] = []

    async def send(message):
        sent.append(message["type"])

    await app({"type": "lifespan"}, inbox.get, send)
    return sent


def test_the_wrapped_applications_lifespan_is_forwarded():
    """An application that speaks lifespan still gets its startup and shutdown, and the listener runs."""
    seen = []

    async def inner(scope, receive, send):
        while True:
            message = await receive()
            seen.append(message["type"])
            await send({"type": message["type"] + ".complete"})
            if message["type"] == "lifespan.shutdown":
                return

    app = skiesish.with_probe_listener(inner, "127.0.0.1:0", stall_after=5)
    assert asyncio.run(run_lifespan(app)) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert seen == ["lifespan.startup", "lifespan.shutdown"]
    assert not app.listener.is_alive


def test_an_application_without_lifespan_gets_one_for_the_listener():
    """An application that refuses lifespan scopes still gets the listener started and stopped."""

    async def inner(scope, receive, send):
        raise RuntimeError("http only")

    app = skiesish.with_probe_listener(inner, "127.0.0.1:0", stall_after=5)
    assert asyncio.run(run_lifespan(app)) == ["lifespan.startup.complete", "lifespan.shutdown.complete"]
    assert not app.listener.is_alive


def test_the_listener_address_is_checked_when_wrapping():
    """A malformed address is refused when the application is built, not at its first request."""
    with pytest.raises(ValueError, match="listen expects HOST:PORT"):
        skiesish.with_probe_listener(lambda scope, receive, send: None, "8081")
