"""The Prometheus text exposition of the checks' results (needs the ``prometheus`` extra)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from ..extras import import_extra
from ..health import Report
from .base import View

__all__ = ["render_prometheus"]


def render_prometheus(report: Report, view: View) -> tuple[str, bytes]:
    """Per check: ``skiesish_check_up``, ``skiesish_check_duration_seconds``,
    ``skiesish_check_last_success_timestamp_seconds`` and
    ``skiesish_check_status_changes_total``, each labelled ``check``.

    Built from the report alone: a scrape runs nothing that the TTLs would
    not run anyway. Outputs are never exposed.
    """
    prometheus = import_extra("prometheus_client", "prometheus", "format 'prometheus'")
    core = import_extra("prometheus_client.core", "prometheus", "format 'prometheus'")

    class ReportCollector:
        def collect(self) -> Iterator[Any]:
            up = core.GaugeMetricFamily(
                "skiesish_check_up", "1 if the check passed, else 0.", labels=["check"]
            )
            duration = core.GaugeMetricFamily(
                "skiesish_check_duration_seconds", "How long the check's last run took.", labels=["check"]
            )
            last_success = core.GaugeMetricFamily(
                "skiesish_check_last_success_timestamp_seconds",
                "Unix time of the check's last passing run (absent until it passes).",
                labels=["check"],
            )
            changes = core.CounterMetricFamily(
                "skiesish_check_status_changes",
                "How often the check flipped between pass and fail.",
                labels=["check"],
            )
            for result in report.results:
                up.add_metric([result.name], 1.0 if result.passed else 0.0)
                duration.add_metric([result.name], result.response_time)
                if result.last_success is not None:
                    last_success.add_metric([result.name], result.last_success.timestamp())
                changes.add_metric([result.name], float(result.status_changes))
            yield from (up, duration, last_success, changes)

    registry = prometheus.CollectorRegistry(auto_describe=False)
    registry.register(ReportCollector())
    return prometheus.CONTENT_TYPE_LATEST, prometheus.generate_latest(registry)
