"""``skiesish serve --probe-listen``: probes answered beside saturated or wedged waitress workers."""

from __future__ import annotations

import concurrent.futures
import json
import os
import signal
import socket
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest
from conftest import ROOT, free_ports, poll_until, skiesish_command
from conftest import http_get as get

APP = '''
import os, time
import skiesish

RELEASE = os.environ["RELEASE_FILE"]
probes = skiesish.contexts.wsgi(skiesish.probes())
detailed = skiesish.contexts.wsgi(skiesish.probes(format="health+json", details="always"))


def application(environ, start_response):
    """/block waits until the release file exists (60 s at most); everything else is skiesish's probes."""
    if environ["PATH_INFO"] == "/block":
        give_up = time.monotonic() + 60
        while not os.path.exists(RELEASE) and time.monotonic() < give_up:
            time.sleep(0.02)
        start_response("200 OK", [("Content-Type", "text/plain"), ("Content-Length", "8")])
        return [b"released"]
    return probes(environ, start_response)


def not_skiesish(environ, start_response):
    start_response("200 OK", [("Content-Length", "0")])
    return []
'''


class Served:
    """`skiesish serve app:application` with a probe listener, in ``directory``; killed on exit."""

    def __init__(self, directory: Path, *options: str, threads: int = 2) -> None:
        (directory / "app.py").write_text(textwrap.dedent(APP))
        self.release_file = directory / "release"
        self.main_port, self.probe_port = free_ports(2)
        self.main = f"http://127.0.0.1:{self.main_port}"
        self.probe = f"http://127.0.0.1:{self.probe_port}"
        environment = {**os.environ, "RELEASE_FILE": str(self.release_file), "PYTHONPATH": str(ROOT)}
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "skiesish",
                "serve",
                "app:application",
                "--listen",
                f"127.0.0.1:{self.main_port}",
                "--threads",
                str(threads),
                "--probe-listen",
                f"127.0.0.1:{self.probe_port}",
                *options,
            ],
            cwd=directory,
            env=environment,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
        )
        self.pool = concurrent.futures.ThreadPoolExecutor(8)

    def __enter__(self) -> Served:
        deadline = time.monotonic() + 30
        for url in (self.main, self.probe):
            while True:
                if self.process.poll() is not None:
                    pytest.fail(f"serve exited with {self.process.returncode}: {self.process.stdout.read()}")
                try:
                    get(url + "/livez")
                    break
                except OSError:
                    if time.monotonic() > deadline:
                        pytest.fail(f"{url} did not answer within 30 s")
                    time.sleep(0.05)
        return self

    def block_workers(self, count: int) -> list[concurrent.futures.Future]:
        """Pin ``count`` workers on /block; return the requests' futures."""
        return [self.pool.submit(get, self.main + "/block", 90) for _ in range(count)]

    def release(self) -> None:
        self.release_file.write_text("go")

    def __exit__(self, *exc_info: object) -> None:
        self.release()
        if self.process.poll() is None:
            self.process.kill()
        self.output = self.process.communicate(timeout=30)[0]
        self.pool.shutdown(wait=True, cancel_futures=True)


def test_probes_on_the_listener_answer_while_every_worker_is_pinned(tmp_path):
    """Both threads pinned: 50 liveness probes answer 200 on the listener while the main port's waits."""
    with Served(tmp_path) as served:
        blocked = served.block_workers(2)
        poll_until(served.probe + "/startupz", 200, "startup")
        queued = served.pool.submit(get, served.main + "/livez", 90)
        answers = [get(served.probe + "/livez", timeout=5)[0] for _ in range(50)]
        assert answers == [200] * 50
        assert not queued.done(), "the main port's probe should still wait behind the pinned workers"
        served.release()
        assert queued.result(timeout=60)[0] == 200
        assert [future.result(timeout=60)[0] for future in blocked] == [200, 200]


def test_a_wedged_pool_fails_liveness_and_readiness_and_recovers(tmp_path):
    """Both threads blocked for longer than --stall-after: /livez and /readyz fail, then pass once freed."""
    with Served(tmp_path, "--stall-after", "2") as served:
        served.block_workers(2)
        poll_until(served.probe + "/livez", 500, "liveness of the wedged pool")
        assert get(served.probe + "/readyz")[0] == 500
        served.release()
        poll_until(served.probe + "/livez", 200, "liveness after release")
        assert get(served.probe + "/readyz")[0] == 200
    assert "worker_pool is now fail (stalled: no worker started or finished a request" in served.output
    assert served.output.index("worker_pool is now fail") < served.output.rindex("worker_pool is now pass")


