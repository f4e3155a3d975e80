"""Secret names: which keys, variables and parameters hold a secret (rule 1)."""

from __future__ import annotations

import re
from collections.abc import Iterable
from functools import lru_cache

#: A word of a name that makes it secret, alone or ending a longer word (``PGPASSWORD``).
KEY_WORDS: tuple[str, ...] = (
    *("password", "passwords", "passwd", "passphrase", "passcode", "secret", "secrets"),
    *("token", "tokens", "credential", "credentials", "creds", "apikey", "apikeys", "privatekey"),
    *("signature", "cookie", "cookies", "dsn", "sessionid", "sessid", "jwt", "bearer", "hmac"),
    "authorization",
    # the same in other languages (contrasena: detect-secrets, detect_secrets/plugins/keyword.py)
    *("passwort", "kennwort", "contrasena", "senha"),
)

#: A word that makes a name secret only as a whole word, or after a qualifier (``APIKEY``, ``dbpass``).
KEY_WHOLE_WORDS: frozenset[str] = frozenset(
    {"key", "keys", "pass", "pw", "pwd", "pat", "pin", "sig", "sas", "otp", "totp", "hotp"}
    | {"pem", "jwk", "auth", "oauth", "private", "salt", "passin", "passout"}
)

# A word before a KEY_WHOLE_WORD in one word: "apikey", "accesskey", "dbpass", "storepass", "basicauth".
_QUALIFIERS = frozenset(
    {"api", "access", "secret", "private", "priv", "signing", "sign", "encryption", "encrypt", "enc"}
    | {"crypt", "master", "auth", "session", "client", "app", "license", "licence", "ssh", "gpg", "pgp"}
    | {"ssl", "tls", "account", "service", "db", "database", "root", "admin", "deploy", "shared"}
    | {"storage", "consumer", "webhook", "hmac", "jwt", "aes", "rsa", "subscription", "primary"}
    | {"secondary", "user", "store", "key", "basic", "proxy", "http", "instrumentation"}
)

# "key" after one of these names a public key or a key into data, not a secret: an SSH host key and
# an authorized key are public keys.
_PUBLIC_KEY_QUALIFIERS = frozenset(
    {"public", "publishable", "pub", "cache", "partition", "sort", "routing", "primary", "foreign"}
    | {"hash", "range", "lookup", "dedup", "dedupe", "idempotency", "shard", "index", "unique"}
    | {"composite", "hot", "shortcut", "row", "column", "map", "registry", "translation", "object"}
    | {"host", "authorized", "trusted"}
)

# "tokens" after one of these counts a language model's tokens (MAX_TOKENS, prompt_tokens); "token"
# (one) only after a word of a limit: INPUT_TOKEN is a GitHub Actions input named "token".
_TOKEN_COUNTERS = frozenset(
    {"max", "min", "num", "total", "prompt", "completion", "input", "output", "cached", "reasoning"}
    | {"used", "remaining", "limit", "context"}
)
_TOKEN_LIMITS = frozenset({"max", "min", "num"})

# After the last secret word of a name, a word saying where or how the secret is used.
_DESCRIPTORS = frozenset(
    {"host", "hostname", "hosts", "port", "ports", "addr", "address", "url", "uri", "urls", "endpoint"}
    | {"endpoints", "domain", "path", "paths", "dir", "directory", "file", "filename", "files"}
    | {"sock", "socket", "type", "kind", "mode", "method", "methods", "enabled", "enable", "disabled"}
    | {"disable", "required", "provider", "providers", "backend", "backends", "engine", "algorithm"}
    | {"algorithms", "alg", "length", "len", "size", "bits", "ttl", "timeout", "expiry", "expires"}
    | {"expiration", "lifetime", "age", "max", "min", "count", "limit", "retries", "version"}
    | {"format", "header", "prefix", "scheme", "issuer", "audience", "scope", "scopes", "region"}
    | {"name", "names", "label", "policy", "validators", "hashers", "model", "secure", "httponly"}
    | {"samesite", "tcp", "udp", "proto", "protocol", "ip", "cidr", "network", "user", "username"}
    | {"email", "location", "rotation", "strategy", "field", "param", "env", "var", "variable"}
    | {"error", "errors", "exception", "warning"}  # KeyError: 'missing', TokenExpiredError
    # where a secret is kept or looked up, rather than the secret: SECRET_STORE, DB_SECRET_ARN
    | {"store", "stores", "manager", "arn", "ref", "reference", "stdin", "prompt"}
    # how it is checked, how long it lives and how often it is used: StrictHostKeyChecking
    | {"checking", "check", "checks", "days", "hours", "minutes", "seconds", "interval", "period"}
    | {"duration", "usage", "counts", "quota", "attempts"}
    | {"public", "publishable"}  # JWT_PUBLIC_KEY: a key, public
)

#: Environment variables shown whatever their words: the shell's working directories, the login
#: session's number, and the fingerprint of the key that signs Python's releases (official images).
_PUBLIC_NAMES = frozenset({"PWD", "OLDPWD", "XDG_SESSION_ID", "GPG_KEY"})

