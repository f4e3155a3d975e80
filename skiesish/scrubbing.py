"""Masking secrets in data about to be shown: environment variables, configuration, sections.

:func:`scrub` returns a JSON-ready copy of a value in which every secret it
recognises reads ``********``. Three rules, applied together:

1. **Secret keys.** A key whose name contains one of :data:`KEY_WORDS`
   (case-insensitive; ``key``, ``token``, ``pass``, ``secret``,
   ``credential``, ``auth``, ``private``, ``session``, ``cookie``,
   ``signature``, ``dsn``, ``salt``, plus ``jwt``, ``bearer``, ``signing``
   and ``hmac``), or whose name has one of :data:`KEY_WHOLE_WORDS`
   (``pat``, ``pw``, ``pwd``, ``sig``, ``sas``, ``otp``, ``totp``, ``pem``,
   ``jwk``, ``creds``) as a whole word, has its value masked. Whole words are needed
   where a substring would hit ordinary names: ``GITHUB_PAT`` is secret,
   ``PATH`` is not. Words such as ``api_key``, ``access_key``,
   ``passphrase``, ``passwd`` and ``oauth`` are already covered by the
   listed ones. ``cert`` is not a key word: certificates and CA bundles are
   public, and their private keys are caught by ``key``, ``private`` and
   the PEM rule below. Under a secret key, dicts and lists keep their shape and
   every value in them is masked; ``None`` and booleans, which cannot hold a
   secret, are shown.
2. **Secret-looking values, whatever their key.** In every string:
   the password of URL credentials (``scheme://user:********@host``), and a
   long, digit-bearing user name standing alone (a Sentry DSN's key); the
   value of secret-named ``name=value`` pairs, which covers query strings
   (``?token=``, ``&sig=``, ``X-Amz-Signature=``), libpq and ODBC
   connection strings (``password=``, ``Pwd=``) and ``--password=x``
   arguments; ``Bearer``/``Basic``/``Token`` credentials; PEM private
   keys; and well-known token formats (GitHub ``ghp_``/``github_pat_``,
   GitLab ``glpat-``, AWS access key ids ``AKIA``/``ASIA``, Slack ``xox?-``
   tokens and webhook paths, Stripe ``sk_live_``, Google ``AIza``, OpenAI
   style ``sk-``, npm, PyPI, SendGrid, HashiCorp Vault ``hvs.``, and JSON
   Web Tokens). A string
   holding a JSON object or array is parsed, scrubbed and written back.
   In a list, the item after a secret-named flag (``["--password", "x"]``)
   is masked.
3. **Everything is walked.** Mappings, lists, tuples, sets, dataclasses and
   pydantic models are walked at any depth (cycles and absurd depths are
   cut short); callables become their qualified names; other objects their
   ``str()``, scrubbed as text.

What it cannot know: a secret of no recognisable shape under an innocent
name (``{"MY_VAR": "hunter2"}``) is shown. Keep such endpoints behind a
token; add words with ``extra_key_words``.

Example:
    >>> scrub({"DATABASE_URL": "postgres://app:hunter2@db/app", "DEBUG": "1", "API_KEY": "abc"})
    {'DATABASE_URL': 'postgres://app:********@db/app', 'DEBUG': '1', 'API_KEY': '********'}
"""

from __future__ import annotations

import dataclasses
import json
import re
from collections.abc import Iterable, Mapping
from typing import Any

import pydantic

__all__ = ["KEY_WHOLE_WORDS", "KEY_WORDS", "MASK", "is_secret_key", "qualified_name", "scrub", "scrub_text"]

#: What a masked value reads, as in py-healthcheck.
MASK = "********"

#: A key whose name contains one of these (case-insensitive) is secret.
KEY_WORDS: tuple[str, ...] = (
    # from the tracker
    "key",
    "token",
    "pass",
    "secret",
    "credential",
    "auth",
    "private",
    "session",
    "cookie",
    "signature",
    "dsn",
    "salt",
    # built in beyond those
    "jwt",
    "bearer",
    "signing",
    "hmac",
)

