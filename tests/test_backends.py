"""The table API every backend shares, run against memory, SQLite, PostgreSQL and MariaDB alike."""

from __future__ import annotations

import contextlib
import gc
import re
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pymysql
import pytest

from skiesish.backends import Backend, ConnectionDetails, CursorBackend, Database, MemoryBackend
from skiesish.di import StandardDependencies
from skiesish.environment import Environment
from skiesish.exceptions import DatabaseNotConfiguredError

CREATE_TABLE = {
    "sqlite": (
        "CREATE TABLE {table} (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT, age INTEGER, city TEXT)"
    ),
    "postgresql": (
        "CREATE TABLE {table} (id SERIAL PRIMARY KEY, name VARCHAR(255), age INTEGER, city VARCHAR(255))"
    ),
    "mysql": (
        "CREATE TABLE {table} (id INT AUTO_INCREMENT PRIMARY KEY, name VARCHAR(255), age INT, "
        "city VARCHAR(255)) DEFAULT CHARSET=utf8mb4"
    ),
}

ADA = {"name": "Ada", "age": 36, "city": "London"}
GRACE = {"name": "Grace", "age": 45, "city": "Arlington"}
LINUS = {"name": "Linus", "age": 28, "city": "London"}

SQL_BACKENDS = [
    "sqlite_file",
    "sqlite_memory",
    pytest.param("postgresql", marks=pytest.mark.services),
    pytest.param("mysql", marks=pytest.mark.services),
]
ALL_BACKENDS = ["memory", *SQL_BACKENDS]


