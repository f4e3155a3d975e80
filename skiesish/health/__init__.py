"""The health engine: checks, running them, and what they found. Knows nothing of HTTP."""

from .check import DEFAULT, Check
from .engine import HealthEngine
from .report import CheckResult, CheckRun, Report

__all__ = ["DEFAULT", "Check", "CheckResult", "CheckRun", "HealthEngine", "Report"]
