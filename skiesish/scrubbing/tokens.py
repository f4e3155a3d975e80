"""Credentials by their shape: authorization schemes, token formats, webhooks, random-looking runs."""

from __future__ import annotations

import binascii
import re

from .spans import _merged, _Spans
from .urls import _run_end

# Authorization schemes --------------------------------------------------------------------

_AUTH_SCHEME = re.compile(
    r"(?<![A-Za-z0-9_\-])(?P<scheme>(?i:bearer|basic|token|bot|ssws|negotiate|ntlm))[ \t]+"
    r"(?P<credential>[A-Za-z0-9_\-.~+/]+=*)"
)


def _mask_auth_schemes(text: str, spans: _Spans) -> None:
    """``Bearer <credential>``; after ``Basic``, ``Token`` (also plain words) only what looks like one."""
    for match in _AUTH_SCHEME.finditer(text):
        credential = match["credential"]
        if len(credential) < 8:
            continue
        if match["scheme"].lower() == "bearer" or _looks_generated(credential) or credential.endswith("="):
            spans.mask(*match.span("credential"))


def _looks_generated(text: str) -> bool:
    """Holds a digit, or both cases: "hunter22", "AbCdEfGh", not "configuration"."""
    return any(character.isdigit() for character in text) or (text.lower() != text != text.upper())


# Tokens of known formats, and random-looking ones ------------------------------------------

# A maximal run of the characters tokens are made of; every token rule looks at whole runs.
_RUN = re.compile(r"[A-Za-z0-9_\-.+/~]+")
_ALNUM = re.compile(r"[A-Za-z0-9]+")
_WORD = re.compile(r"[A-Za-z0-9_\-]+")
_DOTTED = re.compile(r"[A-Za-z0-9_\-.]+")
_HEX = re.compile(r"[0-9a-fA-F]+")
_UPPER = re.compile(r"[A-Z0-9]+")
_BASE64 = re.compile(r"[A-Za-z0-9+/_\-]+=*")

