"""skiesish.scrubbing: what is masked, what is kept, and how deep it looks."""

from __future__ import annotations

import dataclasses
import json
import string
import subprocess
import sys

import pydantic
import pytest
from hypothesis import given
from hypothesis import strategies as st

from skiesish.scrubbing import MASK, is_secret_key, qualified_name, scrub, scrub_text

PEM_KEY = (
    "-----BEGIN RSA PRIVATE KEY-----\n"
    "MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgOEePzNm0tRgeLezV6ffAt0gun\n"
    "VTLw7onLRnrq0/IzW7yWR7QkrmBL7jTKEn5u+qKhbwKfBstIs+bMY2Zkp18gnTxK\n"
    "-----END RSA PRIVATE KEY-----\n"
)
JWT = (
    "eyJhbGciOiJIUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiIxMjM0NTY3ODkwIiwibmFtZSI6IkpvaG4ifQ."
    "SflKxwRJSMeKKF2QT4fwpMeJf36POk6yJV_adQssw5c"
)

#: (name, value, the parts of it that must never be shown). Every value is realistic in shape.
SECRET_ROWS: list[tuple[str, object, list[str]]] = [
    ("DATABASE_URL", "postgres://app:S3cr3t-db-pw@db.internal:5432/app", ["S3cr3t-db-pw"]),
    (
        "SENTRY_DSN",
        "https://0123456789abcdef0123456789abcdef@o450000.ingest.sentry.io/4504000",
        ["0123456789abcdef0123456789abcdef"],
    ),
    ("AWS_SECRET_ACCESS_KEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", ["wJalrXUtnFEMI", "bPxRfiCY"]),
    ("AWS_ACCESS_KEY_ID", "AKIAIOSFODNN7EXAMPLE", ["AKIAIOSFODNN7EXAMPLE"]),
    (
        "GITHUB_PAT",
        "github_pat_11ABCDEFG0aBcDeFgHiJkL_mNoPqRsTuVwXyZ0123456789aBcDeFgHiJkLmNoPqRsTuVwXyZ012345",
        ["github_pat_11ABCDEFG0", "mNoPqRsTuVwXyZ0123456789"],
    ),
    ("GH_TOKEN", "ghp_16C7e42F292c6912E7710c838347Ae178B4a", ["16C7e42F292c6912E7710c838347Ae178B4a"]),
    ("CLIENT_SECRET", "8Q~vX.7rT_pL3kM9nB2hJ5fD8sA1gZ4cW6eY0uI", ["8Q~vX.7rT_pL3kM9nB2"]),
    ("DJANGO_SECRET", "django-insecure-7#x!k2@p$w&v9z*q^m3n)r1t(b5y", ["django-insecure-7#x!k2"]),
    ("REDIS_URL", "redis://:r3dis-pass-w0rd@cache.internal:6379/0", ["r3dis-pass-w0rd"]),
    ("AUTHORIZATION", f"Bearer {JWT}", [JWT[:40], "SflKxwRJSMeKKF2QT4fw"]),
    ("STRIPE_API_KEY", "sk_live_51H8xYzABCdefGHIjklMNOpqr", ["51H8xYzABCdefGHI"]),
    (
        "SLACK_WEBHOOK_URL",
        "https://hooks.slack.com/services/T00000000/B00000000/XXXXXXXXXXXXXXXXXXXXXXXX",
        ["XXXXXXXXXXXXXXXXXXXXXXXX", "B00000000"],
    ),
    ("SLACK_BOT", "xoxb-123456789012-1234567890123-AbCdEfGhIjKlMnOpQrStUvWx", ["AbCdEfGhIjKlMnOpQrStUvWx"]),
    ("FLASK_SECRET_KEY", "f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7", ["f3c1b2a9e8d7c6b5a4f3e2d1c0b9a8f7"]),
    ("JWT_SIGNING", "kR7!vP2#qL9$wM4%", ["kR7!vP2#qL9$wM4%"]),
    ("MYSQL_PWD", "hunter2-mysql", ["hunter2-mysql"]),
    ("PGPASSWORD", "pg-hunter2", ["pg-hunter2"]),
    ("AMQP_URL", "amqps://orders:rabb1t-pw@mq.internal:5671/orders", ["rabb1t-pw"]),
    (
        "MONGO_URI",
        "mongodb+srv://admin:m0ngo-pw@cluster0.abcde.mongodb.net/app?retryWrites=true&w=majority",
        ["m0ngo-pw"],
    ),
    (
        "CELERY_BROKER",
        "redis://worker:celery-pw-1@redis-1:6379/1,redis://worker:celery-pw-2@redis-2:6379/1",
        ["celery-pw-1", "celery-pw-2"],
    ),
    ("HTTPS_PROXY", "http://proxyuser:pr0xy-p%40ss@proxy.corp:3128", ["pr0xy-p%40ss"]),
    (
        "EXPORT_LINK",
        "https://bucket.s3.amazonaws.com/report.csv?X-Amz-Algorithm=AWS4-HMAC-SHA256"
        "&X-Amz-Credential=AKIAIOSFODNN7EXAMPLE%2F20240101%2Fus-east-1%2Fs3%2Faws4_request"
        "&X-Amz-Signature=fe5f80f77d5fa3beca038a248ff027d0445342fe2855ddc963176630326f1024",
        ["AKIAIOSFODNN7EXAMPLE", "fe5f80f77d5fa3beca038a248ff027d0445342fe"],
    ),
    (
        "AZURE_BLOB",
        "https://acct.blob.core.windows.net/backups?sv=2022-11-02&se=2030-01-01&sig=AbC%2Bd3FgH%3D",
        ["AbC%2Bd3FgH%3D"],
    ),
    ("OPENAI", "sk-proj-Ab3dEf6hIj9lMn2pQr5tUv8xYz1BcD", ["Ab3dEf6hIj9lMn2pQr5tUv8xYz1BcD"]),
    (
        "NPMRC_LINE",
        "//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
        ["a1B2c3D4e5F6"],
    ),
    ("TLS_PRIVATE_KEY", PEM_KEY, ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgO"]),
    ("TLS_BUNDLE", PEM_KEY, ["MIIEowIBAAKCAQEAu1SU1LfVLPHCozMxH2Mo4lgO"]),
    ("PG_CONNINFO", "host=db.internal port=5432 user=app password=l1bpq-pw dbname=app", ["l1bpq-pw"]),
    ("MSSQL", "Server=sql.internal;Database=app;Uid=sa;Pwd=0dbc-Passw0rd;Encrypt=yes", ["0dbc-Passw0rd"]),
    ("MAPS", "AIzaSyD-9tSrke72PouQMnMX-a7eZSW0jkFMBWY", ["9tSrke72PouQMnMX"]),
    ("APP_CONFIG", '{"db": {"host": "db", "password": "js0n-pw"}, "debug": false}', ["js0n-pw"]),
    ("VAULT", "hvs.CAESIJlU2F3c3l2c0RQRmV1NFd2cXh4a1pBbmJYbk5OdHc", ["CAESIJlU2F3c3l2c0RQ"]),
    ("DOCKER_AUTH_CONFIG", '{"auths": {"registry.example.com": {"auth": "dXNlcjpwYXNz"}}}', ["dXNlcjpwYXNz"]),
    ("GITLAB", "glpat-xY1zA2bC3dE4fG5hI6jK", ["xY1zA2bC3dE4fG5hI6jK"]),
    ("GUNICORN_CMD_ARGS", "--bind 0.0.0.0:8000 --password=cl1-pw --workers 4", ["cl1-pw"]),
    ("CALLBACK", "https://api.example.com/cb?state=ok&access_token=at-98765-xyz", ["at-98765-xyz"]),
    ("SESSION_ID", "s%3Aq1w2e3r4t5y6.AbCdEf", ["q1w2e3r4t5y6"]),
    ("CSRF_COOKIE", "csrftoken-9f8e7d6c5b4a", ["9f8e7d6c5b4a"]),
    ("PASSWORD_SALT", "Na+Cl-salt-1234", ["Na+Cl-salt-1234"]),
    ("OAUTH_PRIVATE", "priv-7a6b5c", ["priv-7a6b5c"]),
    (
        "SETTINGS",
        {
            "DATABASES": {"default": {"HOST": "db", "PASSWORD": "n3sted-pw", "OPTIONS": {"sslkey": "/k"}}},
            "CACHES": ["redis://:l1st-pw-1@r1:6379/0", "redis://:l1st-pw-2@r2:6379/0"],
            "THIRD_PARTY": [{"name": "mailer", "api_key": "SG.abcdefghijklmnop.qrstuvwxyz0123456789"}],
        },
        ["n3sted-pw", "l1st-pw-1", "l1st-pw-2", "abcdefghijklmnop", "qrstuvwxyz0123456789"],
    ),
    (
        "REPLICA_URLS",
        ["postgres://ro:repl1ca-pw-1@r1.internal/app", "postgres://ro:repl1ca-pw-2@r2.internal/app"],
        ["repl1ca-pw-1", "repl1ca-pw-2"],
    ),
]


def shown(value: object) -> str:
    """What would reach a caller: the scrubbed value as JSON."""
    return json.dumps(scrub(value))


def test_the_table_is_big_enough():
    """The leak table holds at least 30 realistic rows."""
    assert len(SECRET_ROWS) >= 30


@pytest.mark.parametrize(("name", "value", "secrets"), SECRET_ROWS, ids=[row[0] for row in SECRET_ROWS])
def test_no_secret_of_the_table_leaks(name, value, secrets):
    """Scrubbed, no row shows any part of its secret."""
    text = shown({name: value})
    assert [secret for secret in secrets if secret in text] == []


def test_no_secret_leaks_from_the_whole_table_at_once():
    """The table as one environment, nested in a config, shows zero secrets."""
    environment = {name: value for name, value, _ in SECRET_ROWS}
    text = shown({"process": {"environment": environment}, "config": {"sections": {"env": environment}}})
    leaks = [secret for _, _, secrets in SECRET_ROWS for secret in secrets if secret in text]
    assert leaks == []


INNOCENT_ROWS = [row for row in SECRET_ROWS if not is_secret_key(row[0])]


def test_many_rows_are_caught_by_their_value_alone():
    """At least a third of the table has names that give nothing away: their values are what is masked."""
    assert len(INNOCENT_ROWS) >= len(SECRET_ROWS) // 3


def test_a_masked_value_reads_eight_stars():
    """A value under a secret key becomes exactly ********."""
    assert MASK == "********"
    assert scrub({"API_KEY": "abc"}) == {"API_KEY": "********"}


@pytest.mark.parametrize(
    "name",
    [
        "API_KEY",
        "apiKey",
        "x-api-key",
        "ACCESS_TOKEN",
        "db_password",
        "PASSPHRASE",
        "client_secret",
        "GOOGLE_APPLICATION_CREDENTIALS",
        "AUTHORIZATION",
        "oauth_client",
        "PRIVATE",
        "SESSION_ID",
        "Set-Cookie",
        "X-Hub-Signature",
        "SENTRY_DSN",
        "PASSWORD_SALT",
        "GITHUB_PAT",
        "githubPat",
        "gh-pat",
        "MYSQL_PWD",
        "sig",
        "AZURE_SAS",
        "TOTP_SEED",
        "admin_pw",
        "JWT",
        "SIGNING_ALGORITHM_SECRET",
        "HMAC_SECRET",
        "AWS_CREDS",
        "SSL_PEM",
        "APIKEY",
        "PGPASSWORD",
        "clientSecret",
        "X-Auth-Token",
        "OAUTH_REFRESH",
        "private_key",
        "DB_PASS",
        "dbpass",
        "storepass",
        "SECRETKEY",
        "csrftoken",
        "JSESSIONID",
        "Cookie",
    ],
)
def test_secret_key_names(name):
    """Names holding a listed word, or a whole built-in word, are secret."""
    assert is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    [
        "PATH",
        "PYTHONPATH",
        "PATTERN",
        "DISPATCH_QUEUE",
        "HOME",
        "LANG",
        "DEBUG",
        "DATABASE_URL",
        "SSL_CERT_FILE",
        "REQUESTS_CA_BUNDLE",
        "HOSTNAME",
        "WORKERS",
        "OLDPWD",
        "SIGTERM_GRACE",
        "PAYMENT_SPINE",
        "PWD",
        "AUTHOR",
        "KEYBOARD_LAYOUT",
        "MONKEY",
        "TOKENIZERS_PARALLELISM",
        "KEYCLOAK_URL",
        "AUTH_SERVICE_HOST",
        "TOKEN_URL",
        "PASSWORD_FILE",
        "JWT_ALGORITHM",
        "SESSION_COOKIE_DOMAIN",
        "PUBLIC_KEY",
        "CACHE_KEY",
        "XDG_SESSION_TYPE",
        "KeyError",
        "GIT_ASKPASS",
    ],
)
def test_ordinary_key_names(name):
    """Ordinary names are not secret: whole words do not match inside other words."""
    assert not is_secret_key(name)