#: A key with one of these as a whole word of its name (``GITHUB_PAT``, ``mysqlPwd``) is secret.
KEY_WHOLE_WORDS: frozenset[str] = frozenset(
    {"pat", "pw", "pwd", "sig", "sas", "otp", "totp", "pem", "jwk", "creds"}
)

_MAX_DEPTH = 64
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")

_PEM_PRIVATE_KEY = re.compile(
    r"-----BEGIN [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----.*?(?:-----END [A-Z0-9 ]*PRIVATE KEY[A-Z ]*-----|\Z)",
    re.S,
)
# RFC 3986 ends the authority at the first "/", but SQLAlchemy and others accept "/" and "@" in an
# unencoded password, so the password runs to the first "@" followed by a plain host (or by the
# "/" of a host-less URL, as libpq's "postgresql://u:pw@/db?host=/run/postgresql"). A "," or ";"
# ends the host, for lists of URLs and multi-host URLs ("mongodb://u:pw@h1,h2/db").
_URL_PASSWORD = re.compile(
    r"(?P<start>\b[A-Za-z][A-Za-z0-9+.\-]*://[^\s:/?#@\"'<>]*:)(?P<password>\S+?)"
    r"(?P<end>@(?:[^\s@/?#,;]+(?=[/?#\s,;]|\Z)|(?=/)))"
)
_URL_TOKEN_USER = re.compile(r"(?P<start>\b[A-Za-z][A-Za-z0-9+.\-]*://)(?P<user>[\w\-.~%]{16,})(?P<end>@)")
_SECRET_VALUES = re.compile(
    "|".join(
        [
            r"(?i:\bbearer)\s+[\w\-.~+/]{8,}=*",
            # "Basic" and "Token" are also plain words: the credential must look like one
            r"(?i:\b(?:basic|token))\s+"
            r"(?=[\w\-.~+/]*\d|[\w\-.~+/]*[a-z][\w\-.~+/]*[A-Z]|[\w\-.~+/]{8,}=)[\w\-.~+/]{8,}=*",
            r"\bgh[pousr]_[A-Za-z0-9]{20,}",
            r"\bgithub_pat_\w{20,}",
            r"\bglpat-[\w\-]{20,}",
            r"\b(?:AKIA|ASIA|ABIA|ACCA)[A-Z0-9]{16}\b",
            r"\bxox[abposr]-[A-Za-z0-9\-]{10,}",
            r"(?<=hooks\.slack\.com/services/)[A-Za-z0-9/]+",
            r"\b[rs]k_(?:live|test)_[A-Za-z0-9]{10,}",
            r"\bAIza[\w\-]{35}",
            r"\bsk-[\w\-]{20,}",
            r"\bnpm_[A-Za-z0-9]{36}",
            r"\bpypi-[\w\-]{50,}",
            r"\bSG\.[\w\-]{16,}\.[\w\-]{16,}",
            r"\bhv[sbr]\.[\w\-]{20,}",
            r"\beyJ[\w\-]{8,}\.[\w\-]{8,}\.[\w\-]{8,}",
        ]
    )
)
_NAME_VALUE = re.compile(
    r"(?<![\w.\-])(?P<name>-{0,2}[A-Za-z_][\w.\-]*)(?P<equals>\s*=\s*)"
    r"(?P<value>\"[^\"]*\"|'[^']*'|[^\s&;,#\"']+)"
)
_FLAG = re.compile(r"-{1,2}[A-Za-z_][\w.\-]*")


def is_secret_key(name: str, extra_key_words: Iterable[str] = ()) -> bool:
    """Whether a value under the key ``name`` must be masked.

    Args:
        name: the key, variable or parameter name.
        extra_key_words: more words that make a name secret when it contains them.
    """
    lowered = name.lower()
    if any(word in lowered for word in (*KEY_WORDS, *(word.lower() for word in extra_key_words))):
        return True
    return any(word.lower() in KEY_WHOLE_WORDS for word in _NAME_WORDS.findall(name))


def scrub_text(text: str, extra_key_words: Iterable[str] = ()) -> str:
    """``text`` with every secret-looking part (rule 2 of this module) masked."""
    words = tuple(extra_key_words)
    text = _PEM_PRIVATE_KEY.sub(MASK, text)
    text = _URL_PASSWORD.sub(_mask_url_password, text)
    text = _URL_TOKEN_USER.sub(_mask_url_token_user, text)
    text = _SECRET_VALUES.sub(MASK, text)
    return _NAME_VALUE.sub(lambda match: _mask_named_value(match, words), text)


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
    return _Scrubber(words).walk(value, is_secret=False, depth=0, path=())