#: (prefix, what the rest is made of, its shortest and longest length; 0: no upper bound).
#: Facts from gitleaks' default rules (config/gitleaks.toml) unless another source is named.
_PREFIXED_TOKENS: tuple[tuple[str, re.Pattern[str], int, int], ...] = (
    *((prefix, _ALNUM, 30, 0) for prefix in ("ghp_", "gho_", "ghu_", "ghs_", "ghr_")),
    ("github_pat_", _WORD, 40, 0),
    *((prefix, _DOTTED, 20, 0) for prefix in ("glpat-", "gldt-", "glft-", "glsoat-", "glrt-", "glcbt-")),
    *((prefix, _WORD, 20, 0) for prefix in ("glimt-", "glptt-", "glagent-", "gloas-", "GR1348941")),
    *((prefix, _WORD, 10, 0) for prefix in ("xoxb-", "xoxp-", "xoxa-", "xoxr-", "xoxs-", "xoxo-")),
    *((prefix, _DOTTED, 10, 0) for prefix in ("xoxe-", "xoxe.xox", "xapp-")),
    *((prefix, _ALNUM, 10, 0) for prefix in ("sk_live_", "sk_test_", "sk_prod_", "rk_live_", "rk_test_")),
    # Stripe webhook signing secrets (stripe.com/docs/webhooks, "whsec_...")
    ("whsec_", _ALNUM, 24, 0),
    *((prefix, _UPPER, 16, 16) for prefix in ("AKIA", "ASIA", "ABIA", "ACCA")),
    ("AIza", _WORD, 30, 40),
    ("GOCSPX-", _WORD, 24, 0),  # Google OAuth client secrets
    ("ya29.", _DOTTED, 20, 0),  # Google OAuth access tokens
    *((prefix, _WORD, 32, 0) for prefix in ("sk-ant-api", "sk-ant-admin")),
    *((prefix, _WORD, 20, 0) for prefix in ("sk-proj-", "sk-svcacct-", "sk-admin-", "sk-None-", "sk-")),
    *((prefix, _ALNUM, 30, 0) for prefix in ("hf_", "api_org_")),
    ("npm_", _ALNUM, 36, 36),
    ("pypi-", _WORD, 50, 0),
    # Docker Hub personal access tokens (docs.docker.com, Hub API "Create access token")
    ("dckr_pat_", _WORD, 20, 0),
    ("key-", _HEX, 32, 32),  # Mailgun
    *((prefix, _HEX, 32, 32) for prefix in ("SK", "AC")),  # Twilio (detect-secrets, plugins/twilio.py)
    *((prefix, _WORD, 22, 0) for prefix in ("sq0atp-", "sq0csp-")),
    ("EAAA", _WORD, 40, 0),  # Square
    *((prefix, _HEX, 32, 32) for prefix in ("shpat_", "shpca_", "shppa_", "shpss_")),
    ("HRKU-", _WORD, 40, 0),
    *((prefix, _HEX, 64, 64) for prefix in ("dop_v1_", "doo_v1_", "dor_v1_")),
    ("NRAK-", _ALNUM, 27, 0),
    ("NRII-", _WORD, 30, 0),
    ("NRJS-", _HEX, 19, 0),
    ("sntrys_", _BASE64, 40, 0),
    ("sntryu_", _HEX, 64, 64),
    *((prefix, _WORD, 20, 0) for prefix in ("hvs.", "hvb.", "hvr.")),
    ("dp.pt.", _ALNUM, 40, 0),
    ("lin_api_", _ALNUM, 40, 0),
    ("PMAK-", _WORD, 50, 0),
    ("pul-", _HEX, 40, 40),
    ("glc_", _BASE64, 32, 0),
    ("glsa_", _WORD, 40, 0),
    ("eyJrIjoi", _ALNUM, 60, 0),
    ("dapi", _HEX, 32, 32),
    ("ntn_", _ALNUM, 40, 0),
    ("ATATT3", _BASE64, 100, 0),
    ("AGE-SECRET-KEY-1", _UPPER, 50, 0),
    ("ops_eyJ", _BASE64, 100, 0),
    ("AKCp", _ALNUM, 60, 0),
    ("LTAI", _ALNUM, 20, 20),
    ("p8e-", _ALNUM, 32, 32),
    ("pplx-", _ALNUM, 48, 48),
    *((prefix, _DOTTED, 32, 0) for prefix in ("pscale_tkn_", "pscale_pw_", "pscale_oauth_")),
    ("rubygems_", _HEX, 48, 48),
    ("fo1_", _WORD, 40, 0),
    *((prefix, _BASE64, 100, 0) for prefix in ("fm1r_", "fm1a_", "fm2_")),
    ("xkeysib-", _WORD, 64, 0),
    ("dt0c01.", _DOTTED, 80, 0),
    *((prefix, _HEX, 40, 40) for prefix in ("shippo_live_", "shippo_test_")),
    *((prefix, _BASE64, 40, 0) for prefix in ("duffel_live_", "duffel_test_")),
    *((prefix, _ALNUM, 54, 54) for prefix in ("EZAK", "EZTK")),
    ("tfp_", _DOTTED, 50, 0),
    ("pnu_", _ALNUM, 36, 0),
    ("rdme_", _ALNUM, 70, 0),
    ("fio-u-", _WORD, 64, 0),
    ("ico-", _ALNUM, 32, 32),
    ("tk-us-", _WORD, 48, 0),
    ("CLOJARS_", _ALNUM, 60, 0),
    ("sgp_", _WORD, 40, 0),
    ("sha256~", _WORD, 43, 43),  # OpenShift user tokens
    ("v1.0-", _WORD, 100, 0),  # Cloudflare origin CA keys
    *((prefix, _WORD, 12, 0) for prefix in ("FLWSECK_TEST-", "FLWSECK-")),
    ("sk.eyJ", _DOTTED, 60, 0),  # Mapbox secret tokens
    *((prefix, _HEX, 64, 64) for prefix in ("s-s4t2ud-", "s-s4t2af-")),
    ("glffct-", _WORD, 20, 0),  # gitlab-feature-flag-client-token
    ("API-", _UPPER, 26, 26),  # Octopus Deploy (octopus-deploy-api-key)
    ("4b1d", _ALNUM, 38, 38),  # ClickHouse Cloud (clickhouse-cloud-api-secret-key)
    ("cmVmd", _ALNUM, 59, 59),  # artifactory-reference-token
    ("ABSK", _BASE64, 109, 0),  # aws-amazon-bedrock-api-key-long-lived
    ("bedrock-api-key-", _BASE64, 40, 0),  # aws-amazon-bedrock-api-key-short-lived
    *((prefix, _ALNUM, 16, 16) for prefix in ("sm_aat_", "sm_pat_", "sm_sat_")),  # settlemint-*
    *((prefix, _ALNUM, 100, 0) for prefix in ("EAAM", "EAAC")),  # facebook-page-access-token
    ("dnkey-", _WORD, 79, 79),  # defined-networking-api-token
    # Not in gitleaks; the providers' documentation names the prefix:
    # SonarQube user, project and global analysis tokens ("Generating and using tokens")
    *((prefix, _ALNUM, 40, 40) for prefix in ("squ_", "sqp_", "sqa_")),
    # Buildkite API access, agent session and job, and cluster tokens (buildkite.com/docs/platform/
    # security/tokens)
    *((prefix, _ALNUM, 30, 0) for prefix in ("bkua_", "bkaa_", "bkaj_", "bkct_")),
    # Supabase personal access tokens and secret API keys (supabase.com/docs, "Access tokens",
    # "Understanding API keys")
    ("sbp_", _ALNUM, 40, 40),
    ("sb_secret_", _WORD, 20, 0),
    ("napi_", _ALNUM, 40, 0),  # Neon API keys (neon.com/docs/changelog/2025-01-31)
    # NuGet API keys, "oy2" and 43 base32 letters (NuGet/NuGetGallery, ApiKeyV4.cs)
    ("oy2", _ALNUM, 43, 43),
)
_PREFIXES = tuple(prefix for prefix, *_ in _PREFIXED_TOKENS)
_BY_START: dict[str, list[tuple[str, re.Pattern[str], int, int]]] = {}
for _entry in sorted(_PREFIXED_TOKENS, key=lambda entry: -len(entry[0])):
    _BY_START.setdefault(_entry[0][:2], []).append(_entry)

