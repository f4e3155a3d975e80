"""Scrubbing any value: walking mappings, sequences, models and objects within a budget."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterable, Mapping
from itertools import islice

from .commands import _Arguments
from .names import _is_inert_value, _lowered, _secret_context
from .spans import (
    _ITEMS_CUT_MARKER,
    _MAX_DEPTH,
    _MAX_INT_BITS,
    ITEM_LIMIT,
    MASK,
    TEXT_LIMIT,
    TOTAL_TEXT_LIMIT,
)
from .text import _printable, _scrub_string, _unprintable

TYPE_CHECKING = False
if TYPE_CHECKING:  # typing costs a command-line probe several milliseconds of start-up
    from typing import Any

# -- values -------------------------------------------------------------------------------------


def scrub(value: Any, extra_key_words: Iterable[str] = ()) -> Any:
    """A JSON-ready copy of ``value`` with every secret it recognises masked.

    Args:
        value: anything: mappings, sequences, strings, models, objects.
        extra_key_words: words that make a key secret besides :data:`KEY_WORDS`.

    Returns:
        Dicts (with string keys), lists, strings, numbers, booleans and ``None``.

    Raises:
        ValueError: an extra key word is empty (it would match every key).

    Example:
        >>> scrub({"config": {"stripe": "sk_live_abcdefghij1234"}, "hosts": ["redis://:pw@cache:6379"]})
        {'config': {'stripe': '********'}, 'hosts': ['redis://:********@cache:6379']}
    """
    words = tuple(extra_key_words)
    if any(not isinstance(word, str) or not word.strip() for word in words):
        raise ValueError(f"extra key words must be non-empty strings, got {list(words)!r}")
    return _Walk(_lowered(words)).value(value, secret=None, depth=0, path=())


class _Walk:
    """One :func:`scrub` call: the extra words and what is left of the item and text budgets."""

    def __init__(self, words: tuple[str, ...]) -> None:
        self.words = words
        self.items_left = ITEM_LIMIT
        self.text_left = TOTAL_TEXT_LIMIT

    def value(self, value: Any, secret: str | None, depth: int, path: tuple[int, ...]) -> Any:
        """``value`` scrubbed; ``secret``: None if no secret name holds it, else how one does
        (names.py, ``_secret_context``)."""
        self.items_left -= 1
        try:
            return self._value(value, secret, depth, path)
        except Exception:  # noqa: BLE001 - looking at a value of any type may raise anything
            return _unprintable(value)

    def _value(self, value: Any, secret: str | None, depth: int, path: tuple[int, ...]) -> Any:
        is_secret = secret is not None
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, int):
            if is_secret:
                return MASK
            return value if value.bit_length() <= _MAX_INT_BITS else f"<integer of {value.bit_length()} bits>"
        if isinstance(value, float):
            return MASK if is_secret else value
        if isinstance(value, (str, bytes, bytearray)):
            if is_secret:
                return value if isinstance(value, str) and _is_inert_value(value) else MASK
            if isinstance(value, str):
                return self.text(value, depth, path)
            return self.text(bytes(value[: 4 * TEXT_LIMIT + 4]).decode("utf-8", "replace"), depth, path)
        if depth >= _MAX_DEPTH:
            return "<nested too deeply>"
        if id(value) in path:
            return "<cycle>"
        inner = (*path, id(value))
        fields = _fields(value)
        if fields is not None:
            return self.mapping(fields, secret, depth, inner)
        if isinstance(value, Mapping):
            return self.mapping(value, secret, depth, inner)
        if isinstance(value, (list, tuple)):
            return self.sequence(value, len(value), secret, depth, inner)
        if isinstance(value, (set, frozenset)):
            first = sorted(islice(value, max(self.items_left, 0) + 1), key=_sort_key)
            return self.sequence(first, len(value), secret, depth, inner)
        text = qualified_name(value) if callable(value) else _printable(value)
        return MASK if is_secret else self.text(text, depth, path)

    def mapping(self, value: Mapping[Any, Any], secret: str | None, depth: int, path: tuple[int, ...]) -> Any:
        result: dict[str, Any] = {}
        for index, (key, item) in enumerate(value.items()):
            if self.items_left <= 0:
                left = len(value) - index
                if left == 1 and key == "..." and isinstance(item, str) and _ITEMS_CUT_MARKER.match(item):
                    result[_unused("...", result)] = item  # cut before: the same marker again
                else:
                    result[_unused("...", result)] = f"...[{left} items cut]"
                break
            name = key if isinstance(key, str) else _printable(key)
            shown = _unused(self.plain_text(name), result)  # two keys that scrub alike both stay
            result[shown] = self.value(item, _secret_context(name, self.words, secret), depth + 1, path)
        return result

    def sequence(
        self, items: Iterable[Any], length: int, secret: str | None, depth: int, path: tuple[int, ...]
    ) -> Any:
        result: list[Any] = []
        arguments = _Arguments(self.words)
        for index, item in enumerate(items):
            if self.items_left <= 0:
                left = length - index
                is_marker = left == 1 and isinstance(item, str) and _ITEMS_CUT_MARKER.match(item)
                result.append(item if is_marker else f"...[{left} items cut]")
                break
            part = arguments.read(item) if isinstance(item, str) and secret is None else None
            if part is None:
                result.append(self.value(item, secret, depth + 1, path))
            else:
                self.items_left -= 1
                start, end = part
                result.append(f"{item[:start]}{MASK}{item[end:]}")
        return result

    def text(self, text: str, depth: int, path: tuple[int, ...]) -> str:
        """A string: JSON text is parsed and walked, any other scrubbed as text."""
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]") and len(stripped) <= self.text_left:
            try:
                parsed = json.loads(stripped)
            except (ValueError, RecursionError):
                pass
            else:
                scrubbed = self.value(parsed, secret=None, depth=depth + 1, path=path)
                if scrubbed == parsed:
                    return text
                return json.dumps(scrubbed, ensure_ascii=False, separators=(",", ":"))
        return self.plain_text(text)

    def plain_text(self, text: str) -> str:
        shown, read = _scrub_string(text, self.words, min(TEXT_LIMIT, max(self.text_left, 0)))
        self.text_left -= read
        return shown


def _fields(value: Any) -> dict[str, Any] | None:
    """The fields of a dataclass instance or a pydantic model, looked up only if their module is loaded."""
    if hasattr(type(value), "__dataclass_fields__") and not isinstance(value, type):
        dataclasses = sys.modules["dataclasses"]
        return {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
    pydantic = sys.modules.get("pydantic")
    if pydantic is not None and isinstance(value, pydantic.BaseModel):
        return dict(value)
    return None


def _unused(name: str, taken: Mapping[str, Any]) -> str:
    while name in taken:
        name += "'"
    return name


def _sort_key(value: Any) -> str:
    try:
        return repr(value)
    except Exception:  # noqa: BLE001 - a repr may raise anything
        return ""


def qualified_name(function: Any) -> str:
    """``module.QualifiedName`` of a function, class or callable object.

    Example:
        >>> qualified_name(qualified_name)
        'skiesish.scrubbing.walk.qualified_name'
    """
    try:
        name = getattr(function, "__qualname__", None) or type(function).__qualname__
        module = getattr(function, "__module__", None) or type(function).__module__
    except Exception:  # noqa: BLE001 - a property may raise anything
        return _unprintable(function)
    return f"{module}.{name}"
