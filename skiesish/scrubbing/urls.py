"""PEM private keys and the credentials of URLs and DSNs, in any text."""

from __future__ import annotations

import re

from .spans import _WHITESPACE, _Spans

# PEM blocks: private keys, and public keys and certificates -----------------------------

# Labels of PEM blocks that hold public material (RFC 7468): certificates, requests, CRLs, public keys.
_PUBLIC_PEM_LABELS = ("CERTIFICATE", "PUBLIC KEY", "X509 CRL")


def _mask_private_keys(text: str, spans: _Spans) -> None:
    """``-----BEGIN ... PRIVATE KEY-----`` to its END line, or to the end of the text; a certificate or
    a public key to its END line is kept whole (the token rule would take its base64 for a token)."""
    position = 0
    while (begin := text.find("-----BEGIN ", position)) >= 0:
        label_end = text.find("-----", begin + 11, begin + 100)
        position = begin + 11
        if label_end < 0:
            continue
        label = text[begin + 11 : label_end]
        is_private = "PRIVATE KEY" in label
        if not is_private and not any(public in label for public in _PUBLIC_PEM_LABELS):
            continue
        if is_private:
            footer = text.find("-----END ", label_end)
            footer_end = text.find("-----", footer + 9, footer + 100) if footer >= 0 else -1
            end = len(text) if footer_end < 0 else footer_end + 5
            spans.mask(begin, end)
            spans.claim(begin, end)
            position = end
            continue
        # public material only up to its own END: not past the next block's BEGIN
        next_begin = text.find("-----BEGIN ", label_end)
        footer = text.find("-----END ", label_end, len(text) if next_begin < 0 else next_begin)
        footer_end = text.find("-----", footer + 9, footer + 100) if footer >= 0 else -1
        if footer_end >= 0:
            spans.keep(begin, footer_end + 5)
            position = footer_end + 5


# URL credentials -------------------------------------------------------------------------

# After "@": a host, up to the first character that ends one.
_HOST = re.compile(r"[^\s@/?#,;]*")
# A URL's user, at the start of a segment or after a delimiter, followed by ":".
_USER_BEFORE_COLON = re.compile(r"(?:^|(?<=[\"'=(<>{}\[\],;`]))[A-Za-z0-9._~%+\-]+:")
# An Oracle logon's user before "/": an identifier (letters, digits, _ $ #), at a segment's start or
# after a delimiter, so paths (golang.org/x/net@v0.17.0, node_modules/@types/x) are none.
_ORACLE_USER = re.compile(r"(?:^|(?<=[\"'=(<>{}\[\],;`]))[A-Za-z][\w$#]*/")
_PORT = re.compile(r":\d{1,5}(?![\w.\-:])")
_TOKEN_USER = re.compile(r"[\w\-.~%]{16,}")
_PORT_AND_PATH = re.compile(r"\d{1,5}/")
# Schemes of URIs that are not credentials when "name:x@host" is read without "//": mailto:bob@host.
_NOT_USERS = frozenset({"mailto", "sip", "sips", "tel", "xmpp", "im", "pres", "urn", "news", "data"})


def _run_end(run: re.Pattern[str], text: str, start: int) -> int:
    """Where the run of ``run`` (a pattern that matches the empty string too) starting at ``start`` ends."""
    match = run.match(text, start)
    return start if match is None else match.end()


def _mask_url_credentials(text: str, spans: _Spans) -> None:
    """The password of ``scheme://user:password@host``, of ``user:password@tcp(host)/db`` and of Oracle's
    ``user/password@//host:port/service``.

    RFC 3986 ends the authority at the first "/", but SQLAlchemy and others accept "/" and "@" in an
    unencoded password, so the password runs to the first "@" followed by a plain host (or by the "/"
    of a host-less URL, as libpq's "postgresql://u:pw@/db?host=/run/postgresql"). Each "@" looks
    back no further than the previous such "@" and the whitespace before it, so the text is read
    about twice whatever it holds.
    """
    previous = 0
    position = text.find("@")
    while position >= 0:
        host_end = _run_end(_HOST, text, position + 1)
        follows = text[host_end : host_end + 1]
        if text.startswith("/", position + 1) or (host_end > position + 1 and follows != "@"):
            space = max(text.rfind(character, previous, position) for character in _WHITESPACE)
            _mask_userinfo(text, max(previous, space + 1), position, host_end, space + 1 < previous, spans)
            previous = position + 1
        position = text.find("@", position + 1)


def _mask_userinfo(text: str, start: int, at: int, host_end: int, after_host: bool, spans: _Spans) -> None:
    """Mask the password of the userinfo ending at ``at`` (``after_host``: ``start`` follows the host
    of a URL before it, which cannot be a user)."""
    segment = text[start:at]
    scheme = segment.rfind("://")
    if scheme >= 0:
        user_start = start + scheme + 3
        userinfo = text[user_start:at]
        colon = userinfo.find(":")
        if colon < 0:  # a token as the user: a Sentry DSN's key, https://<token>@github.com
            if _TOKEN_USER.fullmatch(userinfo) and any(character.isdigit() for character in userinfo):
                spans.mask(user_start, at)
                spans.claim(user_start, at)
            return
        user, password = userinfo[:colon], userinfo[colon + 1 :]
        if any(character in user for character in "/?#@\"'<>") or not password:
            return
        if "." in user and _PORT_AND_PATH.match(password):  # https://host:8443/path/@user
            return
        spans.mask(user_start + colon + 1, at)
        spans.claim(user_start, at)
        return
    if after_host:
        return
    if segment.startswith("jdbc:") and ":thin:" in segment:  # jdbc:oracle:thin:user/password@host
        credentials = segment.rfind(":") + 1
        slash = segment.find("/", credentials)
        if slash > credentials:
            spans.mask(start + slash + 1, at)
            spans.claim(start + credentials, at)
        return
    # EZConnect: user/password@//host:1521/service, user/password@host:1521/service
    logon = _ORACLE_USER.search(segment)
    is_ezconnect = text.startswith("//", at + 1) or _PORT.search(text, at + 1, host_end) is not None
    if logon is not None and logon.end() < len(segment) and is_ezconnect:
        spans.mask(start + logon.end(), at)
        spans.claim(start + logon.start(), at)
        return
    found = _USER_BEFORE_COLON.search(segment)
    if found is None or found.end() == len(segment) or found[0][:-1].lower() in _NOT_USERS:
        return
    if text.startswith(("tcp(", "unix(", "/"), at + 1) or _PORT.search(text, at + 1, host_end):
        spans.mask(start + found.end(), at)
        spans.claim(start + found.start(), at)