def test_public_shell_variables_are_names_only_as_keys():
    """PWD is the shell's directory as a key; in text, PWD= is ODBC's password unless it holds a path."""
    assert scrub({"PWD": "/home/app", "OLDPWD": "/"}) == {"PWD": "/home/app", "OLDPWD": "/"}
    assert scrub_text("UID=sa;PWD=hunter2;") == "UID=sa;PWD=********;"
    assert scrub_text("PWD=/home/app") == "PWD=/home/app"


def test_extra_key_words_extend_the_list():
    """extra_key_words make more names secret, case-insensitively."""
    assert scrub({"ACME_LICENCE": "L-123"}, extra_key_words=["licence"]) == {"ACME_LICENCE": MASK}
    assert scrub({"ACME_LICENCE": "L-123"}) == {"ACME_LICENCE": "L-123"}
    assert is_secret_key("acme_Licence", ["LICENCE"])


@pytest.mark.parametrize("words", [[""], ["  "], ["ok", ""]])
def test_an_empty_extra_key_word_is_refused(words):
    """An empty word would match every key; it is refused, naming what arrived."""
    with pytest.raises(ValueError, match=r"non-empty strings, got \["):
        scrub({}, extra_key_words=words)


# -- what is kept ---------------------------------------------------------------


def test_ordinary_values_are_kept():
    """Values that are not secret come back unchanged."""
    environment = {
        "PATH": "/usr/local/bin:/usr/bin",
        "HOME": "/home/app",
        "DEBUG": "1",
        "WORKERS": 4,
        "RATIO": 0.5,
        "SSL_CERT_FILE": "/etc/ssl/certs/ca-certificates.crt",
        "HOMEPAGE": "https://example.com/docs?page=2&lang=en",
        "REPLICAS": ["db1", "db2"],
        "BASIC": "basic configuration",
        "TOKENIZER_NOTE": None,
    }
    expected = {**environment, "TOKENIZER_NOTE": None}
    assert scrub(environment) == expected


