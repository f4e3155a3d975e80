"""skiesish.scrubbing on classes of input beyond the main tables: what each class must mask, and what
close neighbours of it must still show.

Every token below was drawn at random for this file in the format its provider documents; none is real.
"""

from __future__ import annotations

import json

import pytest

from skiesish.scrubbing import MASK, is_secret_key, scrub, scrub_text

# -- 1. token formats whose body is hex or of one case ------------------------------------------

HEX_OR_ONE_CASE_TOKENS = {
    "Braintree access token": "access_token$sandbox$csrmr92tng2um8sd$1b50501d928d62d23446ec08345102b2",
    "NuGet API key": "oy27ucqcyh2ukb3vdeo65cyi46kqzlke6jag4k55vp2h5b",
    "Buildkite API access token": "bkua_7a1cabf9211efb8e889a88536e8482f7803bf895",
    "Buildkite cluster token": "bkct_97aa54b0744e09b308a52c0017dca1ab52482ccd",
    "Supabase access token": "sbp_9cd284888e1fb7969cecab662faef64ac9ae02dd",
    "Neon API key": "napi_34oly4111w79zqg6gk21m842wwqqsxd6pwe3mmf76my9mliy922w1750fig91o7d",
    "Octopus Deploy API key": "API-OTZLXM9KIWO2A7JJAKKSYDEDMA",
    "SonarQube user token": "squ_4c5dc7c1158ade60b349c9a32d440fe705c34bf4",
    "1Password secret key": "A3-RLV07Z-9UWW9ZXRVOX-KLIT4-PNJHM-32HPP",
    "Plaid access token": "access-production-75b0678d-b0bc-2080-cc40-f7fecffd73e1",
    "Mailgun signing key": "29db71dfee46adbe6f012cf9c440fa18-8b55d1a9-178d5c31",
    "Airtable personal access token": (
        "patuIlU69ci8iPnBI.c76300e91f0b8294c0ec9a0473e6e1a6579ea4bd9b35f0fcbaeac92d6dba157e"
    ),
    "Terraform Cloud token": (
        "302v4x1bfaotg5.atlasv1.mlt383cg7mjfd22rd1nl4splrkhiqf95sn3qqm2nz9kcg7s7x6dop2y18vs8x0s5w8w"
    ),
}
ATLASSIAN = (
    "ATATT3xFfGF0QmmzloQe7vdTS-5kf8WsJHVJ6dGvQtaxeo2Ivd1-dBNhQcAMlQXxCYWt8twt3R9leYHcs9p6YBisRfOUXNqbW"
    "-z4Vaka3oci1p6PZmAhqcxIyCPnVYYGRA5fTvrFs6ozfxyXYjsofiZj-n94XUKRoyqdOSqHatWABlpVcVeF0SGmci=22D9E491"
)


@pytest.mark.parametrize("token", HEX_OR_ONE_CASE_TOKENS.values(), ids=HEX_OR_ONE_CASE_TOKENS.keys())
def test_prefixed_tokens_of_hex_or_one_case_are_masked_wherever_they_stand(token):
    """A token of a known format with a hex or one-case body is masked alone, in a line, under any name."""
    assert scrub_text(token) == MASK
    assert scrub_text(f"deploy step used {token} for the upload") == f"deploy step used {MASK} for the upload"
    assert scrub({"CI_UPLOADER": token}) == {"CI_UPLOADER": MASK}
    assert scrub_text(f"CI_UPLOADER={token}") == f"CI_UPLOADER={MASK}"


def test_an_atlassian_token_is_masked_with_its_checksum():
    """The "=" and the 8-hex checksum at the end of an Atlassian API token are masked with the rest."""
    assert scrub_text(f"jira token {ATLASSIAN} saved") == f"jira token {MASK} saved"
    assert scrub({"JIRA": ATLASSIAN}) == {"JIRA": MASK}


@pytest.mark.parametrize(
    "text",
    [
        "napi_module_version=9",
        "see oy2k and API-REFERENCE-GUIDE for details",
        "the sbp_settings table and bkua_readme.md",
        "commit 7a1cabf9211efb8e889a88536e8482f7803bf895 merged",
        "access_token$production$ is how the SDK names the field",
        "request id 29db71dfee46adbe6f012cf9c440fa18 done",
    ],
)
def test_lookalikes_of_prefixed_tokens_are_shown(text):
    """A prefix followed by words, a short body or a plain digest is not a token."""
    assert scrub_text(text) == text


