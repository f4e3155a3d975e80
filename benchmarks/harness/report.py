"""Scenario results as Markdown sections, plus a summary of the targets."""

from __future__ import annotations

import dataclasses
import enum
from collections.abc import Sequence

__all__ = ["Outcome", "Section", "Target", "markdown_table", "render_section", "render_targets"]


class Outcome(enum.Enum):
    """Whether a target was reached."""

    MET = "✅ met"
    MISSED = "❌ missed"
    ERROR = "⚠️ error"
    INFO = "—"


@dataclasses.dataclass(frozen=True)
class Target:
    """One target, what was measured against it and the verdict."""

    scenario: str
    subject: str
    goal: str
    measured: str
    outcome: Outcome


@dataclasses.dataclass
class Section:
    """One scenario's part of the report.

    Attributes:
        name: the scenario's ``--only`` name.
        title: its heading.
        description: one paragraph on what is measured and how.
        headers: the table's column names.
        rows: the table's cells.
        notes: sentences printed under the table.
        targets: the verdicts for the summary.
    """

    name: str
    title: str
    description: str
    headers: list[str] = dataclasses.field(default_factory=list)
    rows: list[list[str]] = dataclasses.field(default_factory=list)
    notes: list[str] = dataclasses.field(default_factory=list)
    targets: list[Target] = dataclasses.field(default_factory=list)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def markdown_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A GitHub-flavoured Markdown table."""
    lines = ["| " + " | ".join(_cell(header) for header in headers) + " |"]
    lines.append("|" + "|".join("---" for _ in headers) + "|")
    lines += ["| " + " | ".join(_cell(cell) for cell in row) + " |" for row in rows]
    return "\n".join(lines)


def render_section(section: Section) -> str:
    """The heading, description, table and notes of one scenario."""
    parts = [f"### {section.title}", section.description]
    if section.rows:
        parts.append(markdown_table(section.headers, section.rows))
    if section.notes:
        parts.append("\n".join(f"- {note}" for note in section.notes))
    return "\n\n".join(parts)


def render_targets(sections: Sequence[Section]) -> str:
    """A table of every target across the scenarios that ran."""
    rows = [
        [target.scenario, target.subject, target.goal, target.measured, target.outcome.value]
        for section in sections
        for target in section.targets
    ]
    if not rows:
        return ""
    return "### Targets\n\n" + markdown_table(["scenario", "server", "target", "measured", "verdict"], rows)
