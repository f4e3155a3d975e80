"""Load generators: ``wrk`` when installed, else a small threaded Python client (which is slower)."""

from __future__ import annotations

import dataclasses
import http.client
import re
import statistics
import subprocess
import threading
import time
import urllib.parse
from typing import Protocol

from .errors import BenchmarkError

__all__ = ["LoadGenerator", "LoadResult", "PythonLoad", "WrkLoad", "parse_wrk"]


@dataclasses.dataclass(frozen=True)
class LoadResult:
    """What one load run measured.

    Attributes:
        requests_per_second: completed responses per second, whatever their status.
        requests: completed responses.
        non_2xx: responses with a status outside 2xx/3xx.
        socket_errors: failed connects, reads, writes and timeouts.
        latency_p50_ms: median latency, if known.
    """

    requests_per_second: float
    requests: int
    non_2xx: int
    socket_errors: int
    latency_p50_ms: float | None


class LoadGenerator(Protocol):
    """Something that hammers one URL for a while."""

    @property
    def description(self) -> str:
        """How the report names this generator."""
        ...

    def run(self, url: str, seconds: float) -> LoadResult:
        """Load ``url`` for ``seconds`` and report."""
        ...


_UNITS_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60000.0}


def _number(pattern: str, text: str, default: float | None = None) -> float:
    found = re.search(pattern, text)
    if found:
        return float(found.group(1))
    if default is None:
        raise BenchmarkError(f"wrk's output has no match for {pattern!r}: {text.strip()[-300:]!r}")
    return default


def parse_wrk(text: str) -> LoadResult:
    """Read requests/s, counts, errors and the median latency out of ``wrk --latency`` output."""
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", text)
    median = re.search(r"^\s*50%\s+([\d.]+)(us|ms|s|m)\s*$", text, re.MULTILINE)
    return LoadResult(
        requests_per_second=_number(r"Requests/sec:\s+([\d.]+)", text),
        requests=int(_number(r"(\d+) requests in", text)),
        non_2xx=int(_number(r"Non-2xx or 3xx responses: (\d+)", text, default=0)),
        socket_errors=sum(int(count) for count in errors.groups()) if errors else 0,
        latency_p50_ms=float(median.group(1)) * _UNITS_MS[median.group(2)] if median else None,
    )


@dataclasses.dataclass(frozen=True)
class WrkLoad:
    """``wrk -t<threads> -c<connections> -d<seconds>s --latency``."""

    executable: str
    threads: int
    connections: int
    version: str = "wrk"

    @property
    def description(self) -> str:
        """How the report names this generator."""
        return f"{self.version} -t{self.threads} -c{self.connections}"

    def run(self, url: str, seconds: float) -> LoadResult:
        """Run wrk once against ``url``."""
        whole_seconds = max(1, round(seconds))
        command = [self.executable, f"-t{self.threads}", f"-c{self.connections}", f"-d{whole_seconds}s"]
        command += ["--latency", "--timeout", "5s", url]
        try:
            finished = subprocess.run(
                command, capture_output=True, text=True, timeout=whole_seconds + 30, check=False
            )
        except subprocess.TimeoutExpired as error:
            raise BenchmarkError(f"wrk did not finish within {whole_seconds + 30} s") from error
        if finished.returncode != 0:
            raise BenchmarkError(f"wrk failed ({finished.returncode}): {finished.stderr.strip()[-300:]}")
        result = parse_wrk(finished.stdout)
        if result.requests == 0:
            raise BenchmarkError(f"no request was answered in {whole_seconds} s of load")
        return result


def wrk_version(executable: str) -> str:
    """``wrk 4.1.0`` or so, from the banner wrk prints."""
    try:
        banner = subprocess.run([executable, "--version"], capture_output=True, text=True, timeout=10)
    except (OSError, subprocess.TimeoutExpired):
        return "wrk"
    found = re.search(r"wrk\s+(?:\S+/)?(\d[\w.~+-]*)", banner.stdout + banner.stderr)
    return f"wrk {found.group(1).split('-')[0]}" if found else "wrk"


@dataclasses.dataclass(frozen=True)
class PythonLoad:
    """A fallback: one thread per keep-alive connection, in this process; it saturates before waitress."""

    connections: int
    description: str = "python fallback client (wrk unavailable; numbers are client-bound)"

    def run(self, url: str, seconds: float) -> LoadResult:
        """Load ``url`` from ``connections`` threads for ``seconds``."""
        parts = urllib.parse.urlsplit(url)
        deadline = time.monotonic() + seconds
        latencies: list[float] = []
        counts = {"requests": 0, "non_2xx": 0, "errors": 0}
        lock = threading.Lock()

        def hammer() -> None:
            connection = http.client.HTTPConnection("127.0.0.1", parts.port, timeout=5)
            mine: list[float] = []
            bad = errors = 0
            while time.monotonic() < deadline:
                started = time.perf_counter()
                try:
                    connection.request("GET", parts.path)
                    response = connection.getresponse()
                    response.read()
                except (OSError, http.client.HTTPException):
                    errors += 1
                    connection.close()
                    continue
                mine.append((time.perf_counter() - started) * 1000)
                bad += response.status >= 400
            connection.close()
            with lock:
                latencies.extend(mine)
                counts["requests"] += len(mine)
                counts["non_2xx"] += bad
                counts["errors"] += errors

        threads = [threading.Thread(target=hammer, daemon=True) for _ in range(self.connections)]
        started = time.monotonic()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=seconds + 10)
        elapsed = time.monotonic() - started
        return LoadResult(
            requests_per_second=counts["requests"] / elapsed,
            requests=counts["requests"],
            non_2xx=counts["non_2xx"],
            socket_errors=counts["errors"],
            latency_p50_ms=statistics.median(latencies) if latencies else None,
        )
