"""The Kubernetes style: ``ok``, or one ``[+]name ok`` / ``[-]name failed`` line per check."""

from __future__ import annotations

from ..health import Report
from .base import View

__all__ = ["render_text"]

TEXT_CONTENT_TYPE = "text/plain; charset=utf-8"


def render_text(report: Report, view: View) -> tuple[str, bytes]:
    """``ok`` when healthy; a line per check when failing or asked ``?verbose``.

    As in Kubernetes' ``/readyz?verbose``, a failure's reason is withheld
    unless details may be shown.
    """
    if report.passed and not view.verbose:
        return TEXT_CONTENT_TYPE, b"ok"
    lines = []
    for result in report.results:
        if result.passed:
            lines.append(f"[+]{result.name} ok")
            continue
        reason = result.output if view.details and result.output else "reason withheld"
        suffix = " (not critical)" if not result.critical else ""
        lines.append(f"[-]{result.name} failed{suffix}: {reason}")
    lines.append("health check passed" if report.passed else "health check failed")
    return TEXT_CONTENT_TYPE, ("\n".join(lines) + "\n").encode("utf-8")
