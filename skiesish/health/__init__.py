"""The health engine: checks, running them, and what they found. Knows nothing of HTTP."""

from .check import DEFAULT, Check
from .engine import HealthEngine
from .report import CheckResult, Report

__all__ = ["DEFAULT", "Check", "CheckResult", "HealthEngine", "Report"]
