"""What every format is told besides the report."""

from __future__ import annotations

import dataclasses
from typing import Any

__all__ = ["View"]


@dataclasses.dataclass(frozen=True)
class View:
    """How much to show, and what else to put in the body.

    Attributes:
        details: whether per-check outputs and sections may be shown.
        sections: name -> value, merged into the body when details are shown.
        verbose: whether the caller asked for one line per check (text format).
        status_code: the HTTP status the answer will carry.
    """

    details: bool = False
    sections: dict[str, Any] = dataclasses.field(default_factory=dict)
    verbose: bool = False
    status_code: int = 200