_SHAPED_TOKENS = (
    # Discord bot tokens (detect-secrets, detect_secrets/plugins/discord.py)
    re.compile(r"[MNO][\w\-]{23,27}\.[\w\-]{6,7}\.[\w\-]{27,40}"),
    # Azure AD client secrets (gitleaks: azure-ad-client-secret)
    re.compile(r"[A-Za-z0-9_~.]{3}\dQ~[A-Za-z0-9_~.\-]{31,34}"),
    # Mailchimp API keys (gitleaks: mailchimp-api-key)
    re.compile(r"[0-9a-f]{32}-us\d{1,2}"),
    # Mailgun signing keys (gitleaks: mailgun-signing-key)
    re.compile(r"[0-9a-h]{32}-[0-9a-h]{8}-[0-9a-h]{8}"),
    # 1Password secret keys (gitleaks: 1password-secret-key)
    re.compile(
        r"A3-[A-Z0-9]{6}-(?:[A-Z0-9]{11}|[A-Z0-9]{6}-[A-Z0-9]{5})-[A-Z0-9]{5}-[A-Z0-9]{5}-[A-Z0-9]{5}"
    ),
    # Airtable personal access tokens (gitleaks: airtable-personnal-access-token)
    re.compile(r"pat[A-Za-z0-9]{14}\.[a-f0-9]{64}"),
    # Plaid access tokens (gitleaks: plaid-api-token)
    re.compile(r"access-(?:sandbox|development|production)-[0-9a-f]{8}-(?:[0-9a-f]{4}-){3}[0-9a-f]{12}"),
    # Harness API keys (gitleaks: harness-api-key)
    re.compile(r"(?:pat|sat)\.[\w\-]{22}\.[A-Za-z0-9]{24}\.[A-Za-z0-9]{20}"),
    # Terraform Cloud API tokens (gitleaks: hashicorp-tf-api-token)
    re.compile(r"[A-Za-z0-9]{14}\.atlasv1\.[\w\-]{60,70}"),
    # MaxMind license keys (gitleaks: maxmind-license-key)
    re.compile(r"[A-Za-z0-9]{6}_[A-Za-z0-9]{29}_mmk"),
)
# Tokens that hold characters no run of token characters holds, each bounded.
_OTHER_TOKENS = (
    # Braintree access tokens (developer.paypal.com/braintree/docs, "Access tokens"):
    # access_token$production$<merchant id>$<32 hex>
    re.compile(r"(?<![\w$])access_token\$(?:production|sandbox)\$[0-9a-z]{16}\$[0-9a-f]{32}(?![\w$])"),
)
# Atlassian API tokens hold "=" before an 8-hex checksum (gitleaks: atlassian-api-token).
_EQUALS_INSIDE = ("ATATT3",)
_EQUALS_TAIL = re.compile(r"=[A-Za-z0-9_\-=]{1,64}")
# A webhook URL's path after one of these is its secret: (marker, what the host holds before it).
_WEBHOOK_PATHS = (
    *(("hooks.slack.com/" + kind, "") for kind in ("services/", "workflows/", "triggers/")),
    ("/webhooks/", "discord"),  # discord.com/api/webhooks/<id>/<token>, also /api/v10/webhooks/
    ("webhook.office.com/webhookb2/", ""),
    ("hooks.zapier.com/hooks/catch/", ""),
)
# Telegram bot tokens: "<bot id>:<35 characters>" (detect-secrets, plugins/telegram_token.py)
_NOT_SPACE = re.compile(r"\S*")
_PADDING = re.compile(r"=+(?![A-Za-z0-9])")
_TELEGRAM = re.compile(r"(?<![\w:\-])\d{8,10}:A[A-Za-z0-9_\-]{34}(?![\w\-])")
# Random text rarely holds three lower-case letters in a row; names are made of such words.
_WORD_IN_NAME = re.compile(r"[A-Z]?[a-z]{3,}")
# Public by design: SSH public keys ("ssh-ed25519 AAAAC3NzaC1lZDI1NTE5...", base64 of the key type's
# length and name) and Stripe's publishable keys (pk_live_..., shipped to browsers).
_PUBLIC_BLOBS = ("AAAAB3NzaC1", "AAAAC3NzaC1", "AAAAE2VjZHNh", "pk_live_", "pk_test_")
# Digests, public: Subresource Integrity ("sha384-<base64>", W3C SRI) and, after "SHA256:", an SSH
# key's fingerprint (ssh-keygen -l).
_INTEGRITY = re.compile(r"sha256-[A-Za-z0-9+/]{43}|sha384-[A-Za-z0-9+/]{64}|sha512-[A-Za-z0-9+/]{86}")
_FINGERPRINT_LABELS = ("SHA256:", "SHA384:", "SHA512:")
_FINGERPRINT = re.compile(r"[A-Za-z0-9+/]{43,86}\.?")
_CLASS_CHANGE = re.compile(r"[a-z](?=[A-Z0-9])|[A-Z](?=[a-z0-9])|[0-9](?=[A-Za-z])")
_DIGIT = re.compile(r"[0-9]")
_SEPARATORS = "+/_-.~"