def test_url_credentials_keep_the_user_and_the_host():
    """Only the password of a URL is masked; scheme, user, host, port, path and query stay."""
    assert scrub_text("postgresql+psycopg://app:pw@db.internal:5432/app?sslmode=require") == (
        "postgresql+psycopg://app:********@db.internal:5432/app?sslmode=require"
    )


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("redis://:pw@cache:6379/0", "redis://:********@cache:6379/0"),
        ("postgres://u:p@ss@db/app", "postgres://u:********@db/app"),
        ("postgres://u:a/b@db/app", "postgres://u:********@db/app"),
        ("mongodb://u:pw@h1:27017,h2:27017/db", "mongodb://u:********@h1:27017,h2:27017/db"),
        ("see amqp://u:pw@mq/ and redis://:pw2@r/0", "see amqp://u:********@mq/ and redis://:********@r/0"),
        ("url='postgres://u:pw@db/app'", "url='postgres://u:********@db/app'"),
        ("url='redis://:pw@cache'", "url='redis://:********@cache'"),
        ("postgresql://u:pw@/app?host=/run/postgresql", "postgresql://u:********@/app?host=/run/postgresql"),
        ("postgres://postgres@localhost/app", "postgres://postgres@localhost/app"),
        ("postgres://u:@db/app", "postgres://u:@db/app"),
        ("https://example.com:8443/a?b=c", "https://example.com:8443/a?b=c"),
        (
            "https://x-access-token:ghs_abcdefghijklmnopqrst12@github.com/o/r",
            "https://x-access-token:********@github.com/o/r",
        ),
        ("https://a1b2c3d4e5f6a7b8c9d0@sentry.io/1", "https://********@sentry.io/1"),
        ("https://service-account-readonly@host/x", "https://service-account-readonly@host/x"),
    ],
)
def test_url_rules(text, expected):
    """URL credentials are masked whatever surrounds them; URLs without a password are untouched."""
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://h/p?password=x&page=2", "https://h/p?password=********&page=2"),
        ("https://h/p?page=2&token=abc#frag", "https://h/p?page=2&token=********#frag"),
        ("https://h/p?sig=abc%3D&sv=2022", "https://h/p?sig=********&sv=2022"),
        ("https://h/p?api_key=k;other=1", "https://h/p?api_key=********;other=1"),
        (
            "https://h/p?X-Amz-Signature=ff00&X-Amz-Date=2024",
            "https://h/p?X-Amz-Signature=********&X-Amz-Date=2024",
        ),
        ("https://h/p?state=ok&code=c", "https://h/p?state=ok&code=c"),
        ("host=db password='a b c' user=app", "host=db password='********' user=app"),
        ("--password=hunter2 --debug", "--password=******** --debug"),
    ],
)
def test_secret_named_parameters_in_text(text, expected):
    """Query parameters and name=value pairs with secret names lose their values, others stay."""
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("Bearer abc.def-ghi_jkl", "Bearer ********"),
        ("authorization: bearer abcdefgh12", "authorization: ********"),
        ("Basic dXNlcjpwYXNzMQ==", "Basic ********"),
        ("ghp_16C7e42F292c6912E7710c838347Ae178B4a", "********"),
        ("clone with ghp_16C7e42F292c6912E7710c838347Ae178B4a please", "clone with ******** please"),
        ("AKIAIOSFODNN7EXAMPLE", "********"),
        (PEM_KEY, "********\n"),
        ("head\n" + PEM_KEY.replace("-----END RSA PRIVATE KEY-----\n", ""), "head\n********"),
        (JWT, "********"),
        ("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----", None),
    ],
)
def test_secret_looking_values(text, expected):
    """Well-known secret formats are masked wherever they appear; a public certificate is kept."""
    assert scrub_text(text) == (text if expected is None else expected)


