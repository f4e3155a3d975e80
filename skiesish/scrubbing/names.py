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

# "key" after one of these names a public key or a key into data, not a secret.
_PUBLIC_KEY_QUALIFIERS = frozenset(
    {"public", "publishable", "pub", "cache", "partition", "sort", "routing", "primary", "foreign"}
    | {"hash", "range", "lookup", "dedup", "dedupe", "idempotency", "shard", "index", "unique"}
    | {"composite", "hot", "shortcut", "row", "column", "map", "registry", "translation", "object"}
)

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
)

#: Environment variables shown whatever their words: the shell's working directories, the login
#: session's number, and the fingerprint of the key that signs Python's releases (official images).
_PUBLIC_NAMES = frozenset({"PWD", "OLDPWD", "XDG_SESSION_ID", "GPG_KEY"})

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


def _has_extra_word(name: str, words: tuple[str, ...]) -> bool:
    if not words:
        return False
    lowered = name.lower()
    return any(word in lowered for word in words)


@lru_cache(maxsize=4096)
def _is_secret_name(name: str) -> bool:
    words = [word.lower() for word in _NAME_WORDS.findall(name)]
    last = -1
    for index, word in enumerate(words):
        if _is_secret_word(word, words[index - 1] if index else ""):
            last = index
    return last >= 0 and not any(word in _DESCRIPTORS for word in words[last + 1 :])


def _is_secret_word(word: str, before: str) -> bool:
    if word in ("key", "keys"):
        return before not in _PUBLIC_KEY_QUALIFIERS
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


def _lowered(extra_key_words: Iterable[str]) -> tuple[str, ...]:
    return tuple(word.lower() for word in extra_key_words if isinstance(word, str) and word.strip())