# -- 2. Oracle logons ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        (
            "sqlplus -s app_ro/Ora-2024pw@//db.internal:1521/SALESPDB @report.sql",
            f"sqlplus -s app_ro/{MASK}@//db.internal:1521/SALESPDB @report.sql",
        ),
        (
            "ORACLE_CONNECT='reporting/R3p0rt!ng@ora-scan.internal:1522/ANALYTICS'",
            f"ORACLE_CONNECT='reporting/{MASK}@ora-scan.internal:1522/ANALYTICS'",
        ),
        (
            'cx_Oracle.connect("hr/Hr_pass_77@10.0.4.12:1521/HRPDB")',
            f'cx_Oracle.connect("hr/{MASK}@10.0.4.12:1521/HRPDB")',
        ),
        ("expdp system/Manager_19c@ORCL directory=dumps", f"expdp system/{MASK}@ORCL directory=dumps"),
        ("sqlplus / as sysdba", None),
        ("sqlplus /nolog", None),
    ],
)
def test_oracle_logons_lose_their_password(text, expected):
    """``user/password@//host:port/service``, ``@host:port/service`` and a client's logon are masked."""
    assert scrub_text(text) == (text if expected is None else expected)


def test_an_oracle_logon_in_an_argument_list_loses_its_password():
    """As an argument list, a client's logon ``user/password@alias`` is masked the same way."""
    argv = ["sqlplus", "-L", "scott/Tg-88-x@ORCLPDB1", "@migrate.sql"]
    assert scrub(argv) == ["sqlplus", "-L", f"scott/{MASK}@ORCLPDB1", "@migrate.sql"]


@pytest.mark.parametrize(
    "text",
    [
        "resolved node_modules/@babel/core/lib/index.js",
        "pnpm add @types/react@18.2.0",
        "git@gitlab.example.com:team/app.git",
        "go get golang.org/x/crypto@v0.21.0",
        "import src/components/@shared/button.tsx",
        "docker pull ghcr.io/acme/api@sha256:9f2b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b785",
    ],
)
def test_paths_and_addresses_with_a_slash_before_at_are_shown(text):
    """``a/b@c`` that is a path, a package or a git address is no logon."""
    assert scrub_text(text) == text


# -- 3. a secret word, a space, a value ----------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        ("machine registry.example.com login ci-bot password Xq4-tT9mZr2pL\n", "Xq4-tT9mZr2pL"),
        ("the new root password is hT7#kQ2pLm until the rotation", "hT7#kQ2pLm"),
        ("mongocli config set private_api_key 4f1c2a9e-77b3-4d0e-9a51-0c3e2b7d9f11", "4f1c2a9e-77b3"),
        ("aws configure set aws_secret_access_key Lwk5CviGqxwBkm", "Lwk5CviGqxwBkm"),
        ('passphrase "correct Horse 7 battery" was used', "correct Horse"),
    ],
)
def test_a_credential_after_a_secret_word_and_a_space_is_masked(text, secret):
    """``password VALUE``, ``password is VALUE``, ``set api_key VALUE``: a value that looks generated."""
    shown = scrub_text(text)
    assert secret not in shown
    assert MASK in shown


@pytest.mark.parametrize(
    "text",
    [
        "password reset link sent to the user",
        "token expired, requesting a new one",
        "key rotation due next week",
        "Password must contain at least 12 characters",
        "secret rotation scheduled for 2025-04-01",
        "the access_token endpoint returned Unauthorized",
        "key users:48213:profile missed the cache",
        "password_policy v2.3.1 applied",
    ],
)
def test_words_after_a_secret_word_are_shown(text):
    """Ordinary words, dates and versions after a secret word, and the whole word ``key``, are prose."""
    assert scrub_text(text) == text


