"""Secret-named values in every common syntax: ``name=value``, ``name: value``, JSON, YAML, XML."""

from __future__ import annotations

import re
from functools import lru_cache

from .names import (
    _PUBLIC_NAMES,
    _is_inert_value,
    _is_secret_text_name,
    _is_spaced_secret_name,
    _secret_context,
)
from .spans import _WHITESPACE, _Spans
from .tokens import _looks_generated
from .urls import _run_end

# Settings in XML: <add key="DbPassword" value="..."/> ------------------------------------

# The quotes may be escaped, as in XML quoted inside JSON text.
_XML_SETTING = re.compile(
    r"""(?<![\w\-])key\s*=\s*\\?(["'])(?P<name>[^"'<>\n\\]*)\\?\1\s+"""
    r"""value\s*=\s*\\?(["'])(?P<value>[^"'<>\n\\]*)\\?\3"""
)


def _mask_xml_settings(text: str, spans: _Spans) -> None:
    for match in _XML_SETTING.finditer(text):
        spans.claim(match.start(), match.end())
        if _is_secret_text_name(match["name"], ()):
            spans.mask(match.start("value"), match.end("value"))


# name=value, name: value, "name": "value", name: <indented block> --------------------------

_ASSIGNMENT = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?P<name>-{0,2}[A-Za-z_][A-Za-z0-9_.\-]*)(?P<quote>\\?[\"']|)[ \t]*"
    r"(?P<separator>:=|=>|=|:)[ \t]*"
)
_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\\n]|\\.)*"')
_SINGLE_QUOTED = re.compile(r"'[^'\n]*'")
# Quoted with escaped quotes, as JSON text inside JSON text: \"password\": \"x\".
_ESCAPED_QUOTED = re.compile(r'\\(["\'])(?:[^\\\n]|\\[^"\'\n])*\\\1')
_COLON_VALUE = re.compile(r"(?:[^\s,;\"'<>}\]\\]|\\(?![nrt]))+")
_BRACKET_OR_NEWLINE = re.compile(r"[\[\]{}\n]")
_BLANKS = re.compile(r"[ \t]*")
_BLOCK_INDICATOR = re.compile(r"[|>][+\-]?[ \t]*\Z")
_OPENERS = {"(": ")", "[": "]", "{": "}", "<": ">"}


@lru_cache(maxsize=64)
def _equals_value(closers: str, is_query: bool) -> re.Pattern[str]:
    """An unquoted value after ``=``: its whitespace-delimited word, up to the first of ``closers``,
    a JSON-escaped line break or quote, an end tag, or a separator (``&``, ``;``, ``,``) that starts
    another ``name=`` pair or ends the word; in a query string (``is_query``) up to any ``&`` and the
    ``#`` of a fragment. Every alternative starts with a different character: no backtracking."""
    stops = re.escape("&;,\\<" + closers + ("#" if is_query else ""))
    separators = ";," if is_query else "&;,"
    return re.compile(rf"(?:[^\s{stops}]|[{separators}](?![A-Za-z_][\w.\-]*=|\s|\Z)|\\(?![nrt\"'])|<(?!/))+")


def _mask_assignments(
    text: str, spans: _Spans, words: tuple[str, ...], start: int = 0, end: int = -1
) -> None:
    """The value of every pair whose name is secret, in the syntax of a query string, a shell, JSON, YAML
    (in ``text[start:end]``, all of it by default)."""
    end = len(text) if end < 0 else end
    position = start
    line_start = text.rfind("\n", 0, start) + 1
    line_indent = _run_end(_BLANKS, text, line_start)
    counted = line_start  # quotes are counted on the current line up to here
    quotes = {'"': 0, "'": 0}
    while (match := _ASSIGNMENT.search(text, position, end)) is not None:
        name_start = match.start("name")
        newline = text.rfind("\n", counted, name_start)
        if newline >= 0:
            line_start = counted = newline + 1
            line_indent = _run_end(_BLANKS, text, line_start)
            quotes = {'"': 0, "'": 0}
        for quote in quotes:
            quotes[quote] += text.count(quote, counted, name_start)
        counted = name_start
        searched_from, position = position, match.end()
        separator = match["separator"]
        is_glued = separator == ":" and not match["quote"] and position == match.end("separator")
        if is_glued and position < len(text) and text[position] not in "\r\n":
            continue  # "name:value" without a space: a scheme, a time, a port, not a pair
        if spans.is_claimed(name_start) or not _is_secret_text_name(match["name"], words):
            continue
        if match["name"] in _PUBLIC_NAMES and (
            match["name"] not in ("PWD", "OLDPWD") or text[position : position + 2].lstrip("\"'")[:1] in "/~"
        ):
            continue  # PWD=/home/app is the shell's; ODBC's PWD=... is a password
        starts_line = (
            name_start == line_indent
            or (  # "  - name: value", a list item in YAML
                name_start - line_indent <= 8
                and text.startswith("-", line_indent)
                and not text[line_indent + 1 : name_start].strip(" \t")
            )
        )
        if separator == ":" and starts_line and _is_block_start(text, position):
            indent = len(text[line_start:name_start].expandtabs())
            context = _secret_context(match["name"].strip("-\"'"), words)
            position, shown = _mask_block(text, position, indent, context, spans, words)
            for value_start, value_end in shown:  # a public line of the block: its value is text
                _mask_assignments(text, spans, words, value_start, value_end)
            continue
        if separator == ":" and starts_line:
            position = _mask_line_value(text, position, spans)
            continue
        closers = _closers(text, quotes, searched_from, name_start)
        is_query = name_start > 0 and text[name_start - 1] in "?&#"
        position = _mask_value(text, position, separator, closers, is_query, spans)