def database_url(kind: str, request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """The URL of the database ``kind`` names; server kinds skip when their server is down."""
    if kind == "sqlite_file":
        return f"sqlite:///{tmp_path / 'app.db'}"
    if kind == "sqlite_memory":
        return "sqlite:///:memory:"
    if kind == "postgresql":
        return str(request.getfixturevalue("postgres_url"))
    return str(request.getfixturevalue("mysql_url"))


@contextlib.contextmanager
def database_with_table(url: str, table: str) -> Iterator[Database]:
    """A Database on ``url`` holding a fresh ``table`` (id, name, age, city), dropped afterwards."""
    database = Database(ConnectionDetails.from_url(url))
    try:
        with database.cursor() as cursor:
            cursor.execute(CREATE_TABLE[database.details.dialect].format(table=table))
        yield database
        with database.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {table}")
    finally:
        database.close()


@pytest.fixture(params=ALL_BACKENDS)
def backend(request: pytest.FixtureRequest, table_name: str, tmp_path: Path) -> Iterator[Backend]:
    """Each backend in turn, with ``table_name`` ready to use."""
    if request.param == "memory":
        yield MemoryBackend()
        return
    with database_with_table(database_url(request.param, request, tmp_path), table_name) as database:
        yield CursorBackend(database)


@pytest.fixture(params=SQL_BACKENDS)
def sql_backend(request: pytest.FixtureRequest, table_name: str, tmp_path: Path) -> Iterator[CursorBackend]:
    """Each SQL database in turn, behind a CursorBackend, with ``table_name`` ready to use."""
    with database_with_table(database_url(request.param, request, tmp_path), table_name) as database:
        yield CursorBackend(database)


@pytest.fixture
def postgres_backend(postgres_url: str, table_name: str) -> Iterator[CursorBackend]:
    """A CursorBackend on the PostgreSQL test database, with ``table_name`` ready to use."""
    with database_with_table(postgres_url, table_name) as database:
        yield CursorBackend(database)


@pytest.fixture
def mysql_backend(mysql_url: str, table_name: str) -> Iterator[CursorBackend]:
    """A CursorBackend on the MariaDB test database, with ``table_name`` ready to use."""
    with database_with_table(mysql_url, table_name) as database:
        yield CursorBackend(database)


def without_id(records: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The records with their generated ids left out, for comparing with what was created."""
    return [{key: value for key, value in record.items() if key != "id"} for record in records]


def names(records: list[dict[str, Any]]) -> list[str]:
    """The ``name`` of each record, in order."""
    return [record["name"] for record in records]


def create_people(backend: Backend, table: str) -> list[dict[str, Any]]:
    """Create ADA, GRACE and LINUS, in that order, and return them as stored."""
    return [backend.create(table, person) for person in (ADA, GRACE, LINUS)]


# -- the shared table API -----------------------------------------------------------


def test_create_returns_the_record_with_an_id(backend: Backend, table_name: str) -> None:
    """create() returns what was stored: the given columns plus a generated ``id``."""
    record = backend.create(table_name, ADA)

    assert record == {**ADA, "id": record["id"]}
    assert record["id"] is not None


def test_created_ids_are_distinct(backend: Backend, table_name: str) -> None:
    """Each created record gets an id of its own."""
    records = create_people(backend, table_name)

    assert len({record["id"] for record in records}) == 3


def test_records_returns_what_was_created(backend: Backend, table_name: str) -> None:
    """records() with no arguments returns every record, ids included."""
    created = create_people(backend, table_name)

    assert sorted(backend.records(table_name), key=lambda record: record["id"]) == created


def test_records_of_an_empty_table(backend: Backend, table_name: str) -> None:
    """records() of a table with nothing in it is an empty list."""
    assert backend.records(table_name) == []


def test_where_filters_on_equality(backend: Backend, table_name: str) -> None:
    """where= keeps only the records whose column equals the given value."""
    create_people(backend, table_name)

    assert sorted(names(backend.records(table_name, where={"city": "London"}))) == ["Ada", "Linus"]


def test_where_with_several_columns_needs_all_to_match(backend: Backend, table_name: str) -> None:
    """where= with two columns matches records that satisfy both."""
    create_people(backend, table_name)

    assert names(backend.records(table_name, where={"city": "London", "age": 28})) == ["Linus"]


def test_where_matching_nothing(backend: Backend, table_name: str) -> None:
    """where= that no record satisfies returns an empty list."""
    create_people(backend, table_name)

    assert backend.records(table_name, where={"city": "Paris"}) == []


def test_where_none_matches_missing_values(backend: Backend, table_name: str) -> None:
    """where={column: None} finds the records whose column holds no value, on every backend."""
    backend.create(table_name, {"name": "Ada", "age": None, "city": None})
    backend.create(table_name, GRACE)

    assert names(backend.records(table_name, where={"city": None})) == ["Ada"]


def test_sort_ascending(backend: Backend, table_name: str) -> None:
    """sort="column" orders records by that column, smallest first."""
    create_people(backend, table_name)

    assert names(backend.records(table_name, sort="age")) == ["Linus", "Ada", "Grace"]


def test_sort_descending(backend: Backend, table_name: str) -> None:
    """sort="-column" orders records by that column, largest first."""
    create_people(backend, table_name)

    assert names(backend.records(table_name, sort="-age")) == ["Grace", "Ada", "Linus"]


def test_sort_by_several_columns(backend: Backend, table_name: str) -> None:
    """sort=[first, second] orders by the first column, then by the second among ties."""
    create_people(backend, table_name)

    assert names(backend.records(table_name, sort=["-city", "age"])) == ["Linus", "Ada", "Grace"]


def test_limit_caps_the_number_of_records(backend: Backend, table_name: str) -> None:
    """limit=N returns at most N records, after sorting."""
    create_people(backend, table_name)

    assert names(backend.records(table_name, sort="name", limit=2)) == ["Ada", "Grace"]


def test_limit_zero_returns_nothing(backend: Backend, table_name: str) -> None:
    """limit=0 returns no records at all."""
    create_people(backend, table_name)

    assert backend.records(table_name, limit=0) == []


@pytest.mark.parametrize("limit", [-1, True, "2", 1.5])
def test_bad_limit_is_refused(backend: Backend, table_name: str, limit: Any) -> None:
    """A limit that is not a non-negative int raises ValueError saying what arrived."""
    with pytest.raises(ValueError, match="limit must be a non-negative int or None, got"):
        backend.records(table_name, limit=limit)


def test_count_all(backend: Backend, table_name: str) -> None:
    """count() with no filter counts every record."""
    create_people(backend, table_name)

    assert backend.count(table_name) == 3


def test_count_with_where(backend: Backend, table_name: str) -> None:
    """count(where=...) counts only the matching records."""
    create_people(backend, table_name)

    assert backend.count(table_name, where={"city": "London"}) == 2


def test_update_returns_the_whole_record(backend: Backend, table_name: str) -> None:
    """update() changes the given columns and returns the record with the others untouched."""
    ada = backend.create(table_name, ADA)

    assert backend.update(table_name, ada["id"], {"city": "Paris"}) == {
        **ADA,
        "city": "Paris",
        "id": ada["id"],
    }


def test_update_is_stored(backend: Backend, table_name: str) -> None:
    """A change made by update() is what later reads return."""
    ada = backend.create(table_name, ADA)
    backend.update(table_name, ada["id"], {"age": 37})

    assert backend.records(table_name, where={"id": ada["id"]})[0]["age"] == 37


def test_update_leaves_other_records_alone(backend: Backend, table_name: str) -> None:
    """update() of one record does not touch the others."""
    ada = create_people(backend, table_name)[0]
    backend.update(table_name, ada["id"], {"city": "Paris"})

    assert sorted(names(backend.records(table_name, where={"city": "Paris"}))) == ["Ada"]


def test_update_cannot_change_the_id(backend: Backend, table_name: str) -> None:
    """An ``id`` in update()'s data is ignored; the record keeps its id."""
    ada = backend.create(table_name, ADA)

    assert backend.update(table_name, ada["id"], {"id": 999, "age": 37})["id"] == ada["id"]


def test_update_of_a_missing_id_is_a_lookup_error(backend: Backend, table_name: str) -> None:
    """update() of an id no record has raises LookupError naming the table and id."""
    backend.create(table_name, ADA)

    with pytest.raises(LookupError, match=f"table '{table_name}' has no record with id 424242"):
        backend.update(table_name, 424242, {"age": 1})


def test_delete_removes_the_record(backend: Backend, table_name: str) -> None:
    """delete() returns True and the record is gone; the others stay."""
    grace = create_people(backend, table_name)[1]

    assert backend.delete(table_name, grace["id"]) is True
    assert sorted(names(backend.records(table_name))) == ["Ada", "Linus"]


def test_delete_of_a_missing_id_returns_false(backend: Backend, table_name: str) -> None:
    """delete() of an id no record has returns False."""
    backend.create(table_name, ADA)

    assert backend.delete(table_name, 424242) is False


def test_ping_answers_true(backend: Backend) -> None:
    """ping() on a working store returns True."""
    assert backend.ping() is True


@pytest.mark.parametrize(
    "value",
    [
        "O'Brien",
        'say "hello"',
        "back\\slash",
        "`backtick`",
        "100% %s %(name)s ?",
        "x'); DROP TABLE users; --",
        "Zoë 🚀",
    ],
)
def test_values_round_trip_as_parameters(backend: Backend, table_name: str, value: str) -> None:
    """Quotes and placeholders in values are stored and found as they are, never as SQL."""
    backend.create(table_name, {"name": value, "age": 1, "city": value})

    assert without_id(backend.records(table_name, where={"name": value})) == [
        {"name": value, "age": 1, "city": value}
    ]


# -- names that are not plain identifiers --------------------------------------------

BAD_NAME_TEMPLATE = "{table}; DROP TABLE {table}"

TABLE_OPERATIONS: dict[str, Callable[[Backend, str, Any], Any]] = {
    "create": lambda backend, table, id: backend.create(table, ADA),
    "update": lambda backend, table, id: backend.update(table, id, {"age": 1}),
    "delete": lambda backend, table, id: backend.delete(table, id),
    "records": lambda backend, table, id: backend.records(table),
    "count": lambda backend, table, id: backend.count(table),
}

COLUMN_OPERATIONS: dict[str, Callable[[Backend, str, Any, str], Any]] = {
    "create": lambda backend, table, id, column: backend.create(table, {column: "x"}),
    "update": lambda backend, table, id, column: backend.update(table, id, {column: "x"}),
    "records-where": lambda backend, table, id, column: backend.records(table, where={column: "x"}),
    "records-sort": lambda backend, table, id, column: backend.records(table, sort=column),
    "count-where": lambda backend, table, id, column: backend.count(table, where={column: "x"}),
}


@pytest.mark.parametrize("operation", TABLE_OPERATIONS)
def test_injected_table_name_is_refused_before_any_sql(
    backend: Backend, table_name: str, operation: str
) -> None:
    """A table name carrying SQL raises ValueError, and the table it tried to drop is intact."""
    ada = backend.create(table_name, ADA)

    with pytest.raises(ValueError, match="table names must be letters, digits and underscores"):
        TABLE_OPERATIONS[operation](backend, BAD_NAME_TEMPLATE.format(table=table_name), ada["id"])
    assert backend.records(table_name) == [ada]


@pytest.mark.parametrize("operation", COLUMN_OPERATIONS)
def test_injected_column_name_is_refused_before_any_sql(
    backend: Backend, table_name: str, operation: str
) -> None:
    """A column name carrying SQL raises ValueError, and the table it tried to drop is intact."""
    ada = backend.create(table_name, ADA)

    with pytest.raises(ValueError, match="column names must be letters, digits and underscores"):
        COLUMN_OPERATIONS[operation](
            backend, table_name, ada["id"], BAD_NAME_TEMPLATE.format(table=table_name)
        )
    assert backend.records(table_name) == [ada]


@pytest.fixture(params=["memory", "sqlite_memory"])
def local_backend(request: pytest.FixtureRequest) -> Iterator[Backend]:
    """A backend that needs no server, for checking name validation alone."""
    if request.param == "memory":
        yield MemoryBackend()
        return
    database = Database(ConnectionDetails.from_url("sqlite:///:memory:"))
    try:
        yield CursorBackend(database)
    finally:
        database.close()


@pytest.mark.parametrize(
    "name",
    [
        "users; DROP TABLE x",
        'users" --',
        "users`",
        "1users",
        "",
        "has space",
        "schema.users",
        "café",
        "-users",
    ],
)
def test_table_name_must_be_a_plain_identifier(local_backend: Backend, name: str) -> None:
    """Table names are held to letters, digits and underscores, and the error shows what arrived."""
    with pytest.raises(ValueError, match=r"table names must be .*; got str " + re.escape(repr(name))):
        local_backend.records(name)


# -- ping really talks to the database -------------------------------------------------


def test_sqlite_ping_opens_the_file(tmp_path: Path) -> None:
    """ping() on a SQLite file that cannot be opened raises instead of answering True."""
    database = Database(ConnectionDetails.from_url(f"sqlite:///{tmp_path / 'no-such-dir' / 'app.db'}"))
    try:
        with pytest.raises(sqlite3.OperationalError, match="unable to open database file"):
            CursorBackend(database).ping()
    finally:
        database.close()


@pytest.mark.services
def test_postgres_ping_runs_a_query_on_the_server(postgres_backend: CursorBackend, postgres_url: str) -> None:
    """After ping(), the server reports SELECT 1 as the last query of the backend's connection."""
    postgres_backend.ping()
    pid = postgres_backend.database.connection().info.backend_pid

    with psycopg.connect(postgres_url, autocommit=True) as observer:
        row = observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()

    assert row == ("SELECT 1",)


@pytest.mark.parametrize(
    ("scheme", "error"),
    [("postgresql", psycopg.OperationalError), ("mysql", pymysql.err.OperationalError)],
)
def test_ping_fails_when_the_server_is_gone(scheme: str, error: type[Exception], free_port: int) -> None:
    """A CursorBackend whose server does not listen raises the driver's error on ping()."""
    database = Database(
        ConnectionDetails.from_url(f"{scheme}://app@127.0.0.1:{free_port}/app?connect_timeout=1")
    )
    try:
        with pytest.raises(error, match=re.escape("127.0.0.1")):
            CursorBackend(database).ping()
    finally:
        database.close()


def kill_postgres_connection(backend: CursorBackend, url: str) -> int:
    """Terminate the backend's current server connection from a second one; return its pid."""
    pid = int(backend.database.connection().info.backend_pid)
    with psycopg.connect(url, autocommit=True) as killer:
        killer.execute("SELECT pg_terminate_backend(%s, 5000)", [pid])
    return pid


def kill_mysql_connection(backend: CursorBackend, url: str) -> int:
    """KILL the backend's current server connection from a second one; return its id."""
    thread_id = int(backend.database.connection().thread_id())
    details = ConnectionDetails.from_url(url)
    killer = pymysql.connect(
        host=details.host,
        port=details.port,
        user=details.username,
        password=details.password,
        autocommit=True,
    )
    try:
        with killer.cursor() as cursor:
            cursor.execute(f"KILL {thread_id:d}")
    finally:
        killer.close()
    return thread_id


@pytest.mark.services
def test_postgres_idle_killed_connection_is_noticed_before_use(
    postgres_backend: CursorBackend, postgres_url: str
) -> None:
    """A connection the server ended while idle is noticed before use: the next ping() gets a fresh one."""
    old_pid = kill_postgres_connection(postgres_backend, postgres_url)

    assert postgres_backend.ping() is True
    assert postgres_backend.database.connection().info.backend_pid != old_pid


@pytest.mark.services
def test_postgres_killed_connection_is_replaced(postgres_backend: CursorBackend, postgres_url: str) -> None:
    """After the server ends a connection, the next use opens a fresh one and ping() succeeds."""
    old_pid = kill_postgres_connection(postgres_backend, postgres_url)
    with contextlib.suppress(psycopg.OperationalError):
        postgres_backend.ping()

    assert postgres_backend.ping() is True
    assert postgres_backend.database.connection().info.backend_pid != old_pid


@pytest.mark.services
def test_mysql_idle_killed_connection_is_noticed_before_use(
    mysql_backend: CursorBackend, mysql_url: str
) -> None:
    """A connection the server killed while idle is noticed before use: the next ping() gets a fresh one."""
    old_id = kill_mysql_connection(mysql_backend, mysql_url)

    assert mysql_backend.ping() is True
    assert mysql_backend.database.connection().thread_id() != old_id


@pytest.mark.services
def test_mysql_killed_connection_is_replaced(mysql_backend: CursorBackend, mysql_url: str) -> None:
    """After the server kills a connection, the next use opens a fresh one and ping() succeeds."""
    old_id = kill_mysql_connection(mysql_backend, mysql_url)
    with contextlib.suppress(pymysql.err.OperationalError):
        mysql_backend.ping()

    assert mysql_backend.ping() is True
    assert mysql_backend.database.connection().thread_id() != old_id


# -- sharing across threads -------------------------------------------------------------

WORKERS = 8
RECORDS_PER_WORKER = 10


@pytest.fixture
def finished_threads() -> list[threading.Thread]:
    """Keeps finished threads referenced until the backend (requested after this) is closed.

    Database forgets the connection of a thread that has been garbage collected
    without closing it (see test_close_closes_connections_of_finished_threads);
    holding the threads keeps that one bug out of the tests below.
    """
    return []


def run_in_threads(
    work: Callable[[int], None], keep: list[threading.Thread], count: int = WORKERS
) -> list[BaseException]:
    """Run ``work(i)`` in ``count`` threads released together; return what they raised."""
    barrier = threading.Barrier(count)
    errors: list[BaseException] = []

    def worker(index: int) -> None:
        barrier.wait()
        try:
            work(index)
        except Exception as error:  # noqa: BLE001 - any error is what the tests report
            errors.append(error)

    threads = [threading.Thread(target=worker, args=(index,)) for index in range(count)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    keep.extend(threads)
    return errors


def test_threads_creating_at_once_raise_nothing(
    finished_threads: list[threading.Thread], backend: Backend, table_name: str
) -> None:
    """Eight threads creating records through one backend at the same time all succeed."""

    def work(index: int) -> None:
        for number in range(RECORDS_PER_WORKER):
            backend.create(table_name, {"name": f"worker {index}", "age": number, "city": "Threadville"})

    assert run_in_threads(work, finished_threads) == []


def test_threads_creating_at_once_are_all_counted(
    finished_threads: list[threading.Thread], backend: Backend, table_name: str
) -> None:
    """Every record created by eight concurrent threads is there afterwards, with its own id."""

    def work(index: int) -> None:
        for number in range(RECORDS_PER_WORKER):
            with contextlib.suppress(Exception):  # failures are test_threads_creating_at_once_raise_nothing's
                backend.create(table_name, {"name": f"worker {index}", "age": number, "city": "Threadville"})

    run_in_threads(work, finished_threads)

    assert backend.count(table_name) == WORKERS * RECORDS_PER_WORKER
    assert len({record["id"] for record in backend.records(table_name)}) == WORKERS * RECORDS_PER_WORKER


def test_each_thread_gets_its_own_connection(
    finished_threads: list[threading.Thread], sql_backend: CursorBackend
) -> None:
    """Threads using one Database at the same time are each given a different connection.

    An in-memory SQLite database is the exception: one connection, taken in turn.
    """
    connections: list[Any] = []
    barrier = threading.Barrier(WORKERS)

    def work(index: int) -> None:
        connections.append(sql_backend.database.connection())
        barrier.wait()  # hold every connection until all threads have one

    assert run_in_threads(work, finished_threads) == []
    expected = 1 if sql_backend.database.details.database == ":memory:" else WORKERS
    assert len({id(connection) for connection in connections}) == expected


def is_closed(connection: Any) -> bool:
    """Whether a DB-API connection of any of the three drivers has been closed."""
    if isinstance(connection, sqlite3.Connection):
        try:
            connection.execute("SELECT 1")
        except sqlite3.ProgrammingError:
            return True
        return False
    if isinstance(connection, psycopg.Connection):
        return bool(connection.closed)
    return not connection.open


def test_close_closes_connections_of_finished_threads(sql_backend: CursorBackend) -> None:
    """close() closes the connections opened by threads that have since ended."""
    if sql_backend.database.details.database == ":memory:":
        pytest.skip("an in-memory SQLite database has one shared connection, not one per thread")
    opened: list[Any] = []
    thread = threading.Thread(target=lambda: opened.append(sql_backend.database.connection()))
    thread.start()
    thread.join()
    del thread
    gc.collect()
    try:
        sql_backend.database.close()

        assert is_closed(opened[0])
    finally:
        with contextlib.suppress(Exception):  # pymysql refuses to close twice
            opened[0].close()


# -- the DI names ------------------------------------------------------------------------


def sqlite_dependencies(tmp_path: Path) -> StandardDependencies:
    """StandardDependencies whose environment points DATABASE_URL at a SQLite file in tmp_path."""
    environment = Environment(
        environ={"DATABASE_URL": f"sqlite:///{tmp_path / 'app.db'}"}, env_file=tmp_path / "none"
    )
    return StandardDependencies(bindings={"environment": environment})


def test_cursor_backend_without_a_database_is_not_configured(tmp_path: Path) -> None:
    """Building cursor_backend with no DATABASE_URL or db_host raises DatabaseNotConfiguredError."""
    di = StandardDependencies(bindings={"environment": Environment(environ={}, env_file=tmp_path / "none")})

    with pytest.raises(DatabaseNotConfiguredError, match="set DATABASE_URL"):
        di.build("cursor_backend")


def test_connection_name_is_this_threads_connection(tmp_path: Path) -> None:
    """The ``connection`` dependency is the database's connection for the current thread."""
    di = sqlite_dependencies(tmp_path)
    database = di.build("database")
    try:
        assert di.build("connection") is database.connection()
    finally:
        database.close()


def test_cursor_name_runs_queries(tmp_path: Path) -> None:
    """The ``cursor`` dependency is a working cursor on the configured database."""
    di = sqlite_dependencies(tmp_path)
    try:
        cursor = di.build("cursor")
        cursor.execute("SELECT 40 + 2")

        assert cursor.fetchone() == (42,)
    finally:
        di.build("database").close()


def test_cursor_name_is_new_each_time(tmp_path: Path) -> None:
    """Each request for ``cursor`` gives a cursor of its own."""
    di = sqlite_dependencies(tmp_path)
    try:
        assert di.build("cursor") is not di.build("cursor")
    finally:
        di.build("database").close()


def test_cursor_backend_name_uses_the_configured_database(tmp_path: Path, table_name: str) -> None:
    """The ``cursor_backend`` dependency stores records in the database DATABASE_URL names."""
    di = sqlite_dependencies(tmp_path)
    database = di.build("database")
    try:
        with database.cursor() as cursor:
            cursor.execute(CREATE_TABLE["sqlite"].format(table=table_name))
        di.build("cursor_backend").create(table_name, ADA)

        with sqlite3.connect(tmp_path / "app.db") as observer:
            assert observer.execute(f"SELECT name FROM {table_name}").fetchall() == [("Ada",)]
    finally:
        database.close()