# -- walking ----------------------------------------------------------------------


def test_walks_dicts_and_lists_at_any_depth():
    """A secret key 30 levels down, inside lists and dicts, is still masked."""
    value: object = {"db_password": "deep-pw"}
    for level in range(30):
        value = {"level": [value]} if level % 2 else [{"inner": value}]
    text = json.dumps(scrub(value))
    assert "deep-pw" not in text
    assert text.count(MASK) == 1


def test_a_secret_key_masks_everything_under_it_but_keeps_its_shape():
    """Under a secret key values are masked, keys and list lengths stay, None and booleans show; a
    nested key that continues the name publicly (credentials_port, credentials_user) shows its value."""
    value = {"credentials": {"user": "app", "password": "pw", "port": 5432, "hosts": ["a", "b"]}}
    value["credentials"].update({"enabled": True, "expires": None, "client": "c", "extra": ["x", "y"]})
    assert scrub(value) == {
        "credentials": {
            "user": "app",
            "password": MASK,
            "port": 5432,
            "hosts": ["a", "b"],
            "enabled": True,
            "expires": None,
            "client": MASK,
            "extra": [MASK, MASK],
        }
    }


def test_a_flag_masks_the_argument_after_it():
    """In an argv-like list, the item after --password (or any secret flag) is masked."""
    argv = ["app.py", "--password", "hunter2", "--token", "t0k", "--port", "8000", "--auth", "--verbose"]
    assert scrub(argv) == [
        "app.py",
        "--password",
        MASK,
        "--token",
        MASK,
        "--port",
        "8000",
        "--auth",
        "--verbose",
    ]


