"""Scrubbing one string: cut it to its limit, then mask until nothing changes."""

from __future__ import annotations

from collections.abc import Iterable

from .assignments import _mask_assignments, _mask_spaced_pairs, _mask_xml_elements, _mask_xml_settings
from .commands import _mask_commands, _mask_options
from .names import _lowered
from .spans import _CUT_MARKER, _MAX_PASSES, _WHITESPACE, MASK, TEXT_LIMIT, _merged, _Spans
from .tokens import _mask_auth_schemes, _mask_tokens, _mask_webhooks
from .urls import _mask_private_keys, _mask_url_credentials

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

    # typing costs a command-line probe several milliseconds of start-up
    pass

# -- text ----------------------------------------------------------------------------------


def scrub_text(text: str, extra_key_words: Iterable[str] = ()) -> str:
    """``text`` with every secret-looking part masked (rule 2 of this module), cut to :data:`TEXT_LIMIT`.

    Args:
        text: any string; scrubbing it twice gives the same result as once.
        extra_key_words: more words that make a name secret (``licence=...``).

    Example:
        >>> scrub_text("retrying postgres://app:hunter2@db/app with token=abc")
        'retrying postgres://app:********@db/app with token=********'
    """
    return _scrub_string(_as_text(text), _lowered(extra_key_words), TEXT_LIMIT)[0]


def _scrub_string(text: str, words: tuple[str, ...], limit: int) -> tuple[str, int]:
    """``text`` scrubbed and cut to ``limit`` characters, and how many characters that read."""
    body, cut = text, 0
    marker = _CUT_MARKER.search(text, max(0, len(text) - 40))
    if marker is not None:  # text cut before: the marker is not read again, nor counted twice
        body, cut = text[: marker.start()], int(marker[1])
    read = len(body) - (len(MASK) - 1) * body.count(MASK)
    if read > limit:
        end = _cut_point(body, limit)
        cut += len(body) - end
        body = body[:end]
        read = len(body) - (len(MASK) - 1) * body.count(MASK)
    shown = body
    for _ in range(_MAX_PASSES):  # a mask can end a word or a line another rule then reads
        masked = _mask_text(shown, words)
        if masked == shown:
            break
        shown = masked
    return (f"{shown}...[{cut} characters cut]" if cut else shown), read


def _cut_point(text: str, limit: int) -> int:
    """Where to cut ``text`` to keep at most ``limit`` characters: before the word the limit falls in."""
    if limit <= 0:
        return 0
    if text[limit].isspace():
        return limit
    return max(text.rfind(character, 0, limit) for character in _WHITESPACE) + 1


def _mask_text(text: str, words: tuple[str, ...]) -> str:
    spans = _Spans()
    _mask_private_keys(text, spans)
    _mask_url_credentials(text, spans)
    _mask_xml_settings(text, spans)
    spans.freeze_claims()
    _mask_assignments(text, spans, words)
    _mask_xml_elements(text, spans, words)
    _mask_spaced_pairs(text, spans, words)
    _mask_options(text, spans, words)
    _mask_auth_schemes(text, spans)
    _mask_commands(text, spans, words)
    _mask_webhooks(text, spans)
    _mask_tokens(text, spans)  # last: its runs end where a mask begins, as they will in what is shown
    if not spans.masked:
        return text
    pieces: list[str] = []
    position = 0
    for start, end in _merged(spans.masked):
        pieces += (text[position:start], MASK)
        position = end
    pieces.append(text[position:])
    return "".join(pieces)


def _as_text(value: object) -> str:
    return value if isinstance(value, str) else _printable(value)


def _printable(value: Any) -> str:
    """``str(value)``, or ``<unprintable TypeName>`` when that fails."""
    try:
        return str(value)
    except Exception:  # noqa: BLE001 - a __str__ may raise anything
        return _unprintable(value)


def _unprintable(value: Any) -> str:
    return f"<unprintable {type(value).__name__}>"
