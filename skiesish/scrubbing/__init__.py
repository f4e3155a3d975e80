"""Masking secrets in data about to be shown: environment variables, configuration, sections, output.

:func:`scrub` returns a JSON-ready copy of a value in which every secret it
recognises reads ``********``; :func:`scrub_text` does the same for one
string. Everything that leaves the process (HTTP answers, logs, command
output) goes through one of them. Four rules apply together.

1. **Secret names.** A name (a mapping key, the name of a ``name=value``
   pair in text, a ``--flag`` before a value) is split into words at ``_``,
   ``-``, ``.``, spaces, digits and camelCase. It is secret when a word is
   one of :data:`KEY_WORDS` or ends with one (``PGPASSWORD``,
   ``clientSecret``), or is one of :data:`KEY_WHOLE_WORDS` (``GITHUB_PAT``,
   ``MYSQL_PWD``, ``X-Auth-Token``), alone or after a qualifier such as
   ``api``, ``access`` or ``db`` (``APIKEY``, ``dbpass``). ``AUTHOR``,
   ``KEYBOARD_LAYOUT``, ``MONKEY``, ``PATH`` and ``TOKENIZERS_PARALLELISM``
   hold no such word. A name whose words go on, after the last secret one,
   with a word saying where, how or how long the secret is used or kept
   (``TOKEN_URL``, ``PASSWORD_FILE``, ``AUTH_SERVICE_HOST``,
   ``JWT_ALGORITHM``, ``SESSION_COOKIE_DOMAIN``, ``SECRET_STORE``,
   ``DB_SECRET_ARN``, ``StrictHostKeyChecking``, ``KEY_ROTATION_DAYS``) is
   not secret; ``PUBLIC_KEY``, ``SSH_HOST_KEY`` and ``CACHE_KEY`` are not
   either, nor are counts of a language model's tokens (``MAX_TOKENS``,
   ``prompt_tokens``). A few well-known shell variables are shown whatever
   their words: ``PWD`` and ``OLDPWD`` (the working directories),
   ``XDG_SESSION_ID`` and ``GPG_KEY`` (a public fingerprint in the official
   Python images). Under a secret name, dicts and lists keep their shape and
   their values are masked, but a nested key is read as continuing the name
   (``auth`` holding ``token_ttl`` reads ``auth_token_ttl``) and shows its
   value when that name is public: ``enabled``, ``timeout``, ``url``,
   ``port``, ``user`` (a user name is no secret, as ``DB_USER`` is shown).
   ``None``, booleans, the words true/false/yes/no/on/off and placeholders
   (``$1``, ``?``, ``%s``, ``:name``, ``${VAR}``, ``{{ var }}``) are shown
   under any name.
2. **Secret shapes, under any name.** In every string: PEM private keys;
   URL credentials (``scheme://user:********@host``, a token standing alone
   as the user of a URL, Go-style ``user:********@tcp(host)/db`` and
   ``user:********@host:port``); the values of secret-named pairs in any
   common syntax (``name=value``, query strings, libpq/ODBC/JDBC/Azure
   connection strings, ``"name": "value"``, YAML ``name: value`` including
   indented blocks, ``<name>value</name>``, ``--name value``, and
   ``password VALUE`` or ``password is VALUE`` when the value looks
   generated); an unquoted value runs to the end of its word, unless a
   separator starts another pair there (``&page=2``, ``;Database=app``) or
   the pair stands in quotes or brackets that close there; ``Bearer``,
   ``Basic``, ``Token``, ``Bot`` and ``SSWS`` credentials; the password
   options of common clients (``mysql -p``, ``redis-cli -a``, ``curl -u``,
   ...) to the end of their shell word, and Oracle logons
   (``user/password@//host:port/service``), in argument lists and command
   lines; ``--no-password`` and the like take no value; over 150 token
   formats with a known prefix or shape (GitHub, GitLab, Slack, Stripe, AWS,
   Google, OpenAI, Anthropic, Hugging Face, npm, PyPI, NuGet, Docker Hub,
   SendGrid, Twilio, Shopify, Square, Braintree, DigitalOcean, Vault,
   Buildkite, Supabase, Neon, JSON Web Tokens, ...) and webhook URLs
   (Slack, Discord, Teams); and long random-looking tokens (mixed case and
   digits, switching between them as random text does, not base64 of plain
   text). Hex strings (commit ids, digests), UUIDs, paths, hostnames and
   version strings are shown, and so is public material: certificates and
   public keys in PEM, SSH public keys, integrity digests
   (``sha384-...``) and key fingerprints (``SHA256:...``). A string holding
   a JSON object or array is parsed, scrubbed and written back.
3. **Everything is walked.** Mappings, lists, tuples, sets, dataclasses and
   pydantic models at any depth; callables become their qualified names;
   other objects their ``str()``, scrubbed as text. Cycles, absurd depths
   and objects that fail to print are shown as ``<cycle>``,
   ``<nested too deeply>`` and ``<unprintable TypeName>``: scrubbing never
   raises.
4. **Bounded work.** A string longer than :data:`TEXT_LIMIT` characters is
   cut at the last whitespace before the limit and ends with
   ``...[N characters cut]``; nothing after the cut is shown. One
   :func:`scrub` call visits at most :data:`ITEM_LIMIT` items and reads at
   most :data:`TOTAL_TEXT_LIMIT` characters of text; what is left reads
   ``...[N items cut]`` or ``...[N characters cut]``.

Every pattern runs in time linear in its input, whatever the input: each is
a maximal run of one character class that starts only where the class
starts (a look-behind refuses the positions inside a run), or a bounded
pattern, and every loop over matches moves past what it read. A mask can end
a word or a line that another rule reads, so masking is repeated until it
changes nothing (a text with nothing to mask is read once, at most four
times in all); scrubbing scrubbed data therefore changes nothing.

The standard library's ``re`` is used, not RE2: the guarantee comes from the
shape of the patterns (which tests/test_scrubbing_hostile.py holds to on
hostile input), the look-behinds that anchor runs have no RE2 equivalent, and
a command-line probe imports this module, which must not need a compiled
extension.

What it cannot know: a secret of no recognisable shape under an innocent
name (``{"MY_VAR": "hunter2"}``) is shown. Keep such endpoints behind a
token; add words with ``extra_key_words``.

Example:
    >>> scrub({"DATABASE_URL": "postgres://app:hunter2@db/app", "DEBUG": "1", "API_KEY": "abc"})
    {'DATABASE_URL': 'postgres://app:********@db/app', 'DEBUG': '1', 'API_KEY': '********'}
"""

from __future__ import annotations

from .names import KEY_WHOLE_WORDS, KEY_WORDS, is_secret_key
from .spans import ITEM_LIMIT, MASK, TEXT_LIMIT, TOTAL_TEXT_LIMIT
from .text import scrub_text
from .walk import qualified_name, scrub

__all__ = [
    "ITEM_LIMIT",
    "KEY_WHOLE_WORDS",
    "KEY_WORDS",
    "MASK",
    "TEXT_LIMIT",
    "TOTAL_TEXT_LIMIT",
    "is_secret_key",
    "qualified_name",
    "scrub",
    "scrub_text",
]