def test_json_text_is_scrubbed_and_left_alone_when_clean():
    """A string holding JSON is scrubbed inside; clean JSON text is returned as it was."""
    dirty = '{"password": "x", "host": "db"}'
    clean = '{"host":   "db"}'
    assert json.loads(scrub({"CONFIG": dirty})["CONFIG"]) == {"password": MASK, "host": "db"}
    assert scrub({"CONFIG": clean}) == {"CONFIG": clean}


def test_keys_that_hold_secrets_are_scrubbed_too():
    """A URL used as a key loses its password like any other text."""
    assert scrub({"amqp://app:hunter2@mq/": "primary"}) == {"amqp://app:********@mq/": "primary"}


def test_models_dataclasses_tuples_sets_and_callables_become_json_ready():
    """Models and dataclasses are walked, tuples and sets become lists, callables their qualified names."""

    class Settings(pydantic.BaseModel):
        host: str = "db"
        password: str = "pw"

    @dataclasses.dataclass
    class Point:
        x: int
        api_key: str

    value = {
        "model": Settings(),
        "point": Point(1, "k"),
        "pair": (1, 2),
        "set": {"b", "a"},
        "callable": qualified_name,
        1: b"bytes",
    }
    assert scrub(value) == {
        "model": {"host": "db", "password": MASK},
        "point": {"x": 1, "api_key": MASK},
        "pair": [1, 2],
        "set": ["a", "b"],
        "callable": "skiesish.scrubbing.walk.qualified_name",
        "1": "bytes",
    }
    json.dumps(scrub(value))