def _closers(text: str, quotes: dict[str, int], searched_from: int, name_start: int) -> str:
    """What closes the quotes or brackets a pair stands in, and so ends its unquoted value: a quote of
    which an odd number stands before the name on its line (``quotes``), a bracket opened in the same
    word before the name (read no further back than ``searched_from``)."""
    closers = "".join(quote for quote, count in quotes.items() if count % 2)
    word_start = max(text.rfind(blank, searched_from, name_start) for blank in _WHITESPACE) + 1
    word = text[max(word_start, searched_from) : name_start]
    return closers + "".join(close for open_, close in _OPENERS.items() if open_ in word)


def _is_block_start(text: str, start: int) -> bool:
    """Whether nothing but a block indicator (``|``, ``>-``) follows ``name:`` on its line."""
    rest = text[start : _line_end(text, start)]
    return not rest.strip() or _BLOCK_INDICATOR.match(rest) is not None


def _mask_line_value(text: str, start: int, spans: _Spans) -> int:
    """``name: value`` starting a line (YAML, a header): the value to the end of the line."""
    if text.startswith(('"', "'", '\\"', "\\'", "{", "["), start):
        return _mask_value(text, start, ":", "", False, spans)
    line_end = _line_end(text, start)
    value = text[start:line_end].rstrip()
    if not _is_inert_value(value):
        spans.mask(start, start + len(value))
    return line_end


def _mask_value(text: str, start: int, separator: str, closers: str, is_query: bool, spans: _Spans) -> int:
    """Mask the value starting at ``start``; return where reading goes on, past everything read."""
    first = text[start : start + 1]
    if text.startswith(('\\"', "\\'"), start):
        quoted = _ESCAPED_QUOTED.match(text, start)
        end = quoted.end() - 2 if quoted is not None else _line_end(text, start)
        _mask_unless_inert(text, start + 2, end, spans)
        return end + 2
    if first in ('"', "'"):
        quoted = (_DOUBLE_QUOTED if first == '"' else _SINGLE_QUOTED).match(text, start)
        end = quoted.end() - 1 if quoted is not None else _line_end(text, start)
        _mask_unless_inert(text, start + 1, end, spans)
        return end + 1
    if first in ("{", "["):
        end = _closing_bracket(text, start)
        spans.mask(start, end)
        return end
    value = (_COLON_VALUE if separator == ":" else _equals_value(closers, is_query)).match(text, start)
    if value is None:
        return start
    if separator != ":" or _looks_generated(value[0]):  # in a sentence, "token: expired" is prose
        _mask_unless_inert(text, start, value.end(), spans)
    return value.end()


def _mask_unless_inert(text: str, start: int, end: int, spans: _Spans) -> None:
    if not _is_inert_value(text[start:end]):
        spans.mask(start, end)


def _line_end(text: str, start: int) -> int:
    end = text.find("\n", start)
    return len(text) if end < 0 else end


def _closing_bracket(text: str, start: int) -> int:
    """Past the bracket closing the one at ``start``, or the end of its line."""
    depth = 0
    for bracket in _BRACKET_OR_NEWLINE.finditer(text, start):
        if bracket[0] == "\n":
            return bracket.start()
        depth += 1 if bracket[0] in "[{" else -1
        if depth == 0:
            return bracket.end()
    return len(text)


# A key starting a line of a YAML block, maybe a list item's: "  token_ttl: 3600", "- name: x".
_BLOCK_KEY = re.compile(
    r"(?:-[ \t]+)?(?P<quote>[\"']?)(?P<key>[A-Za-z_][\w.\-]*)(?P=quote)[ \t]*:(?![^ \t\r])"
)


