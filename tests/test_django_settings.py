"""The SKIESISH setting: validated at start-up and by `manage.py check`, every mistake named."""

from __future__ import annotations

import os
import re
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from django.core.management import call_command
from django.core.management.base import SystemCheckError

from skiesish import Check, ConfigurationError
from skiesish.integrations.django import checks
from skiesish.integrations.django.apps import check_settings
from skiesish.integrations.django.config import ALLOWED_KEYS, probes_config, read_settings

ROOT = Path(__file__).resolve().parent.parent


def ready_now() -> bool:
    """Passes."""
    return True


#: A list of checks a dotted path may name.
READY_CHECKS = [Check(ready_now, name="first"), Check(ready_now, name="second")]
NOT_A_CHECK = 42


def test_defaults_check_databases_and_caches_for_readiness_and_migrations_for_startup():
    """Without SKIESISH: nothing for /livez, each database and cache for /readyz, migrations for /startupz."""
    config = probes_config(read_settings({}))
    names = {key: [check.name for check in config[key]] for key in ("live", "ready", "startup")}
    assert names == {"live": [], "ready": ["database:default", "cache:default"], "startup": ["migrations"]}


def test_allowed_keys_are_the_probe_lists_and_healthchecks_own():
    """The keys are live, ready, startup and HealthCheck's other keys; its check-listing keys are not."""
    assert ALLOWED_KEYS[:3] == ("live", "ready", "startup")
    assert {"timeout", "success_ttl", "failed_ttl", "details", "details_token", "format"} <= set(ALLOWED_KEYS)
    assert not {"services", "callable", "checks", "tags"} & set(ALLOWED_KEYS)


@pytest.mark.parametrize(
    ("value", "message"),
    [
        (
            {"timout": 3},
            r"unknown key 'timout' \(did you mean 'timeout'\?\); "
            r"allowed keys are 'live', 'ready', 'startup', ",
        ),
        ({"checks": []}, r"unknown key 'checks'; allowed keys are 'live'"),
        ({"timeout": -1}, r"'timeout': "),
        ({"details": "sometimes"}, r"'details': input should be 'never', 'always' or 'authorized'"),
        ({"ready": "database"}, r"'ready': input should be a valid list, got str 'database'"),
        (
            {"ready": [42]},
            r"'ready': item 0 must be a skiesish.Check, a function, the name of a Django check",
        ),
        ({"details": "authorized"}, r"details 'authorized' needs a details_token"),
        (["database"], r"the configuration must be a dict, got list"),
    ],
)
def test_mistakes_in_the_keys_and_values_are_named(value, message):
    """Each mistake in SKIESISH's keys or values is refused, naming the key and what was expected."""
    with pytest.raises(ConfigurationError, match=r"^SKIESISH"):
        read_settings(value)
    with pytest.raises(ConfigurationError, match=message):
        read_settings(value)


@pytest.mark.parametrize(
    ("ready", "message"),
    [
        (
            ["datbase"],
            r"SKIESISH\['ready'\]\[0\]: 'datbase' \(did you mean 'database'\?\) is neither a Django check",
        ),
        (["nowhere.health.check"], r"SKIESISH\['ready'\]\[0\]: cannot import 'nowhere.health.check': "),
        (["test_django_settings.NOT_A_CHECK"], r"is int 42, not a check, a function or a list of them"),
        (
            [Check(ready_now, name="same"), Check(ready_now, name="same")],
            r"more than one check is named same",
        ),
    ],
)
def test_checks_that_cannot_be_built_are_named(settings, ready, message):
    """A name that is no check, a path that does not import, two checks of one name: refused, naming it."""
    with pytest.raises(ConfigurationError, match=message):
        probes_config(read_settings({"ready": ready}))