def test_other_objects_are_shown_as_scrubbed_text():
    """An object is shown as its str(), with what looks secret in it masked."""

    class Connection:
        def __str__(self) -> str:
            return "<Connection postgres://app:pw@db/app>"

    assert scrub({"connection": Connection()}) == {
        "connection": "<Connection postgres://app:********@db/app>"
    }


def test_cycles_are_cut_short():
    """A structure that contains itself is shown with <cycle> where it loops."""
    loop: dict[str, object] = {"name": "loop"}
    loop["self"] = loop
    assert scrub(loop) == {"name": "loop", "self": "<cycle>"}


def test_shared_references_are_not_cycles():
    """The same list used twice is shown twice."""
    shared = ["a"]
    assert scrub({"x": shared, "y": shared}) == {"x": ["a"], "y": ["a"]}


def test_the_input_is_not_changed():
    """scrub returns a copy; the value handed to it keeps its secrets."""
    value = {"password": "pw", "urls": ["redis://:pw@r/0"]}
    scrub(value)
    assert value == {"password": "pw", "urls": ["redis://:pw@r/0"]}


USERINFO_ALPHABET = string.ascii_letters + string.digits + "-._~!$&'()*+=:%@"


@given(password=st.text(alphabet=USERINFO_ALPHABET, min_size=1, max_size=40))
def test_any_url_password_is_masked(password):
    """Whatever characters a URL password is made of (RFC 3986 userinfo, plus a raw @), it is masked."""
    url = f"postgres://app:{password}@db.internal:5432/app"
    assert scrub_text(url) == f"postgres://app:{MASK}@db.internal:5432/app"
    socket_url = f"postgresql://app:{password}@/app?host=/run/postgresql"
    assert scrub_text(socket_url) == f"postgresql://app:{MASK}@/app?host=/run/postgresql"


