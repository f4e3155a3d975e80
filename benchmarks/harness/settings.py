"""What a run measures and how long for: the command-line choices, resolved once."""

from __future__ import annotations

import dataclasses
from pathlib import Path

__all__ = [
    "BENCHMARKS_DIR",
    "EVENT_LOOP_SERVE_SCRIPT",
    "PEERS_VENV",
    "PROJECT_DIR",
    "SERVE_SCRIPT",
    "Settings",
]

BENCHMARKS_DIR = Path(__file__).resolve().parent.parent
PROJECT_DIR = BENCHMARKS_DIR.parent
PEERS_VENV = BENCHMARKS_DIR / ".venv-peers"
SERVE_SCRIPT = BENCHMARKS_DIR / "serve.py"
EVENT_LOOP_SERVE_SCRIPT = BENCHMARKS_DIR / "serve_event_loop.py"


@dataclasses.dataclass(frozen=True)
class Settings:
    """Durations and sizes of one run.

    Attributes:
        threads: waitress worker threads, the same for every server.
        runs: load runs per server in ``throughput``; the median is reported.
        duration: seconds of each load run.
        warmup: seconds of load before the measured runs.
        connections: concurrent keep-alive connections of the load generator.
        load_threads: the load generator's own threads (``wrk -t``).
        sequential_requests: timed requests per server in ``parallel``.
        burst: simultaneous requests in ``single_flight``.
        quick: whether the short durations were chosen.
    """

    threads: int = 4
    runs: int = 5
    duration: float = 10.0
    warmup: float = 2.0
    connections: int = 16
    load_threads: int = 2
    sequential_requests: int = 10
    burst: int = 32
    quick: bool = False

    @classmethod
    def choose(cls, quick: bool, threads: int, runs: int | None, duration: float | None) -> Settings:
        """The defaults (about 5 minutes on 2 cores) or the ``--quick`` ones (about 1 minute)."""
        base = cls(threads=threads, runs=3, duration=2.0, warmup=1.0, sequential_requests=5, quick=True)
        if not quick:
            base = cls(threads=threads)
        return dataclasses.replace(
            base,
            runs=runs if runs is not None else base.runs,
            duration=duration if duration is not None else base.duration,
        )
