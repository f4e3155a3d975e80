"""What every scenario is handed: the settings, the server starter and the load generator."""

from __future__ import annotations

import dataclasses

from .load import LoadGenerator
from .server import Servers
from .settings import Settings

__all__ = ["Bench", "error_row", "ratio"]


@dataclasses.dataclass(frozen=True)
class Bench:
    """The shared state of one run."""

    settings: Settings
    servers: Servers
    load: LoadGenerator


def ratio(value: float, reference: float | None) -> str:
    """``value / reference`` as ``"0.91x"``, or ``"n/a"`` without a reference."""
    if not reference:
        return "n/a"
    return f"{value / reference:.2f}x"


def error_row(label: str, error: Exception, width: int) -> list[str]:
    """A table row of ``width`` cells for a server whose measurement failed."""
    return [label, f"error: {error}", *[""] * (width - 2)]
