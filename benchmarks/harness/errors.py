"""The one exception the harness raises for a measurement that could not be made."""

__all__ = ["BenchmarkError"]


class BenchmarkError(Exception):
    """A server, a client or a tool did not do what a scenario needed; the message says what happened."""