# -- 4. unquoted values run to the end of their word ----------------------------------------------


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("SECRET_KEY=django-insecure-r0s#3!q(k2)x&v_9^", f"SECRET_KEY={MASK}"),
        ("export API_TOKEN=abc#Def9;Ghi'x\"y", f"export API_TOKEN={MASK}"),
        ("DB_PASSWORD=p<q>r,9&z", f"DB_PASSWORD={MASK}"),
        ("mysql -uadmin -pS3cr(et)|x -h db", f"mysql -uadmin -p{MASK} -h db"),
        ("redis-cli -a pa[ss]&;99 ping", f"redis-cli -a {MASK} ping"),
        ("worker --api-key Ab'9\"x --verbose", f"worker --api-key {MASK} --verbose"),
    ],
)
def test_an_unquoted_secret_value_is_masked_to_the_end_of_its_word(text, expected):
    """Symbols inside an unquoted value (#, quotes, &, ;, brackets, |) do not end it."""
    assert scrub_text(text) == expected


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("https://api.example.com/v1?token=abc123&page=2", f"https://api.example.com/v1?token={MASK}&page=2"),
        (
            "https://app.example.com/cb?code=x&access_token=t0k#state",
            f"https://app.example.com/cb?code=x&access_token={MASK}#state",
        ),
        ("Server=db;Password=Pw;9x;Database=app;", f"Server=db;Password={MASK};Database=app;"),
        ("password=Hunter22 # rotated monthly", f"password={MASK} # rotated monthly"),
        ("['--password=Pw9(x)', '--verbose']", f"['--password={MASK}', '--verbose']"),
        ('{"cmd": "login --token=Tk9x"}', f'{{"cmd": "login --token={MASK}"}}'),
        ("call(password=Pw9x) then", f"call(password={MASK}) then"),
        ("<arg>--password=Pw9x</arg>", f"<arg>--password={MASK}</arg>"),
    ],
)
def test_what_ends_an_unquoted_value_is_still_shown(text, expected):
    """The next pair of a query or connection string, a comment, and the quote or bracket the pair
    stands in end the value."""
    assert scrub_text(text) == expected


# -- 5. switches and placeholders under a secret name --------------------------------------------


def test_switches_and_placeholders_under_secret_names_are_shown_in_mappings():
    """true/false/yes/no/on/off and placeholders are shown; a default or a filter is masked."""
    environment = {
        "ENABLE_AUTH": "true",
        "OAUTH": "off",
        "DB_PASSWORD": "${DB_PASSWORD}",
        "API_TOKEN": "{{ api_token }}",
        "JWT_SECRET": "$JWT_SECRET",
        "HEALTH_TOKEN": "env:HEALTH_TOKEN",
        "SMTP_PASSWORD": "${SMTP_PASSWORD:-Fallback9}",
        "WEBHOOK_SECRET": "{{ webhook_secret | default('Wh-9x') }}",
        "ADMIN_PASSWORD": "yes-really-9",
    }
    assert scrub(environment) == {
        **environment,
        "SMTP_PASSWORD": MASK,
        "WEBHOOK_SECRET": MASK,
        "ADMIN_PASSWORD": MASK,
    }


@pytest.mark.parametrize(
    "text",
    [
        "SELECT id FROM users WHERE password_hash = %s AND reset_token = :token",
        "UPDATE accounts SET api_key = ? WHERE id = $1",
        "REQUIRE_AUTH=false",
        "password: ${VAULT_DB_PASSWORD}",
        "db_password = '%(password)s'",
        'client_secret: "{{ client_secret }}"',
    ],
)
def test_switches_and_placeholders_under_secret_names_are_shown_in_text(text):
    """In text too, a switch or a placeholder after a secret name is shown."""
    assert scrub_text(text) == text


# -- 6. names that count or configure --------------------------------------------------------------


@pytest.mark.parametrize(
    "name",
    [
        "MAX_TOKENS",
        "max_tokens",
        "maxOutputTokens",
        "prompt_tokens",
        "completion_tokens",
        "total_tokens",
        "cached_tokens",
        "SECRET_STORE",
        "SECRETS_MANAGER",
        "DB_SECRET_ARN",
        "StrictHostKeyChecking",
        "SSH_AUTHORIZED_KEYS",
        "KEY_ROTATION_DAYS",
        "TOKEN_REFRESH_INTERVAL",
        "LOGIN_ATTEMPTS",
    ],
)
def test_names_that_count_or_configure_are_not_secret(name):
    """Token counts, where secrets are kept, how a key is checked or how often rotated: not secret."""
    assert not is_secret_key(name)


@pytest.mark.parametrize(
    "name",
    ["INPUT_TOKEN", "ACCESS_TOKENS", "TOKENS", "SECRET_ID", "HOST_PASSWORD", "SSH_PRIVATE_KEY", "api_key"],
)
def test_names_near_them_stay_secret(name):
    """A GitHub Actions input named token, tokens themselves, a host's password stay secret."""
    assert is_secret_key(name)


def test_token_counts_in_a_log_line_are_shown():
    """``prompt_tokens=812`` in a log line is a count."""
    line = "usage: prompt_tokens=812 completion_tokens=204 total_tokens=1016 max_tokens=4096"
    assert scrub_text(line) == line