class _Scrubber:
    def __init__(self, extra_key_words: tuple[str, ...]) -> None:
        self.extra_key_words = extra_key_words

    def walk(self, value: Any, is_secret: bool, depth: int, path: tuple[int, ...]) -> Any:
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, (int, float)):
            return MASK if is_secret else value
        if isinstance(value, (str, bytes)):
            text = value.decode("utf-8", "replace") if isinstance(value, bytes) else value
            return MASK if is_secret else self.text(text, depth, path)
        if depth >= _MAX_DEPTH:
            return "<nested too deeply>"
        if id(value) in path:
            return "<cycle>"
        inner = (*path, id(value))
        if isinstance(value, pydantic.BaseModel):
            return self.mapping(dict(value), is_secret, depth, inner)
        if dataclasses.is_dataclass(value) and not isinstance(value, type):
            fields = {field.name: getattr(value, field.name) for field in dataclasses.fields(value)}
            return self.mapping(fields, is_secret, depth, inner)
        if isinstance(value, Mapping):
            return self.mapping(value, is_secret, depth, inner)
        if isinstance(value, (list, tuple)):
            return self.sequence(value, is_secret, depth, inner)
        if isinstance(value, (set, frozenset)):
            return self.sequence(sorted(value, key=repr), is_secret, depth, inner)
        text = qualified_name(value) if callable(value) else str(value)
        return MASK if is_secret else self.text(text, depth, path)

    def mapping(self, value: Mapping[Any, Any], is_secret: bool, depth: int, path: tuple[int, ...]) -> Any:
        result: dict[str, Any] = {}
        for key, item in value.items():
            name = key if isinstance(key, str) else str(key)
            shown = scrub_text(name, self.extra_key_words)
            while shown in result:  # two keys that scrub alike both stay
                shown += "'"
            is_item_secret = is_secret or is_secret_key(name, self.extra_key_words)
            result[shown] = self.walk(item, is_item_secret, depth + 1, path)
        return result

    def sequence(self, value: Iterable[Any], is_secret: bool, depth: int, path: tuple[int, ...]) -> Any:
        result: list[Any] = []
        follows_secret_flag = False
        for item in value:
            masked = is_secret or (follows_secret_flag and isinstance(item, str) and not item.startswith("-"))
            result.append(self.walk(item, masked, depth + 1, path))
            follows_secret_flag = (
                isinstance(item, str)
                and _FLAG.fullmatch(item) is not None
                and is_secret_key(item.lstrip("-"), self.extra_key_words)
            )
        return result

    def text(self, text: str, depth: int, path: tuple[int, ...]) -> str:
        stripped = text.strip()
        if stripped[:1] in ("{", "[") and stripped[-1:] in ("}", "]"):
            try:
                parsed = json.loads(stripped)
            except ValueError:
                pass
            else:
                scrubbed = self.walk(parsed, is_secret=False, depth=depth + 1, path=path)
                return text if scrubbed == parsed else json.dumps(scrubbed)
        return scrub_text(text, self.extra_key_words)


def qualified_name(function: Any) -> str:
    """``module.QualifiedName`` of a function, class or callable object."""
    name = getattr(function, "__qualname__", None) or type(function).__qualname__
    module = getattr(function, "__module__", None) or type(function).__module__
    return f"{module}.{name}"


def _mask_url_password(match: re.Match[str]) -> str:
    return f"{match['start']}{MASK}{match['end']}"


def _mask_url_token_user(match: re.Match[str]) -> str:
    if not any(character.isdigit() for character in match["user"]):
        return match.group(0)
    return f"{match['start']}{MASK}{match['end']}"


def _mask_named_value(match: re.Match[str], extra_key_words: tuple[str, ...]) -> str:
    if not is_secret_key(match["name"].lstrip("-"), extra_key_words):
        return match.group(0)
    return f"{match['name']}{match['equals']}{MASK}"