def _mask_webhooks(text: str, spans: _Spans) -> None:
    """The path of a webhook URL, to the next whitespace: it is the webhook's secret."""
    for marker, host in _WEBHOOK_PATHS:
        position = 0
        while (found := text.find(marker, position)) >= 0:
            position = found + len(marker)
            if host and text.rfind(host, max(0, found - 64), found) < 0:
                continue
            end = _run_end(_NOT_SPACE, text, position)
            spans.mask(position, len(text[position:end].rstrip("\"'.,;:)>]}")) + position)
            position = end


def _mask_tokens(text: str, spans: _Spans) -> None:
    masked = _merged(spans.masked + spans.public)
    index = 0  # the first masked region that ends after the current run starts
    for match in _RUN.finditer(text):
        start, end = match.span()
        if end - start < 16 or _is_public_run(text, start, end):
            continue
        while index < len(masked) and masked[index][1] <= start:
            index += 1
        following = index
        while following < len(masked) and masked[following][0] < end:
            mask_start, mask_end = masked[following]
            if mask_start - start >= 16:
                _mask_run(text[start:mask_start], start, spans)
            start = max(start, mask_end)
            following += 1
        if end - start >= 16:
            _mask_run(text[start:end], start, spans)
        if spans.masked and spans.masked[-1][1] == end:  # base64 padding: "...=" shows nothing
            padding = _PADDING.match(text, end)
            if text.startswith(_EQUALS_INSIDE, spans.masked[-1][0]):
                padding = _EQUALS_TAIL.match(text, end)
            if padding is not None:
                spans.mask(end, padding.end())
    for pattern in (_TELEGRAM, *_OTHER_TOKENS):
        for match in pattern.finditer(text):
            spans.mask(*match.span())


