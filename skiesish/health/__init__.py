"""The health engine: checks, running them, and what they found. Knows nothing of HTTP."""

from .check import Check
from .engine import HealthEngine
from .report import CheckResult, Report

__all__ = ["Check", "CheckResult", "HealthEngine", "Report"]
