"""ConnectionDetails: where the database is, from DATABASE_URL or clearskies' db_* variables."""

from __future__ import annotations

from pathlib import Path

import pytest

from skiesish.backends import ConnectionDetails
from skiesish.environment import Environment
from skiesish.exceptions import ConfigurationError, DatabaseNotConfiguredError

PASSWORD = "hunter2-secret"

# -- SQLite ---------------------------------------------------------------------


def test_sqlite_relative_path() -> None:
    """sqlite:///name.db names a file relative to the working directory."""
    details = ConnectionDetails.from_url("sqlite:///data/app.db")

    assert (details.dialect, details.database) == ("sqlite", "data/app.db")


def test_sqlite_absolute_path() -> None:
    """sqlite:////abs/name.db (four slashes) names an absolute path."""
    assert ConnectionDetails.from_url("sqlite:////var/lib/app.db").database == "/var/lib/app.db"


def test_sqlite_memory() -> None:
    """sqlite:///:memory: is the in-memory database."""
    assert ConnectionDetails.from_url("sqlite:///:memory:").database == ":memory:"


def test_sqlite_path_is_url_decoded() -> None:
    """Percent-escapes in a SQLite path are decoded."""
    assert ConnectionDetails.from_url("sqlite:///my%20data.db").database == "my data.db"


def test_sqlite_has_no_network_settings() -> None:
    """A SQLite URL leaves host and port unset."""
    details = ConnectionDetails.from_url("sqlite:///app.db")

    assert (details.host, details.port) == ("", None)


# -- servers --------------------------------------------------------------------


@pytest.mark.parametrize(
    ("scheme", "dialect"),
    [
        ("postgres", "postgresql"),
        ("postgresql", "postgresql"),
        ("postgresql+psycopg", "postgresql"),
        ("mysql", "mysql"),
        ("mysql+pymysql", "mysql"),
        ("mariadb", "mysql"),
        ("mariadb+pymysql", "mysql"),
        ("PostgreSQL", "postgresql"),
    ],
)
def test_scheme_selects_the_dialect(scheme: str, dialect: str) -> None:
    """Each supported scheme maps to its dialect, whatever its case."""
    assert ConnectionDetails.from_url(f"{scheme}://app@db.example.com/app").dialect == dialect


@pytest.mark.parametrize(
    ("scheme", "port"), [("postgresql", 5432), ("postgres", 5432), ("mysql", 3306), ("mariadb", 3306)]
)
def test_default_ports(scheme: str, port: int) -> None:
    """A URL without a port gets the dialect's standard port."""
    assert ConnectionDetails.from_url(f"{scheme}://app@db.example.com/app").port == port


def test_server_url_parts() -> None:
    """Host, port, user, password and database name are all read from the URL."""
    details = ConnectionDetails.from_url("postgresql://app:secret@db.example.com:6543/orders")

    assert (details.host, details.port, details.username, details.password, details.database) == (
        "db.example.com",
        6543,
        "app",
        "secret",
        "orders",
    )


def test_url_encoded_password_is_decoded() -> None:
    """A password with @, : and / percent-encoded in the URL arrives decoded."""
    details = ConnectionDetails.from_url("mysql://app:p%40ss%3Aw%2Frd@db.example.com/app")

    assert details.password == "p@ss:w/rd"


def test_url_encoded_username_is_decoded() -> None:
    """A percent-encoded user name arrives decoded."""
    assert ConnectionDetails.from_url("mysql://app%40corp@db.example.com/app").username == "app@corp"


def test_connect_timeout_defaults_to_two_seconds() -> None:
    """Without ?connect_timeout the timeout is 2 seconds."""
    assert ConnectionDetails.from_url("postgresql://app@db.example.com/app").connect_timeout == 2.0


@pytest.mark.parametrize(
    "url",
    ["postgresql://app@db.example.com/app?connect_timeout=7.5", "sqlite:///app.db?connect_timeout=7.5"],
)
def test_connect_timeout_query_parameter(url: str) -> None:
    """?connect_timeout=N sets the connect timeout, for servers and SQLite alike."""
    assert ConnectionDetails.from_url(url).connect_timeout == 7.5