# -- 7. public keys nested under a secret name ------------------------------------------------------


def test_a_public_nested_key_under_a_secret_mapping_is_shown():
    """Under ``auth``, keys that continue its name publicly (enabled, token_ttl, provider) show; the
    rest, and everything under a secret nested key, stays masked."""
    config = {
        "auth": {
            "enabled": True,
            "token_ttl": 3600,
            "password_min_length": 12,
            "provider": "oidc",
            "issuer_url": "https://sso.example.com/realms/acme",
            "username": "svc-orders",
            "client_secret": "Kc-9fT2q",
            "signing": {"key": "k-1", "algorithm": "RS256"},
            "extra": "anything",
        },
        "credentials": {"user": "app", "secret": "Nst-9x"},
    }
    assert scrub(config) == {
        "auth": {
            "enabled": True,
            "token_ttl": 3600,
            "password_min_length": 12,
            "provider": "oidc",
            "issuer_url": "https://sso.example.com/realms/acme",
            "username": "svc-orders",
            "client_secret": MASK,
            "signing": {"key": MASK, "algorithm": "RS256"},
            "extra": MASK,
        },
        "credentials": {"user": "app", "secret": MASK},
    }


def test_a_public_nested_key_in_a_yaml_block_is_shown():
    """In a YAML block under a secret key, public nested keys show their values, others are masked."""
    text = (
        "oauth:\n"
        "  provider: keycloak\n"
        "  timeout: 30\n"
        "  client_secret: Kc-9fT2q\n"
        "  scopes:\n"
        "  - openid\n"
        "  - profile\n"
        "  private_key: |\n"
        "    MIIEvQIBADANBg\n"
        "    kqhkiG9w0BAQEF\n"
        "  callback_url: https://app.example.com/cb?token=Tk-77\n"
        "service:\n"
        "  port: 8080\n"
    )
    assert scrub_text(text) == (
        "oauth:\n"
        "  provider: keycloak\n"
        "  timeout: 30\n"
        f"  client_secret: {MASK}\n"
        "  scopes:\n"
        "  - openid\n"
        "  - profile\n"
        "  private_key: |\n"
        f"    {MASK}\n"
        f"    {MASK}\n"
        f"  callback_url: https://app.example.com/cb?token={MASK}\n"
        "service:\n"
        "  port: 8080\n"
    )


def test_a_secret_yaml_block_keeps_its_secret_lines_masked():
    """``credentials:`` with ``user`` and ``secret``: the user shows, the secret and list items do not."""
    text = "credentials:\n  user: app\n  secret: Nst-9x\ntokens:\n- Tk-1\n- Tk-2\nport: 1\n"
    assert (
        scrub_text(text) == f"credentials:\n  user: app\n  secret: {MASK}\ntokens:\n{MASK}\n{MASK}\nport: 1\n"
    )


# -- 8. flags that take no value --------------------------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [
        ["pg_dump", "--no-password", "-h", "db.internal", "-f", "/backups/orders.sql"],
        ["psql", "--no-password", "orders"],
        ["ansible-playbook", "--ask-vault-pass", "site.yml"],
        ["terraform", "apply", "--without-token", "plan.out"],
    ],
)
def test_a_switch_named_for_a_secret_takes_no_value(argv):
    """The item after ``--no-password``, ``--ask-vault-pass`` is shown, as a list and as text."""
    assert scrub(argv) == argv
    assert scrub_text(" ".join(argv)) == " ".join(argv)
    assert scrub_text(repr(argv)) == repr(argv)


def test_a_secret_flag_still_masks_its_value():
    """``--password`` and ``--api-key`` still take, and mask, the next item."""
    assert scrub(["app", "--password", "Pw-7x", "--api-key", "k"]) == [
        "app",
        "--password",
        MASK,
        "--api-key",
        MASK,
    ]


# -- 9. public material ----------------------------------------------------------------------------

