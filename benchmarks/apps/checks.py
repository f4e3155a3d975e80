"""Check functions shared by the scenario apps (standard library only: both virtualenvs import it).

Every check returns ``(passed, message)``: the contract py-healthcheck needs and
one skiesish accepts.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable

__all__ = ["COUNTER_FILE_ENV", "counted_check", "healthy", "sleeping_check"]

#: The environment variable naming the file a counted check appends one line to per run.
COUNTER_FILE_ENV = "BENCH_COUNTER_FILE"

CheckFunction = Callable[[], tuple[bool, str]]


def sleeping_check(name: str, seconds: float) -> CheckFunction:
    """A passing check called ``name`` that takes ``seconds`` to answer."""

    def check() -> tuple[bool, str]:
        time.sleep(seconds)
        return True, f"slept {seconds} s"

    check.__name__ = check.__qualname__ = name
    return check


def counted_check(seconds: float) -> CheckFunction:
    """A passing check that records each run as one line in ``$BENCH_COUNTER_FILE``, then sleeps.

    The line is written when the run starts, so a run still in progress is
    counted too; appends of one short line are atomic, so concurrent runs are
    never lost.
    """
    path = os.environ[COUNTER_FILE_ENV]

    def counted() -> tuple[bool, str]:
        with open(path, "a", encoding="ascii") as counter:
            counter.write("run\n")
        time.sleep(seconds)
        return True, "counted"

    return counted


def healthy() -> tuple[bool, str]:
    """A check that passes at once."""
    return True, "ok"
