"""The top and bottom of the standalone reports (``frameworks.py``, ``instructions.py``, ``footprint.py``)."""

from __future__ import annotations

import dataclasses
import datetime
import os
import shlex
import subprocess
import time
from collections.abc import Sequence

from .environment import Machine, describe_machine
from .report import markdown_table

__all__ = ["Preamble", "load_average", "tool_version"]


def load_average() -> str:
    """The 1, 5 and 15 minute load averages, as ``"0.12 / 0.30 / 0.41"``."""
    return " / ".join(f"{load:.2f}" for load in os.getloadavg())


def tool_version(command: list[str]) -> str:
    """The first line a tool prints about its version."""
    try:
        found = subprocess.run(command, capture_output=True, text=True, timeout=30, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return "unknown"
    return (found.stdout or found.stderr).strip().splitlines()[0]


@dataclasses.dataclass
class Preamble:
    """When a script started, on what machine, and how to say so.

    Attributes:
        script: the script's path from the project's root, as the report shows its command.
        argv: the script's arguments.
        machine: the CPU, Python, load average at the start and skiesish's source.
        started: when the script started (monotonic seconds).
        when: when the script started (UTC), as the report shows it.
    """

    script: str
    argv: Sequence[str]
    machine: Machine = dataclasses.field(default_factory=describe_machine)
    started: float = dataclasses.field(default_factory=time.monotonic)
    when: datetime.datetime = dataclasses.field(
        default_factory=lambda: datetime.datetime.now(datetime.timezone.utc)
    )

    def header(self, title: str, rows: Sequence[Sequence[str]]) -> str:
        """The heading, the command and a table: machine, Python, load average, skiesish, then ``rows``."""
        command = shlex.join(["python", self.script, *self.argv])
        table = [
            ["CPU", f"{self.machine.cpu}, {self.machine.cores} cores"],
            ["Python", self.machine.python],
            ["load average at start (1 / 5 / 15 min)", self.machine.load_average],
            ["skiesish", self.machine.skiesish_source],
            *rows,
        ]
        return "\n\n".join(
            [
                f"## {title}",
                f"Measured from {self.when:%Y-%m-%d %H:%M} UTC with `{command}`.",
                markdown_table(["", "value"], table),
            ]
        )

    def footer(self) -> str:
        """How long the whole run took and the load average at its end."""
        seconds = time.monotonic() - self.started
        return f"_Whole run: {seconds:.0f} s; load average at the end (1 / 5 / 15 min): {load_average()}._"