PUBLIC_KEY_PEM = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE6rmW+xmi2TpLmyL+wQnL+knZx8Hh\n"
    "1B62I27jg2X5Grtrv9lb+lfVHWsioC42FWPBWCH+wwa5Q6DlZ12Z3O+eIA==\n"
    "-----END PUBLIC KEY-----\n"
)
CERTIFICATE_PEM = (
    "-----BEGIN CERTIFICATE-----\n"
    "MIIBMTCB2KADAgECAgIePTAKBggqhkjOPQQDAjAiMSAwHgYDVQQDDBdzdGF0dXMu\n"
    "aW50ZXJuYWwuZXhhbXBsZTAeFw0yNTAzMDEwMDAwMDBaFw0yNTA1MzAwMDAwMDBa\n"
    "MCIxIDAeBgNVBAMMF3N0YXR1cy5pbnRlcm5hbC5leGFtcGxlMFkwEwYHKoZIzj0C\n"
    "AQYIKoZIzj0DAQcDQgAE6rmW+xmi2TpLmyL+wQnL+knZx8Hh1B62I27jg2X5Grtr\n"
    "v9lb+lfVHWsioC42FWPBWCH+wwa5Q6DlZ12Z3O+eIDAKBggqhkjOPQQDAgNIADBF\n"
    "AiEAx4gjnnTkOrkrC0Ov3xVhAKDwtYWH2dfopNIJwFkaYNcCICNMZ1ETGbKIsoQJ\n"
    "N7FjvJeO8trT3bBLHD8xXOC4E5pK\n"
    "-----END CERTIFICATE-----\n"
)
SSH_PUBLIC_KEY = (
    "ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIOnnabd1aXosCw0xZL/y3+iJ1cGAcC6zssPX3v4RK1qM ops@bastion-2"
)
PRIVATE_KEY_PEM = (
    "-----BEGIN EC PRIVATE KEY-----\n"
    "MHcCAQEEIHq3Zk0vY7pB2mQ9sLx4cW1nT8rJ5dF6gH0aK3eU2iOoAoGCCqGSM49\n"
    "-----END EC PRIVATE KEY-----\n"
)


@pytest.mark.parametrize(
    "text",
    [
        PUBLIC_KEY_PEM,
        CERTIFICATE_PEM,
        SSH_PUBLIC_KEY,
        '<script integrity="sha384-Hn2kIRyYInQwFLKi6mjnAT84Xme0c9mofnKuYR9kBAmoYgPFOeRULUcD7nYNIT/S">',
        "ED25519 key fingerprint is SHA256:8GjFk6iJbUdy+1e6ZQMHNthQ8IirDMa25NB1Tb8bjbA.",
    ],
    ids=["public key", "certificate", "ssh public key", "integrity", "fingerprint"],
)
def test_public_material_is_shown(text):
    """Public keys, certificates, SSH public keys (base64 with "/"), integrity digests, fingerprints."""
    assert scrub_text(text) == text


def test_public_material_under_its_usual_names_is_shown():
    """As environment variables under the names they usually have, they are shown too."""
    environment = {
        "TLS_CERT": CERTIFICATE_PEM,
        "JWT_PUBLIC_KEY": PUBLIC_KEY_PEM,
        "SSH_AUTHORIZED_KEY": SSH_PUBLIC_KEY,
    }
    assert scrub(environment) == environment


def test_a_private_key_beside_a_certificate_is_masked():
    """In a bundle, the certificate shows and the private key after it is masked."""
    shown = scrub_text(CERTIFICATE_PEM + PRIVATE_KEY_PEM)
    assert shown.startswith(CERTIFICATE_PEM)
    assert "MHcCAQEEIHq3Zk0vY7pB2mQ9" not in shown


def test_a_certificate_cut_short_does_not_keep_a_private_key():
    """A certificate without its END line does not reach over the private key after it."""
    shown = scrub_text(CERTIFICATE_PEM.replace("-----END CERTIFICATE-----\n", "") + PRIVATE_KEY_PEM)
    assert "MHcCAQEEIHq3Zk0vY7pB2mQ9" not in shown


def test_every_held_out_example_scrubs_to_itself_again():
    """Scrubbing what was scrubbed changes nothing, for the examples of every class."""
    texts = [
        *HEX_OR_ONE_CASE_TOKENS.values(),
        ATLASSIAN,
        "sqlplus -s app_ro/Ora-2024pw@//db.internal:1521/SALESPDB",
        "the new root password is hT7#kQ2pLm until the rotation",
        "SECRET_KEY=django-insecure-r0s#3!q(k2)x&v_9^",
        "auth:\n  enabled: true\n  secret: x\n",
        CERTIFICATE_PEM + PRIVATE_KEY_PEM,
    ]
    for text in texts:
        once = scrub_text(text)
        assert scrub_text(once) == once
    once = scrub({"auth": {"enabled": "true", "token_ttl": 5, "value": "v"}})
    assert scrub(once) == once
    assert json.loads(json.dumps(once)) == once
