"""Secret-named values in every common syntax: ``name=value``, ``name: value``, JSON, YAML, XML."""

from __future__ import annotations

import re

from .names import _PUBLIC_NAMES, _is_secret_text_name
from .spans import _Spans
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
# A value ends at a JSON-escaped line break too: "database:\\n  password: x\\n  user: app".
_EQUALS_VALUE = re.compile(r"(?:[^\s&;,#\"'<>\\]|\\(?![nrt]))+")
_COLON_VALUE = re.compile(r"(?:[^\s,;\"'<>}\]\\]|\\(?![nrt]))+")
_BRACKET_OR_NEWLINE = re.compile(r"[\[\]{}\n]")
_BLANKS = re.compile(r"[ \t]*")
_BLOCK_INDICATOR = re.compile(r"[|>][+\-]?[ \t]*\Z")


def _mask_assignments(text: str, spans: _Spans, words: tuple[str, ...]) -> None:
    """The value of every pair whose name is secret, in the syntax of a query string, a shell, JSON, YAML."""
    position = 0
    line_start = 0
    line_indent = 0  # where the first non-blank character of the current line is
    read_to = 0
    while (match := _ASSIGNMENT.search(text, position)) is not None:
        name_start = match.start("name")
        newline = text.rfind("\n", read_to, name_start)
        if newline >= 0 or read_to == 0:
            line_start = newline + 1
            line_indent = _run_end(_BLANKS, text, line_start)
        read_to = name_start
        position = match.end()
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
        indent = len(text[line_start:name_start].expandtabs()) if starts_line else -1
        position = _mask_value(text, position, separator, indent, spans)


def _mask_value(text: str, start: int, separator: str, indent: int, spans: _Spans) -> int:
    """Mask the value starting at ``start`` (``indent``: the name's column if it starts its line, else
    -1); return where reading goes on, past everything read."""
    first = text[start : start + 1]
    if text.startswith(('\\"', "\\'"), start):
        quoted = _ESCAPED_QUOTED.match(text, start)
        end = quoted.end() - 2 if quoted is not None else _line_end(text, start)
        spans.mask(start + 2, end)
        return end + 2
    if first in ('"', "'"):
        quoted = (_DOUBLE_QUOTED if first == '"' else _SINGLE_QUOTED).match(text, start)
        end = quoted.end() - 1 if quoted is not None else _line_end(text, start)
        spans.mask(start + 1, end)
        return end + 1
    if first in ("{", "["):
        end = _closing_bracket(text, start)
        spans.mask(start, end)
        return end
    if separator == ":" and indent >= 0:
        line_end = _line_end(text, start)
        rest = text[start:line_end]
        if not rest.strip() or _BLOCK_INDICATOR.match(rest):
            return _mask_block(text, line_end, indent, spans)
        spans.mask(start, start + len(rest.rstrip()))
        return line_end
    value = (_COLON_VALUE if separator == ":" else _EQUALS_VALUE).match(text, start)
    if value is None:
        return start
    if separator != ":" or _looks_generated(value[0]):  # in a sentence, "token: expired" is prose
        spans.mask(start, value.end())
    return value.end()


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


def _mask_block(text: str, position: int, indent: int, spans: _Spans) -> int:
    """Every line after a secret ``name:`` that is indented deeper than the name, or is a list item
    at its depth (a YAML block); return the end of the block."""
    while position < len(text):
        line_end = _line_end(text, position + 1)
        line = text[position + 1 : line_end]
        content = line.lstrip(" \t")
        depth = len(line[: len(line) - len(content)].expandtabs())
        if content.strip() and (depth < indent or (depth == indent and not content.startswith("-"))):
            return position
        content_start = line_end - len(content)
        spans.mask(content_start, content_start + len(content.rstrip()))
        position = line_end
    return position


# <password>value</password> ----------------------------------------------------------------

_XML_ELEMENT = re.compile(r"<(?P<name>[A-Za-z_][\w.\-:]*)(?:\s[^<>]*)?>(?P<value>[^<]*)</(?P=name)>")


def _mask_xml_elements(text: str, spans: _Spans, words: tuple[str, ...]) -> None:
    for match in _XML_ELEMENT.finditer(text):
        if match["value"].strip() and _is_secret_text_name(match["name"].rpartition(":")[2], words):
            spans.mask(match.start("value"), match.end("value"))
