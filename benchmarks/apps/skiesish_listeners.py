"""``apps.skiesish_throughput`` with history kept and every run recorded as OpenTelemetry metrics and spans.

History and metrics listen to runs of checks, not to cached answers: this
app shows what having them on costs a cached probe (target: still >= 0.85x
the bare function).
"""

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import TracerProvider

import skiesish
from skiesish.integrations.opentelemetry import HealthMetrics

metrics = HealthMetrics(MeterProvider(metric_readers=[InMemoryMetricReader()]), TracerProvider(), spans=True)

application = skiesish.contexts.wsgi(
    skiesish.Application(
        skiesish.handlers.HealthCheck,
        {"services": ["memory_backend"], "history": True, "listeners": [metrics]},
    )
)