def test_query_string_is_not_part_of_the_database_name() -> None:
    """The query string does not leak into the database name."""
    assert ConnectionDetails.from_url("mysql://app@db.example.com/app?connect_timeout=3").database == "app"


# -- bad URLs -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("url", "message"),
    [
        pytest.param("redis://localhost/0", "unsupported scheme 'redis'", id="unknown-scheme"),
        pytest.param("", "unsupported scheme ''", id="empty"),
        pytest.param("db.example.com/app", "unsupported scheme ''", id="no-scheme"),
        pytest.param("postgresql:///app", "needs a host and a database name", id="missing-host"),
        pytest.param("postgresql://app@:5432/app", "needs a host and a database name", id="empty-host"),
        pytest.param("mysql://app@db.example.com", "needs a host and a database name", id="missing-db"),
        pytest.param("mysql://app@db.example.com/", "needs a host and a database name", id="empty-db"),
        pytest.param("sqlite:///", "names no SQLite file", id="sqlite-no-file"),
        pytest.param("postgresql://db.example.com:port/app", "invalid port", id="non-numeric-port"),
        pytest.param("postgresql://db.example.com:70000/app", "invalid port", id="port-out-of-range"),
        pytest.param("postgresql://db.example.com:-1/app", "invalid port", id="negative-port"),
        pytest.param("postgresql://db.example.com:0/app", "invalid port", id="port-zero"),
        pytest.param("postgresql://[::1/app", "DATABASE_URL", id="unclosed-ipv6-host"),
        *(
            pytest.param(
                f"postgresql://db.example.com/app?connect_timeout={timeout}",
                "connect_timeout must be a positive number of seconds",
                id=f"timeout-{timeout}",
            )
            for timeout in ("abc", "0", "-5", "nan", "inf")
        ),
    ],
)
def test_bad_url_is_a_configuration_error(url: str, message: str) -> None:
    """A malformed DATABASE_URL raises ConfigurationError saying what is wrong with it."""
    with pytest.raises(ConfigurationError, match=message):
        ConnectionDetails.from_url(url)


@pytest.mark.parametrize(
    "url",
    [
        pytest.param(f"postgresql://app:{PASSWORD}@db.example.com:port/app", id="bad-port"),
        pytest.param(f"postgresql://app:{PASSWORD}@db.example.com", id="missing-db"),
        pytest.param(f"mysql://app:{PASSWORD}@/app", id="missing-host"),
        pytest.param(f"mysql://app:{PASSWORD}@db.example.com/app?connect_timeout=x", id="bad-timeout"),
    ],
)
def test_bad_url_error_hides_the_password(url: str) -> None:
    """The error about a malformed URL never repeats its password."""
    with pytest.raises(ConfigurationError) as error:
        ConnectionDetails.from_url(url)

    assert PASSWORD not in str(error.value)


# -- from_environment -------------------------------------------------------------


def test_from_environment_reads_database_url() -> None:
    """DATABASE_URL in the environment is parsed like from_url."""
    details = ConnectionDetails.from_environment({"DATABASE_URL": "postgresql://app@db.example.com/orders"})

    assert (details.dialect, details.host, details.database) == ("postgresql", "db.example.com", "orders")


def test_from_environment_prefers_database_url_over_db_host() -> None:
    """With both set, DATABASE_URL is used and the db_* variables are ignored."""
    details = ConnectionDetails.from_environment(
        {
            "DATABASE_URL": "sqlite:///app.db",
            "db_host": "mysql.example.com",
            "db_username": "app",
            "db_database": "app",
        }
    )

    assert details.dialect == "sqlite"


def test_from_environment_reads_clearskies_variables() -> None:
    """clearskies' db_host/db_username/db_password/db_database/db_port describe a MySQL database."""
    details = ConnectionDetails.from_environment(
        {
            "db_host": "mysql.example.com",
            "db_username": "app",
            "db_password": "secret",
            "db_database": "orders",
            "db_port": "3307",
        }
    )

    assert details == ConnectionDetails(
        "mysql", "orders", host="mysql.example.com", port=3307, username="app", password="secret"
    )


