"""The container every context uses unless given another: the standard names."""

from __future__ import annotations

import datetime
import logging
import types
from typing import TYPE_CHECKING, Any

from ..backends import ConnectionDetails, CursorBackend, Database, MemoryBackend
from ..environment import Environment
from ..service_state import ServiceState
from .di import DI
from .scope import current_input_output

if TYPE_CHECKING:
    from ..input_outputs import InputOutput


class StandardDependencies(DI):
    """A :class:`DI` that provides the names applications usually need.

    ``environment`` (``os.environ`` plus ``.env``), ``now`` (local, aware),
    ``utcnow`` (UTC, aware), ``logging`` (the module), ``memory_backend``,
    ``cursor_backend``, ``database`` (per-thread connections),
    ``connection`` (this thread's DB-API connection), ``connection_details``,
    ``cursor`` (a new cursor on that connection), ``service_state`` (the
    readiness switch) and, while a request is handled, ``input_output``.
    """

    uncached_names = frozenset({"now", "utcnow", "connection", "cursor", "input_output"})

    def provide_environment(self) -> Environment:
        return Environment()

    def provide_now(self) -> datetime.datetime:
        return datetime.datetime.now().astimezone()

    def provide_utcnow(self) -> datetime.datetime:
        return datetime.datetime.now(datetime.timezone.utc)

    def provide_logging(self) -> types.ModuleType:
        return logging

    def provide_memory_backend(self) -> MemoryBackend:
        return MemoryBackend()

    def provide_connection_details(self, environment: Environment) -> ConnectionDetails:
        return ConnectionDetails.from_environment(environment)

    def provide_database(self, connection_details: ConnectionDetails) -> Database:
        return Database(connection_details)

    def provide_connection(self, database: Database) -> Any:
        return database.connection()

    def provide_cursor(self, connection: Any) -> Any:
        return connection.cursor()

    def provide_cursor_backend(self, database: Database) -> CursorBackend:
        return CursorBackend(database)

    def provide_service_state(self) -> ServiceState:
        return ServiceState()

    def provide_input_output(self) -> InputOutput:
        return current_input_output()