def _mask_block(
    text: str, position: int, indent: int, context: str | None, spans: _Spans, words: tuple[str, ...]
) -> tuple[int, list[tuple[int, int]]]:
    """The lines after a secret ``name:`` that are indented deeper than the name, or are list items
    at its depth (a YAML block); return the end of the block, and the values of its lines left shown.

    A key in the block is read as continuing the names of the keys it is nested in (``auth`` +
    ``token_ttl``): its value is shown when that name is public, masked otherwise; a line that is no
    ``key: value`` (a list item, a block scalar's text) is masked under a secret key.
    """
    levels = [(indent, context, False)]  # (column of a key, its secret context, holds text only)
    shown: list[tuple[int, int]] = []
    while position < len(text):
        line_end = _line_end(text, position + 1)
        line = text[position + 1 : line_end]
        content = line.lstrip(" \t")
        depth = len(line[: len(line) - len(content)].expandtabs())
        is_item = content.startswith("-")
        if content.strip():
            while len(levels) > 1 and (depth < levels[-1][0] or (depth == levels[-1][0] and not is_item)):
                levels.pop()
            column, parent, is_text = levels[-1]
            if len(levels) == 1 and (depth < column or (depth == column and not is_item)):
                return position, shown
            content_start = line_end - len(content)
            content_end = content_start + len(content.rstrip())
            key = None if is_text else _BLOCK_KEY.match(text, content_start, content_end)
            if key is None:
                if parent is not None:
                    spans.mask(content_start, content_end)
            else:
                secret = _secret_context(key["key"], words, parent)
                value_start = _run_end(_BLANKS, text, key.end())
                value = text[value_start:content_end]
                key_column = depth + key.start("quote") - content_start
                if not value or value.startswith("#") or _BLOCK_INDICATOR.match(value):
                    levels.append((key_column, secret, bool(value) and not value.startswith("#")))
                elif secret is None:
                    shown.append((value_start, content_end))
                elif not _is_inert_value(value.strip("\"'")):
                    spans.mask(value_start, content_end)
        position = line_end
    return position, shown


# name value, name is value: a secret word before a value without "=" or ":" ----------------

_SPACED_NAME = re.compile(
    r"(?<![A-Za-z0-9_.\-])(?P<name>[A-Za-z_][A-Za-z0-9_.\-]*)[ \t]+(?:(?:is|was)[ \t]+)?"
)
_WORD_VALUE = re.compile(r"\S+")
# What ends a sentence, or the markup around a word, rather than a value: "the password is hunter22."
_TRAILING = ".,;:)]}>\"'`*"
# A date, a time or a version after a secret word is prose: "token expires 2024-06-01".
_DATE_OR_VERSION = re.compile(r"v?\d+(?:\.\d+)+[\w.\-+]*|\d{4}-\d{2}-\d{2}[\dT:.+\-Z]*")
# Symbols of words, paths, addresses and names (kubernetes.io/service-account-token), not of secrets.
_PLAIN_SYMBOLS = "-_'./:@"
_WORD_PARTS = re.compile(r"[^\-_'./:@]+")


def _mask_spaced_pairs(text: str, spans: _Spans, words: tuple[str, ...]) -> None:
    """``password VALUE`` (.netrc), ``password is VALUE``, ``set private_api_key VALUE``: a secret name
    that holds a secret word or is a compound one (``key`` or ``pass`` alone are prose), then one word
    that looks like a credential (:func:`_looks_like_credential`)."""
    position = 0
    while (match := _SPACED_NAME.search(text, position)) is not None:
        position = match.end()  # the value may itself be a name before another value
        if spans.is_claimed(match.start()) or not _is_spaced_secret_name(match["name"], words):
            continue
        first = text[position : position + 1]
        if first in ('"', "'"):
            quoted = (_DOUBLE_QUOTED if first == '"' else _SINGLE_QUOTED).match(text, position)
            if quoted is not None and _looks_like_credential(quoted[0][1:-1]):
                spans.mask(position + 1, quoted.end() - 1)
            continue
        value = _WORD_VALUE.match(text, position)
        if value is None:
            continue
        start = position + len(value[0]) - len(value[0].lstrip("`*"))  # markup: *hunter22*
        word = text[start : value.end()].rstrip(_TRAILING)
        if word[:1] not in "=:-([{<" and _looks_like_credential(word):
            spans.mask(start, start + len(word))


def _looks_like_credential(word: str) -> bool:
    """Six characters or more holding a digit, a symbol (not one of paths and addresses), or a capital
    inside a word (not a capitalised word); not a date, a time or a version."""
    if len(word) < 6 or _is_inert_value(word) or _DATE_OR_VERSION.fullmatch(word) is not None:
        return False
    if any(
        character.isdigit() or not (character.isalnum() or character in _PLAIN_SYMBOLS) for character in word
    ):
        return True
    return any(part[1:].lower() != part[1:] and part.upper() != part for part in _WORD_PARTS.findall(word))


# <password>value</password> ----------------------------------------------------------------

_XML_ELEMENT = re.compile(r"<(?P<name>[A-Za-z_][\w.\-:]*)(?:\s[^<>]*)?>(?P<value>[^<]*)</(?P=name)>")


def _mask_xml_elements(text: str, spans: _Spans, words: tuple[str, ...]) -> None:
    for match in _XML_ELEMENT.finditer(text):
        if match["value"].strip() and _is_secret_text_name(match["name"].rpartition(":")[2], words):
            spans.mask(match.start("value"), match.end("value"))
