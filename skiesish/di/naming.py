"""How classes and names meet in the container."""

from __future__ import annotations

import re

_WORD_BOUNDARY = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")


def snake_case(class_name: str) -> str:
    """Return the DI name of a class: ``MemoryBackend`` -> ``memory_backend``.

    Runs of capitals stay together, so ``HTTPClient`` becomes ``http_client``.
    """
    return _WORD_BOUNDARY.sub("_", class_name).lower()
