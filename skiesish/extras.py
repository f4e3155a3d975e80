"""Importing optional dependencies (the extras) with a message that says what to install."""

from __future__ import annotations

import importlib
from types import ModuleType

from .exceptions import MissingExtraError

__all__ = ["import_extra"]


def import_extra(module: str, extra: str, purpose: str) -> ModuleType:
    """Import an optional dependency, or say which extra installs it.

    Args:
        module: the module to import, e.g. ``"redis"``.
        extra: the skiesish extra that installs it, e.g. ``"redis"``.
        purpose: what needs it, for the message, e.g. ``"checks.redis()"``.

    Raises:
        MissingExtraError: naming the ``pip install 'skiesish[extra]'`` to run.
    """
    try:
        return importlib.import_module(module)
    except ImportError as error:
        raise MissingExtraError(f"{purpose} needs {module}: pip install 'skiesish[{extra}]'") from error
