"""Environment: settings from the process environment, falling back to a ``.env`` file."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiesish.environment import Environment
from skiesish.exceptions import ConfigurationError


@pytest.fixture
def env_file(tmp_path: Path) -> Path:
    """A ``.env`` file with a few settings in it."""
    path = tmp_path / ".env"
    path.write_text('DATABASE_URL=sqlite:///from-file.db\nGREETING="hello world"\n')
    return path


@pytest.fixture
def missing_file(tmp_path: Path) -> Path:
    """A path where no ``.env`` file exists."""
    return tmp_path / "no-such.env"


def test_reads_the_given_environ(missing_file: Path) -> None:
    """A variable in the ``environ`` mapping is returned as it is."""
    environment = Environment(env_file=missing_file, environ={"DATABASE_URL": "sqlite:///real.db"})

    assert environment.get("DATABASE_URL") == "sqlite:///real.db"


def test_reads_os_environ_by_default(monkeypatch: pytest.MonkeyPatch, missing_file: Path) -> None:
    """Without an ``environ`` argument, os.environ is read."""
    monkeypatch.setenv("SKIESISH_TEST_SETTING", "from os.environ")

    assert Environment(env_file=missing_file).get("SKIESISH_TEST_SETTING") == "from os.environ"


def test_sees_os_environ_changes_after_construction(
    monkeypatch: pytest.MonkeyPatch, missing_file: Path
) -> None:
    """os.environ is read at each get(), not copied when the Environment is made."""
    environment = Environment(env_file=missing_file)
    monkeypatch.setenv("SKIESISH_TEST_SETTING", "set later")

    assert environment.get("SKIESISH_TEST_SETTING") == "set later"


def test_falls_back_to_the_env_file(env_file: Path) -> None:
    """A variable set only in the ``.env`` file is read from the file."""
    assert Environment(env_file=env_file, environ={}).get("DATABASE_URL") == "sqlite:///from-file.db"


def test_env_file_values_are_unquoted(env_file: Path) -> None:
    """Quoted values in the ``.env`` file arrive without their quotes."""
    assert Environment(env_file=env_file, environ={}).get("GREETING") == "hello world"


def test_real_environment_wins_over_the_file(env_file: Path) -> None:
    """A variable set in both places comes from the real environment."""
    environment = Environment(env_file=env_file, environ={"DATABASE_URL": "sqlite:///real.db"})

    assert environment.get("DATABASE_URL") == "sqlite:///real.db"


def test_empty_real_value_still_wins_over_the_file(env_file: Path) -> None:
    """A variable set to the empty string in the real environment is not replaced by the file's."""
    environment = Environment(env_file=env_file, environ={"DATABASE_URL": ""})

    assert environment.get("DATABASE_URL") == ""


def test_default_env_file_is_dot_env_in_the_working_directory(
    monkeypatch: pytest.MonkeyPatch, env_file: Path
) -> None:
    """With no ``env_file`` argument, ``.env`` in the current directory is read."""
    monkeypatch.chdir(env_file.parent)

    assert Environment(environ={}).get("GREETING") == "hello world"


def test_missing_file_is_simply_empty(missing_file: Path) -> None:
    """A missing ``.env`` file raises nothing; unset names give None."""
    assert Environment(env_file=missing_file, environ={}).get("DATABASE_URL") is None


def test_directory_as_env_file_is_simply_empty(tmp_path: Path) -> None:
    """An ``env_file`` path that is a directory is treated like a missing file."""
    assert Environment(env_file=tmp_path, environ={}).get("DATABASE_URL") is None


def test_default_is_returned_when_set_nowhere(env_file: Path) -> None:
    """get(name, default) returns the default for a name in neither place."""
    assert Environment(env_file=env_file, environ={}).get("NOT_SET", "fallback") == "fallback"


def test_file_is_read_once(env_file: Path) -> None:
    """The ``.env`` file is read on first use; later edits to it are not seen."""
    environment = Environment(env_file=env_file, environ={})
    environment.get("GREETING")
    env_file.write_text("GREETING=changed\n")

    assert environment.get("GREETING") == "hello world"


def test_require_returns_a_set_value(env_file: Path) -> None:
    """require() returns the value when the variable is set."""
    assert Environment(env_file=env_file, environ={}).require("GREETING") == "hello world"


def test_require_names_the_missing_variable(env_file: Path) -> None:
    """require() on a variable set nowhere raises ConfigurationError naming it and the file."""
    environment = Environment(env_file=env_file, environ={})

    with pytest.raises(ConfigurationError, match=r"the setting 'API_TOKEN' is required.*\.env"):
        environment.require("API_TOKEN")