def test_probes_of_ones_own_show_the_heartbeat(tmp_path):
    """--probes serves that application on the listener, with worker_pool among its checks."""
    with Served(tmp_path, "--probes", "app:detailed") as served:
        status, body = get(served.probe + "/readyz")
        assert status == 200
        assert "worker_pool:responseTime" in json.loads(body)["checks"]


def test_sigterm_fails_readiness_on_the_listener_while_liveness_passes(tmp_path):
    """After SIGTERM (with --drain) /readyz fails at once and /livez passes until the process exits."""
    with Served(tmp_path, "--drain", "30") as served:
        served.process.send_signal(signal.SIGTERM)
        poll_until(served.probe + "/readyz", 500, "readiness after SIGTERM")
        assert get(served.probe + "/livez")[0] == 200
        served.process.send_signal(signal.SIGTERM)
        assert served.process.wait(timeout=30) == 0
        with pytest.raises(OSError):
            get(served.probe + "/livez", timeout=2)


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--probe-listen", "127.0.0.1:{main}"], "--probe-listen must differ from --listen"),
        (["--probe-listen", "8081"], "--probe-listen expects HOST:PORT"),
        (["--probe-listen", "127.0.0.1:{taken}"], "--probe-listen 127.0.0.1:"),
        (["--probe-listen", "127.0.0.1:{free}", "--stall-after", "0"], "--stall-after"),
        (["--probe-listen", "127.0.0.1:{free}", "--stall-after", "-3"], "--stall-after"),
        (["--probe-listen", "127.0.0.1:{free}", "--stall-after", "nan"], "--stall-after"),
        (["--probes", "app:detailed"], "--probes needs --probe-listen"),
        (["--stall-after", "5"], "--stall-after needs --probe-listen"),
        (["--probe-listen", "127.0.0.1:{free}", "--probes", "app:not_skiesish"], "must be a skiesish"),
    ],
)
def test_bad_probe_listener_options_exit_2_before_serving(tmp_path, monkeypatch, options, message):
    """A wrong probe-listener option is one sentence on stderr and exit 2; the main port never answers."""
    (tmp_path / "app.py").write_text(textwrap.dedent(APP))
    main, free = free_ports(2)
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        filled = [option.format(main=main, free=free, taken=taken.getsockname()[1]) for option in options]
        monkeypatch.setenv("RELEASE_FILE", str(tmp_path / "release"))
        result = skiesish_command(
            "serve", "app:application", "--listen", f"127.0.0.1:{main}", *filled, cwd=tmp_path
        )
    assert result.returncode == 2, result.stderr
    assert message in result.stderr
    assert "skiesish serving on" not in result.stderr + result.stdout


def test_the_kubernetes_manifests_command_answers_every_probe_on_the_probe_port(tmp_path):
    """The Deployment's own command, on free ports, answers startup, liveness and readiness on 'probes'."""
    import yaml

    manifest = ROOT / "examples" / "kubernetes" / "deployment.yaml"
    deployment = next(
        document for document in yaml.safe_load_all(manifest.read_text()) if document["kind"] == "Deployment"
    )
    app = deployment["spec"]["template"]["spec"]["containers"][0]
    ports = {port["name"]: port["containerPort"] for port in app["ports"]}
    free = dict(zip(ports, free_ports(len(ports)), strict=True))
    command = [
        next((f"127.0.0.1:{free[name]}" for name, port in ports.items() if part == f"0.0.0.0:{port}"), part)
        for part in app["command"]
    ]
    assert command[0] == "skiesish"
    environment = {key: value for key, value in os.environ.items() if key != "DATABASE_URL"}
    environment["TMPDIR"] = str(tmp_path)  # the example's SQLite file
    process = subprocess.Popen(
        [sys.executable, "-m", "skiesish", *command[1:]],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        base = f"http://127.0.0.1:{free['probes']}"
        deadline = time.monotonic() + 30
        while True:
            try:
                if get(base + app["startupProbe"]["httpGet"]["path"])[0] == 200:
                    break
            except OSError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                pytest.fail(f"the probe listener never passed startup: {process.stdout.read()}")
            time.sleep(0.1)
        for probe in ("livenessProbe", "readinessProbe"):
            assert app[probe]["httpGet"]["port"] == "probes"
            assert get(base + app[probe]["httpGet"]["path"])[0] == 200
    finally:
        process.kill()
        process.communicate(timeout=30)
