"""django-health-check's ``Disk`` and ``Memory`` checks, on :mod:`skiesish.checks`: psutil is not needed.

Both fail with a ``ServiceWarning`` (which fails the endpoint, as in
django-health-check v4) saying what is left and what is required. The
thresholds are read as skiesish's :func:`~skiesish.checks.disk` and
:func:`~skiesish.checks.memory` read them: free disk space against the file
system's size, and available memory (``MemAvailable`` on Linux) against the
total.

Example:
    >>> HealthCheckView.as_view(checks=[(Disk, {"path": "/var/lib/app", "max_disk_usage_percent": 80})])
"""

from __future__ import annotations

import dataclasses
import os
import pathlib
import socket
from typing import Any

from skiesish import checks as ready_made
from skiesish.exceptions import ConfigurationError, HealthError
from skiesish.health import Check

from ..base import HealthCheck
from ..exceptions import ServiceWarning

__all__ = ["Disk", "Memory"]


def _limit(owner: str, key: str, value: Any, maximum: float) -> float | None:
    """``value`` as a number from 0 to ``maximum``, or ``None`` when it disables the threshold (None or 0).

    Raises:
        ConfigurationError: ``value`` is anything else, naming the option.
    """
    if value is None:
        return None
    if isinstance(value, (int, float)) and not isinstance(value, bool) and 0 <= value <= maximum:
        return float(value) or None
    raise ConfigurationError(
        f"{owner}({key}=...) must be a number from 0 to {maximum:g} (or None to disable it), "
        f"got {type(value).__name__} {value!r:.40}"
    )


def _run_all(checks: list[Check]) -> None:
    """Run the ready-made checks; the first failure is raised as a ``ServiceWarning``."""
    for check in checks:
        try:
            check.func()
        except HealthError as error:
            raise ServiceWarning(str(error)) from None


@dataclasses.dataclass
class Disk(HealthCheck):
    """Warn when the file system holding ``path`` is used to ``max_disk_usage_percent`` or beyond.

    Args:
        path: a path on the file system to watch (default: the working directory).
        max_disk_usage_percent: the most of it that may be used, in percent;
            ``None`` only checks that its usage can be read.
    """

    path: pathlib.Path | str = dataclasses.field(default_factory=os.getcwd)
    max_disk_usage_percent: float | None = dataclasses.field(default=90.0, repr=False)
    hostname: str = dataclasses.field(default_factory=socket.gethostname, init=False)
    _checks: list[Check] = dataclasses.field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        if not isinstance(self.path, (str, pathlib.PurePath)):
            raise ConfigurationError(f"Disk(path=...) must be a path, got {type(self.path).__name__}")
        usage = _limit("Disk", "max_disk_usage_percent", self.max_disk_usage_percent, 100)
        free = "0%" if usage is None else f"{100 - usage:f}%"
        self._checks = [ready_made.disk(str(self.path), min_free=free, name="disk")]

    def run(self) -> None:
        _run_all(self._checks)


@dataclasses.dataclass
class Memory(HealthCheck):
    """Warn below ``min_gibibytes_available`` GiB available, or above ``max_memory_usage_percent`` used.

    Args:
        min_gibibytes_available: the least memory that must be available, in
            GiB (``None``: no such threshold).
        max_memory_usage_percent: the most memory that may be in use, in
            percent (``None``: no such threshold).
    """

    min_gibibytes_available: float | None = dataclasses.field(default=None, repr=False)
    max_memory_usage_percent: float | None = dataclasses.field(default=90.0, repr=False)
    hostname: str = dataclasses.field(default_factory=socket.gethostname, init=False)
    _checks: list[Check] = dataclasses.field(default_factory=list, init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        gibibytes = _limit("Memory", "min_gibibytes_available", self.min_gibibytes_available, 2**20)
        usage = _limit("Memory", "max_memory_usage_percent", self.max_memory_usage_percent, 100)
        self._checks = []
        if gibibytes is not None:
            self._checks.append(ready_made.memory(min_available=int(gibibytes * 2**30), name="memory"))
        if usage is not None:
            self._checks.append(ready_made.memory(min_available=f"{100 - usage:f}%", name="memory"))
        if not self._checks:
            self._checks.append(ready_made.memory(min_available=0, name="memory"))

    def run(self) -> None:
        _run_all(self._checks)