#: Values that are no secret under any name: a switch, or a placeholder that a program fills in
#: (SQL parameters ``$1``, ``?``, ``%s``, ``:name``; ``${VAR}``, ``$VAR``, ``$(VAR)``; a template's
#: ``{{ var }}``; this package's own ``env:VAR``; ``<your-token>``). A default (``${VAR:-x}``) or a
#: filter may hold a secret, so neither is one of them.
_INERT_VALUE = re.compile(
    r"(?i:true|false|yes|no|on|off|none|null)|\?|%s|%\([A-Za-z_]\w{0,63}\)s|\$\d{1,3}|:[A-Za-z_]\w{0,63}"
    r"|\$[A-Z_][A-Z0-9_]{1,63}|\$\{[A-Za-z_]\w{0,63}\}|\$\([A-Za-z_]\w{0,63}\)"
    r"|\{\{[ \t]*[A-Za-z_.][\w.]{0,63}[ \t]*\}\}|env:[A-Za-z_]\w{0,63}|<[A-Za-z][\w.\- ]{0,63}>"
)
_NAME_WORDS = re.compile(r"[A-Z]+(?![a-z])|[A-Z]?[a-z]+|\d+")
# Longer names are judged on their beginning: keys can be any text.
_NAME_LIMIT = 256


# -- names -------------------------------------------------------------------------------


def is_secret_key(name: str, extra_key_words: Iterable[str] = ()) -> bool:
    """Whether a value under the key ``name`` must be masked (rule 1 of this module).

    Args:
        name: the key, variable or parameter name.
        extra_key_words: more words that make a name secret when it contains them (in any case).

    Example:
        >>> is_secret_key("DB_PASSWORD"), is_secret_key("AUTHOR"), is_secret_key("apiKey")
        (True, False, True)
    """
    words = _lowered(extra_key_words)
    if _has_extra_word(name, words):
        return True
    return name not in _PUBLIC_NAMES and _is_secret_name(name[:_NAME_LIMIT])


def _is_secret_text_name(name: str, words: tuple[str, ...]) -> bool:
    """Whether a name written in text (``--password``, ``"PWD"``) is secret; no public-name exception."""
    name = name.strip("-\"'")
    return _has_extra_word(name, words) or _is_secret_name(name[:_NAME_LIMIT])


def _is_spaced_secret_name(name: str, words: tuple[str, ...]) -> bool:
    """Whether ``name``, written before a value with only a space between, names a secret: a secret
    name made of several words (``private_api_key``) or holding a word of :data:`KEY_WORDS`
    (``password``); ``key``, ``pass``, ``auth`` alone are too common in prose."""
    name = name[:_NAME_LIMIT]
    if not _is_secret_text_name(name, words):
        return False
    parts = _NAME_WORDS.findall(name)
    return len(parts) > 1 or any(word in name.lower() for word in KEY_WORDS) or _has_extra_word(name, words)


def _has_extra_word(name: str, words: tuple[str, ...]) -> bool:
    if not words:
        return False
    lowered = name.lower()
    return any(word in lowered for word in words)


def _is_secret_name(name: str) -> bool:
    return _secret_tail(name) is not None


@lru_cache(maxsize=4096)
def _secret_tail(name: str) -> str | None:
    """None if ``name`` is not secret, else its words from the one before its last secret word on,
    joined by "_": what a key nested under it continues (``auth`` + ``token_ttl``)."""
    words = [word.lower() for word in _NAME_WORDS.findall(name)]
    last = -1
    for index, word in enumerate(words):
        if _is_secret_word(word, words[index - 1] if index else ""):
            last = index
    if last < 0 or any(word in _DESCRIPTORS for word in words[last + 1 :]):
        return None
    return "_".join(words[max(last - 1, 0) :])


def _secret_context(name: str, words: tuple[str, ...], context: str | None = None) -> str | None:
    """How the value under ``name`` is secret: None, not secret; "" all of it; else the name that the
    keys nested in it continue (rule 1). ``context``: that of the mapping holding ``name``, if secret.

    Under a secret name a nested key is read as if it continued that name, so ``auth`` holding
    ``enabled`` or ``token_ttl`` is read as ``auth_enabled``, ``auth_token_ttl``: public, as the
    name rules say; ``credentials`` holding ``secret`` stays secret.
    """
    if _has_extra_word(name, words) or context == "":
        return ""
    if context is None:
        return None if name in _PUBLIC_NAMES else _secret_tail(name[:_NAME_LIMIT])
    return _secret_tail(f"{context}_{name[:_NAME_LIMIT]}")


def _is_secret_word(word: str, before: str) -> bool:
    if word in ("key", "keys"):
        return before not in _PUBLIC_KEY_QUALIFIERS
    if (word == "tokens" and before in _TOKEN_COUNTERS) or (word == "token" and before in _TOKEN_LIMITS):
        return False
    if word == "id":  # SESSION_ID
        return before in ("session", "sess")
    if word in KEY_WORDS or word in KEY_WHOLE_WORDS:
        return True
    for secret in KEY_WORDS:
        if word.endswith(secret):
            return True
        if word.startswith(secret) and _is_secret_word(word[len(secret) :], secret):
            return True  # "secretkey", "tokensecret"
    return any(word.endswith(whole) and word[: -len(whole)] in _QUALIFIERS for whole in KEY_WHOLE_WORDS)


def _is_inert_value(value: str) -> bool:
    """Whether ``value``, under a secret name, is a switch or a placeholder rather than a secret."""
    return len(value) <= 80 and _INERT_VALUE.fullmatch(value.strip()) is not None


def _lowered(extra_key_words: Iterable[str]) -> tuple[str, ...]:
    return tuple(word.lower() for word in extra_key_words if isinstance(word, str) and word.strip())
