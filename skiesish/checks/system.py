"""Checks of the machine itself: free disk space, available memory."""

from __future__ import annotations

import os
import re
import shutil
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from .base import build_check

__all__ = ["disk", "memory"]

_PERCENT = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*%\s*$")


def _threshold(kind: str, value: int | str) -> tuple[float, bool]:
    """Read ``1_000_000`` (bytes) or ``"10%"`` as ``(amount, is_percent)``."""
    if isinstance(value, str):
        match = _PERCENT.match(value)
        if match and float(match.group(1)) <= 100:
            return float(match.group(1)), True
    elif isinstance(value, int) and not isinstance(value, bool) and value >= 0:
        return float(value), False
    raise ConfigurationError(
        f"{kind}: expected a number of bytes (int >= 0) or a percentage like '10%', got {value!r}"
    )


def _judge(what: str, available: float, total: float, wanted: float, is_percent: bool) -> tuple[bool, str]:
    percent = available / total * 100 if total else 0.0
    summary = f"{available / 2**20:.0f} MiB {what} ({percent:.1f}%)"
    enough = percent >= wanted if is_percent else available >= wanted
    if not enough:
        needed = f"{wanted:g}%" if is_percent else f"{wanted / 2**20:.0f} MiB"
        raise HealthError(f"only {summary}; at least {needed} is required")
    return True, summary


def disk(path: str = "/", min_free: int | str = "5%", name: str | None = None, **check_options: Any) -> Check:
    """Pass while the file system holding ``path`` has ``min_free`` bytes (or percent) free.

    Example:
        >>> disk("/var/lib/postgresql", min_free="10%")
    """
    wanted, is_percent = _threshold("disk(min_free=...)", min_free)

    def check() -> tuple[bool, str]:
        try:
            usage = shutil.disk_usage(path)
        except OSError as error:
            raise HealthError(f"cannot read the disk usage of {path}: {error}") from None
        return _judge(f"free on {path}", usage.free, usage.total, wanted, is_percent)

    return build_check(check, name or f"disk:{path}", check_options)


def memory(min_available: int | str = "5%", name: str | None = None, **check_options: Any) -> Check:
    """Pass while the machine has ``min_available`` bytes (or percent) of memory available.

    Reads ``MemAvailable`` from ``/proc/meminfo`` (Linux), else the free pages
    the OS reports.
    """
    wanted, is_percent = _threshold("memory(min_available=...)", min_available)

    def check() -> tuple[bool, str]:
        available, total = _memory()
        return _judge("available", available, total, wanted, is_percent)

    return build_check(check, name or "memory", check_options)


def _memory() -> tuple[float, float]:
    try:
        with open("/proc/meminfo", encoding="ascii") as meminfo:
            fields = dict(line.split(":", 1) for line in meminfo if ":" in line)
        return float(fields["MemAvailable"].split()[0]) * 1024, float(fields["MemTotal"].split()[0]) * 1024
    except (OSError, KeyError, ValueError):
        page = os.sysconf("SC_PAGE_SIZE")
        return float(os.sysconf("SC_AVPHYS_PAGES") * page), float(os.sysconf("SC_PHYS_PAGES") * page)