def _is_public_run(text: str, start: int, end: int) -> bool:
    """A run that is public as a whole: an SSH public key's blob (its base64 may hold "/"), an
    integrity digest, an SSH key's fingerprint."""
    if text.startswith(_PUBLIC_BLOBS, start) or _INTEGRITY.fullmatch(text, start, end) is not None:
        return True
    label = text[max(start - 7, 0) : start]
    return label in _FINGERPRINT_LABELS and _FINGERPRINT.fullmatch(text, start, end) is not None


def _mask_run(run: str, offset: int, spans: _Spans) -> None:
    """One run of token characters: a known token, or random-looking (as a whole, or its path parts)."""
    token = run.rstrip(".-")
    if _is_known_token(token):
        spans.mask(offset, offset + len(token))
        return
    if "/" not in run:
        if _looks_random(token):
            spans.mask(offset, offset + len(token))
        return
    is_path = run.startswith(("/", "./", "../", "~/")) or "//" in run
    if not is_path and _looks_random(token):
        spans.mask(offset, offset + len(token))
        return
    start = 0
    for part in run.split("/"):
        part_token = part.rstrip(".-")
        if len(part_token) >= 16 and (_is_known_token(part_token) or _looks_random(part_token)):
            spans.mask(offset + start, offset + start + len(part_token))
        start += len(part) + 1


def _is_known_token(token: str) -> bool:
    if token.startswith(_PREFIXES):
        for prefix, body_class, shortest, longest in _BY_START.get(token[:2], ()):
            if token.startswith(prefix):
                body = token[len(prefix) :]
                if (
                    len(body) >= shortest
                    and (not longest or len(body) <= longest)
                    and body_class.fullmatch(body)
                    and _looks_generated(body)
                ):
                    return True
    if token.startswith("eyJ") and len(token) >= 20:  # base64 of '{"': a JSON Web Token, a JSON blob
        return True
    if token.startswith("SG.") and token.count(".") >= 2 and len(token) >= 50:  # SendGrid
        return True
    return len(token) <= 160 and any(shape.fullmatch(token) for shape in _SHAPED_TOKENS)


def _looks_random(token: str) -> bool:
    """Long, of mixed case and digits that change as often as in random text, and not base64 of text."""
    core = token.rstrip("=")
    if len(core) < 20 or core.lower() == core or core.upper() == core or not _DIGIT.search(core):
        return False
    letters_and_digits = len(core) - sum(core.count(separator) for separator in _SEPARATORS)
    if letters_and_digits < 20 or len(_CLASS_CHANGE.findall(core)) < 0.3 * letters_and_digits:
        return False
    if sum(map(len, _WORD_IN_NAME.findall(core))) >= 0.6 * letters_and_digits:
        return False  # mostly words: MyService2024FinalBuild3, UTF8StringEncoderV2
    return not core.startswith(_PUBLIC_BLOBS) and not _is_base64_of_text(core)


def _is_base64_of_text(core: str) -> bool:
    if "." in core or "~" in core:
        return False
    standard = core.replace("-", "+").replace("_", "/")
    try:
        decoded = binascii.a2b_base64(standard + "=" * (-len(standard) % 4)).decode("utf-8")
    except (binascii.Error, UnicodeDecodeError, ValueError):
        return False
    return " " in decoded and decoded.replace("\n", " ").replace("\t", " ").isprintable()