# -- shapes and places ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("app:pw@tcp(db:3306)/app", "app:********@tcp(db:3306)/app"),
        ("db=app:pw@unix(/run/mysqld.sock)/app", "db=app:********@unix(/run/mysqld.sock)/app"),
        ("proxy: bob:pw@proxy.corp:3128", "proxy: bob:********@proxy.corp:3128"),
        ("user:alice@example.com", None),
        ("mailto:ops@example.com:25", None),
        ("git@github.com:acme/app.git", None),
        ("golang.org/x/net@v0.17.0", None),
        ("python:3.11@sha256:3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855", None),
        ("https://mastodon.social:443/@acme", None),
    ],
)
def test_credentials_without_a_scheme(text, expected):
    """``user:password@`` before tcp(...), unix(...) or host:port is masked; e-mail and git addresses stay."""
    assert scrub_text(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("db:\n  password: s3cr3t\n  host: db\n", "db:\n  password: ********\n  host: db\n"),
        (
            "credentials:\n  user: app\n  key: k\nport: 1\n",
            "credentials:\n  user: app\n  key: ********\nport: 1\n",
        ),
        ("tokens:\n- abc\n- def\nnext: 1", "tokens:\n********\n********\nnext: 1"),
        ("private_key: |\n  MIIE\n  AAAA\n", "private_key: |\n  ********\n  ********\n"),
        ("X-Api-Key: k-123\nAccept: */*", "X-Api-Key: ********\nAccept: */*"),
        ('{"password":"x","user":"app"}', '{"password":"********","user":"app"}'),
        ('"password": "a \\" b"', '"password": "********"'),
        ("{'api_key': 'k'}", "{'api_key': '********'}"),
        ('\\"password\\": \\"x\\"', '\\"password\\": \\"********\\"'),
        ("<password>x</password><user>u</user>", "<password>********</password><user>u</user>"),
        ('<add key="DbPassword" value="x" />', '<add key="DbPassword" value="********" />'),
        ("Pwd={a;b};Server=s", "Pwd=********;Server=s"),
        ("error: invalid token: expired", None),
        ("KeyError: 'missing'", None),
    ],
)
def test_pairs_in_configuration_syntaxes(text, expected):
    """Secret-named pairs lose their values in YAML, headers, JSON, XML, connection strings; prose stays."""
    assert scrub_text(text) == (text if expected is None else expected)


@pytest.mark.parametrize(
    ("argv", "expected"),
    [
        (["mysql", "-u", "root", "-p", "pw"], ["mysql", "-u", "root", "-p", MASK]),
        (["/usr/bin/mysql", "-uroot", "-ppw", "db"], ["/usr/bin/mysql", "-uroot", f"-p{MASK}", "db"]),
        (["curl", "-u", "bob:pw", "https://h"], ["curl", "-u", f"bob:{MASK}", "https://h"]),
        (["docker", "login", "-p", "pw", "r.io"], ["docker", "login", "-p", MASK, "r.io"]),
        (["docker", "run", "-p", "8080:80", "app"], None),
        (["mkdir", "-p", "/tmp/x"], None),
        (["psql", "-p", "5432", "app"], None),
        (["mysql", "-p", "-h", "db"], None),
    ],
)
def test_password_options_of_known_clients(argv, expected):
    """A client's password option (mysql -p, curl -u, docker login -p) is masked; a port's -p is kept."""
    assert scrub(argv) == (argv if expected is None else expected)


