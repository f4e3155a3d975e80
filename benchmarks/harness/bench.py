"""What every scenario is handed: the settings, the server starter and the load generator."""

from __future__ import annotations

import dataclasses
import sys
from collections.abc import Callable, Sequence
from typing import TypeVar

from .errors import BenchmarkError
from .load import LoadGenerator
from .server import App, Servers
from .settings import Settings

__all__ = ["Bench", "error_row", "measure_each", "ratio", "table_rows"]

ResultT = TypeVar("ResultT")


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


def measure_each(
    scenario: str, apps: Sequence[App], measure: Callable[[Bench, App], ResultT], bench: Bench
) -> dict[str, ResultT | BenchmarkError]:
    """Measure every app in turn; a failed measurement is kept as its error, not raised."""
    results: dict[str, ResultT | BenchmarkError] = {}
    for app in apps:
        print(f"[{scenario}] {app.label}", file=sys.stderr, flush=True)
        try:
            results[app.module] = measure(bench, app)
        except BenchmarkError as error:
            results[app.module] = error
    return results


def table_rows(
    apps: Sequence[App],
    results: dict[str, ResultT | BenchmarkError],
    row: Callable[[App, ResultT], list[str]],
    width: int,
) -> list[list[str]]:
    """One table row per app: ``row(app, result)``, or an error row where the measurement failed."""
    return [
        error_row(app.label, result, width) if isinstance(result, BenchmarkError) else row(app, result)
        for app in apps
        for result in [results[app.module]]
    ]