def test_an_unknown_alias_in_a_checks_module_is_named(tmp_path, monkeypatch):
    """A check built for an alias DATABASES lacks fails the import of its module, naming the alias."""
    (tmp_path / "project_health.py").write_text(
        "from skiesish.integrations.django import checks\nREADY = checks.database('replica')\n"
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    with pytest.raises(ConfigurationError, match=r"DATABASES has no alias 'replica'; its aliases: 'default'"):
        probes_config(read_settings({"ready": ["project_health.READY"]}))


def test_dotted_paths_name_checks_lists_and_the_django_checks():
    """A dotted path may name a list of checks, a function, or one of the Django checks' functions."""
    config = probes_config(
        read_settings(
            {
                "ready": ["test_django_settings.READY_CHECKS", "skiesish.integrations.django.checks.cache"],
                "live": ["test_django_settings.ready_now"],
                "startup": [],
            }
        )
    )
    assert [check.name for check in config["ready"]] == ["first", "second", "cache:default"]
    assert [check.name for check in config["live"]] == ["ready_now"]


def test_a_check_named_in_two_probes_is_one_check():
    """The same name or object in two lists is one check (one run per TTL), not two of one name."""
    cache_check = checks.cache("default")
    config = probes_config(
        read_settings(
            {"live": ["migrations", cache_check], "ready": [cache_check], "startup": ["migrations"]}
        )
    )
    assert config["live"][0] is config["startup"][0]
    assert config["live"][1] is config["ready"][0]


def test_the_system_check_names_a_wrong_key(settings):
    """manage.py check fails with skiesish.E001, naming the key and, in the hint, the allowed keys."""
    settings.SKIESISH = {"timout": 3}
    (error,) = check_settings()
    assert error.id == "skiesish.E001"
    assert "unknown key 'timout' (did you mean 'timeout'?)" in error.msg
    assert error.hint == "docs/django.md describes each key of SKIESISH"
    with pytest.raises(SystemCheckError, match=r"skiesish.E001"):
        call_command("check")


def test_the_system_check_names_a_check_that_cannot_be_built(settings):
    """A check list that cannot be built is skiesish.E002, naming the item."""
    settings.SKIESISH = {"ready": ["datbase"]}
    (error,) = check_settings()
    assert (error.id, error.obj) == ("skiesish.E002", "settings.SKIESISH")
    assert "SKIESISH['ready'][0]: 'datbase'" in error.msg


def test_the_system_check_passes_good_settings(settings):
    """Valid settings give no system check message."""
    settings.SKIESISH = {"ready": ["cache"], "timeout": 2}
    assert check_settings() == []


# -- start-up, in processes of their own -----------------------------------------------------


def run_python(code: str, tmp_path: Path, skiesish_setting: str) -> subprocess.CompletedProcess[str]:
    """Run ``code`` with a settings module whose SKIESISH is ``skiesish_setting``, from ``tmp_path``."""
    (tmp_path / "bad_settings.py").write_text(
        textwrap.dedent(
            f"""
            SECRET_KEY = "not-a-secret"
            INSTALLED_APPS = ["skiesish.integrations.django"]
            DATABASES = {{"default": {{"ENGINE": "django.db.backends.sqlite3", "NAME": ":memory:"}}}}
            SKIESISH = {skiesish_setting}
            """
        )
    )
    environment = {**os.environ, "DJANGO_SETTINGS_MODULE": "bad_settings", "PYTHONPATH": f"{tmp_path}:{ROOT}"}
    return subprocess.run(
        [sys.executable, "-c", code],
        cwd=tmp_path,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
    )


def test_start_up_stops_on_a_wrong_key(tmp_path):
    """django.setup() (as a WSGI or ASGI server calls it) raises ImproperlyConfigured naming the key."""
    finished = run_python("import django; django.setup()", tmp_path, '{"timout": 3}')
    assert finished.returncode == 1
    assert (
        "django.core.exceptions.ImproperlyConfigured: SKIESISH configuration: unknown key 'timout' "
        "(did you mean 'timeout'?)" in finished.stderr
    )
    assert finished.stderr.rstrip().endswith("(skiesish.E001)")


def test_manage_py_check_reports_a_wrong_key_as_a_system_check(tmp_path):
    """Under manage.py the mistake is left to the system checks: `check` exits 1 listing skiesish.E002."""
    finished = run_python(
        "from django.core.management import execute_from_command_line as run; run(['manage.py', 'check'])",
        tmp_path,
        '{"ready": ["datbase"]}',
    )
    assert finished.returncode == 1
    assert (
        "settings.SKIESISH: (skiesish.E002) SKIESISH['ready'][0]: 'datbase' (did you mean 'database'?)"
        in finished.stderr
    )
    assert "Traceback" not in finished.stderr


def test_a_missing_django_names_the_extra_to_install(tmp_path):
    """Without Django installed, importing the integration says which extra installs it."""
    finished = run_python(
        "import sys; sys.modules['django'] = None; import skiesish.integrations.django", tmp_path, "{}"
    )
    assert (
        "skiesish.exceptions.MissingExtraError: skiesish.integrations.django needs django: "
        in finished.stderr
    )
    assert "pip install 'skiesish[django]'" in finished.stderr


def test_the_guide_lists_every_key():
    """docs/django.md's table of SKIESISH lists every allowed key, and no other."""
    text = (ROOT / "docs" / "django.md").read_text()
    section = re.search(r"^## Settings: `SKIESISH`\n(.*?)(?=^## )", text, re.S | re.M)
    assert section is not None
    assert set(re.findall(r"^\| `([a-z_]+)` \|", section.group(1), re.M)) == set(ALLOWED_KEYS)