def test_password_options_in_a_command_line():
    """In text, a client's command line, plain or printed as a list, loses the same values."""
    assert (
        scrub_text("run: mysql -h db -u root -ppw app; ls -p")
        == "run: mysql -h db -u root -p******** app; ls -p"
    )
    assert scrub_text("['redis-cli', '-a', 'pw', 'ping']") == "['redis-cli', '-a', '********', 'ping']"


@pytest.mark.parametrize(
    "value",
    [
        "Pjgf60zM2qr0EgKpcVMZlbHYqhdlJbLLuQ8LdWvq",
        "uYdnXdo1joYnUALG6d2tD+rWWJRkotwYWoaLHSpj1gc=",
        "RpGwSReD0ekBhunPvnb_bKdKrCP9BzcZ",
        "dqKkFJmo5oayiuSSL2pywcfJ7QkhQx/wVOuErdb5",
    ],
)
def test_random_looking_tokens_are_masked_under_any_name(value):
    """A long token of mixed case and digits, switching between them as random text does, is masked."""
    assert scrub({"SOMETHING": value}) == {"SOMETHING": MASK}


@pytest.mark.parametrize(
    "value",
    [
        "9fceb02d0ae598e95dc970b74767f19372d61af8",
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855",
        "3F2504E0-4F89-11D3-9A0C-0305E82C3301",
        "01ARZ3NDEKTSV4RRFFQ69G5FAV",
        "MyService2024FinalBuild3",
        "SGVsbG8sIHdvcmxkISBIYXZlIGEgbmljZSBkYXku",
        "/var/lib/docker/overlay2/3f4e5d6c7b8a9f0e1d2c3b4a5f6e7d8c/merged",
        "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOMqqnkVzrm0SdG6UOoqKLsabgH5C9okWi0dh2l9GKJl ci",
        "v1.24.3-rc.1+build.5",
    ],
)
def test_ids_digests_paths_and_words_are_not_random(value):
    """Hex ids and digests, UUIDs, ULIDs, identifiers, base64 of text, paths, public keys, versions stay."""
    assert scrub({"SOMETHING": value}) == {"SOMETHING": value}


@pytest.mark.parametrize(
    ("url", "secret"),
    [
        ("https://hooks.slack.com/services/T0001/B0001/XXXXXXXXXXXXXXXXXXXXXXXX", "XXXXXXXXXXXX"),
        ("https://discord.com/api/webhooks/1234567890123/AbCdEfGhIjKlMnOpQrStUv-wxyz", "AbCdEfGhIjKl"),
        ("https://acme.webhook.office.com/webhookb2/abc@def/IncomingWebhook/123/456", "IncomingWebhook"),
    ],
)
def test_webhook_urls_lose_their_path(url, secret):
    """A Slack, Discord or Teams webhook URL keeps its host; the path, which is the secret, is masked."""
    shown = scrub_text(url)
    assert secret not in shown
    assert shown.endswith(MASK)


def test_the_module_imports_only_the_standard_library():
    """Importing the scrubber loads neither pydantic, typing nor dataclasses (a probe imports it)."""
    code = (
        "import sys; import skiesish.scrubbing; "
        "print(sorted({'pydantic', 'typing', 'dataclasses'} & set(sys.modules)))"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert result.stdout.strip() == "[]"


def test_scrubbing_scrubbed_values_changes_nothing():
    """The whole leak table, scrubbed twice, is the same as scrubbed once."""
    once = scrub({name: value for name, value, _ in SECRET_ROWS})
    assert scrub(once) == once
    assert [scrub_text(text) for text in once.values() if isinstance(text, str)] == [
        text for text in once.values() if isinstance(text, str)
    ]
