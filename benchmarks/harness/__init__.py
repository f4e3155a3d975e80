"""The benchmark harness behind ``benchmarks/run.py``: servers, load, scenarios and the Markdown report."""