def test_from_environment_db_port_defaults_to_3306() -> None:
    """Without db_port the MySQL standard port is used."""
    details = ConnectionDetails.from_environment(
        {"db_host": "mysql.example.com", "db_username": "app", "db_database": "orders"}
    )

    assert details.port == 3306


def test_from_environment_db_password_is_optional() -> None:
    """db_password may be left out; the password is then empty."""
    details = ConnectionDetails.from_environment(
        {"db_host": "mysql.example.com", "db_username": "app", "db_database": "orders"}
    )

    assert details.password == ""


def test_from_environment_accepts_an_environment(tmp_path: Path) -> None:
    """An Environment object works as well as a plain mapping, .env file included."""
    (tmp_path / ".env").write_text("DATABASE_URL=mysql://app@db.example.com/from_file\n")
    environment = Environment(env_file=tmp_path / ".env", environ={})

    assert ConnectionDetails.from_environment(environment).database == "from_file"


def test_from_environment_with_nothing_set_mentions_database_url() -> None:
    """With no database settings, DatabaseNotConfiguredError says to set DATABASE_URL."""
    with pytest.raises(DatabaseNotConfiguredError, match="set DATABASE_URL"):
        ConnectionDetails.from_environment({})


def test_database_not_configured_is_a_configuration_error() -> None:
    """DatabaseNotConfiguredError can be caught as a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="no database is configured"):
        ConnectionDetails.from_environment({})


def test_empty_database_url_counts_as_unset() -> None:
    """DATABASE_URL set to the empty string is treated as not set."""
    with pytest.raises(DatabaseNotConfiguredError, match="DATABASE_URL"):
        ConnectionDetails.from_environment({"DATABASE_URL": ""})


@pytest.mark.parametrize(
    ("settings", "missing"),
    [
        ({"db_host": "h", "db_database": "d"}, "db_username is not"),
        ({"db_host": "h", "db_username": "u"}, "db_database is not"),
        ({"db_host": "h"}, "db_username, db_database is not"),
    ],
)
def test_from_environment_names_missing_db_variables(settings: dict[str, str], missing: str) -> None:
    """db_host without db_username or db_database names what else must be set."""
    with pytest.raises(DatabaseNotConfiguredError, match=missing):
        ConnectionDetails.from_environment(settings)


@pytest.mark.parametrize("port", ["abc", "-1", "3306.0", "99999", "0"])
def test_from_environment_bad_db_port(port: str) -> None:
    """A db_port that is not a usable TCP port raises ConfigurationError naming db_port."""
    settings = {"db_host": "h", "db_username": "u", "db_database": "d", "db_port": port}

    with pytest.raises(ConfigurationError, match="db_port must be"):
        ConnectionDetails.from_environment(settings)


# -- keeping the password secret ------------------------------------------------------


@pytest.fixture(
    params=[
        pytest.param(
            lambda: ConnectionDetails.from_url(f"postgresql://app:{PASSWORD}@db.example.com/app"), id="url"
        ),
        pytest.param(
            lambda: ConnectionDetails.from_environment(
                {"db_host": "h", "db_username": "u", "db_password": PASSWORD, "db_database": "d"}
            ),
            id="environment",
        ),
    ]
)
def secret_details(request: pytest.FixtureRequest) -> ConnectionDetails:
    """Connection details that carry PASSWORD."""
    details: ConnectionDetails = request.param()
    assert details.password == PASSWORD  # the secret really is inside
    return details


def test_password_not_in_repr(secret_details: ConnectionDetails) -> None:
    """repr() (and so str() and logging of the object) leaves the password out."""
    assert PASSWORD not in repr(secret_details)


def test_password_not_in_describe(secret_details: ConnectionDetails) -> None:
    """describe(), meant for logs, leaves the password out."""
    assert PASSWORD not in secret_details.describe()


def test_describe_names_where_the_database_is() -> None:
    """describe() shows dialect, user, host, port and database."""
    details = ConnectionDetails.from_url(f"mysql://app:{PASSWORD}@db.example.com/orders")

    assert details.describe() == "mysql://app@db.example.com:3306/orders"
