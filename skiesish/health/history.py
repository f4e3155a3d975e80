"""What each check did over time: its status changes and its latency, kept within bounds.

A :class:`History` is an engine listener (``on_run``): after every run of a
check it keeps a latency sample, and when the reported status changed, the
change with its output. Both are bounded per check by count
(``max_results``) and by age (``max_age``), so that memory (or the file)
stays the same size however often checks run.

By default everything is kept in memory and lost with the process; with a
``path`` it is kept in an SQLite file instead, so that a restart keeps the
past. Only the notifier thread writes; readers (request threads) share the
one connection under a lock, and the file is in WAL mode so that other
processes reading it are not blocked by the writes.

Example:
    >>> history = History(max_results=500, max_age=3600)
    >>> engine = HealthEngine(checks, di, listeners=[history])
    >>> history.read("database").changes
"""

from __future__ import annotations

import collections
import dataclasses
import datetime
import difflib
import os
import sqlite3
import threading
import time
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from ..exceptions import ConfigurationError
from .report import CheckRun

__all__ = [
    "DEFAULT_MAX_AGE",
    "DEFAULT_MAX_RESULTS",
    "CheckHistory",
    "History",
    "HistorySettings",
    "LatencySample",
    "StatusChange",
]

#: How many status changes, and how many latency samples, are kept per check by default.
DEFAULT_MAX_RESULTS = 1_000
#: How long (seconds) a change or a sample is kept by default: one day.
DEFAULT_MAX_AGE = 86_400.0
#: The most entries of each kind a check may keep: beyond this, memory is the user's surprise.
MAX_MAX_RESULTS = 100_000
#: The longest anything may be kept: one year.
MAX_MAX_AGE = 366 * 86_400.0
#: The keys a ``history`` setting may hold.
SETTING_KEYS = ("max_results", "max_age", "path")

_UTC = datetime.timezone.utc


@dataclasses.dataclass(frozen=True)
class StatusChange:
    """A check's reported status changed (its first run counts as one).

    Attributes:
        timestamp: when the run that changed it finished (UTC).
        status: the new status: ``"pass"``, ``"warn"`` or ``"fail"``.
        passed: whether the check was reported passing from then on.
        output: what that run said (already scrubbed and bounded).
    """

    timestamp: datetime.datetime
    status: str
    passed: bool
    output: str


@dataclasses.dataclass(frozen=True)
class LatencySample:
    """How long one run of a check took.

    Attributes:
        timestamp: when the run finished (UTC).
        response_time: seconds the run took (for a timeout, the deadline).
        passed: whether the run itself passed (before any flap damping).
    """

    timestamp: datetime.datetime
    response_time: float
    passed: bool


@dataclasses.dataclass(frozen=True)
class CheckHistory:
    """What is kept of one check, oldest first."""

    name: str
    changes: tuple[StatusChange, ...] = ()
    samples: tuple[LatencySample, ...] = ()


@dataclasses.dataclass(frozen=True)
class HistorySettings:
    """How much history to keep, and where: the HealthCheck handler's ``history`` key.

    Attributes:
        max_results: status changes, and latency samples, kept per check.
        max_age: seconds after which a change or a sample is dropped.
        path: an SQLite file to keep them in across restarts (``None``: memory).
    """

    max_results: int = DEFAULT_MAX_RESULTS
    max_age: float = DEFAULT_MAX_AGE
    path: str | None = None

    def __post_init__(self) -> None:
        object.__setattr__(self, "max_results", _max_results(self.max_results))
        object.__setattr__(self, "max_age", _max_age(self.max_age))
        if self.path is not None:
            object.__setattr__(self, "path", _writable_path(self.path))

    @classmethod
    def from_setting(cls, value: Any) -> HistorySettings | None:
        """Read a ``history`` setting: ``None``/``False`` (off), ``True`` (defaults) or a dict.

        Raises:
            ConfigurationError: naming the key that is wrong and what was expected.
        """
        if value is None or value is False:
            return None
        if value is True:
            return cls()
        if isinstance(value, HistorySettings):
            return value
        if not isinstance(value, Mapping):
            raise ConfigurationError(
                "must be None, True, or a dict of max_results, max_age and path; "
                f"got {type(value).__name__} {value!r:.40}"
            )
        unknown = [str(key) for key in value if key not in SETTING_KEYS]
        if unknown:
            close = difflib.get_close_matches(unknown[0], SETTING_KEYS, n=1)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise ConfigurationError(
                f"unknown key {unknown[0]!r:.40}{hint}; history takes max_results, max_age and path"
            )
        return cls(**value)

    def build(self, clock: Callable[[], float] = time.time) -> History:
        """A :class:`History` with these settings."""
        return History(self.max_results, self.max_age, self.path, clock=clock)


class History:
    """Keep each check's status changes and latency samples, bounded by count and age.

    Args:
        max_results: changes, and samples, kept per check (the oldest go first).
        max_age: seconds after which a change or a sample is dropped.
        path: an SQLite file to keep them in (created if missing); ``None`` keeps them in memory.
        clock: seconds since the epoch, now (tests move it instead of sleeping).

    Raises:
        ConfigurationError: a bound is not a positive number in range, or
            ``path`` cannot be written (its folder is missing or read-only,
            or it is not an SQLite file), naming the key or the path.
    """

    def __init__(
        self,
        max_results: int = DEFAULT_MAX_RESULTS,
        max_age: float = DEFAULT_MAX_AGE,
        path: str | os.PathLike[str] | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.max_results = _max_results(max_results, "History(max_results=...)")
        self.max_age = _max_age(max_age, "History(max_age=...)")
        self.path = None if path is None else _writable_path(path)
        self._clock = clock
        self._lock = threading.Lock()
        self._is_closed = False
        self._store: _MemoryStore | _SQLiteStore = (
            _MemoryStore(self.max_results) if self.path is None else _SQLiteStore(self.path, self.max_results)
        )

    def on_run(self, run: CheckRun) -> None:
        """Keep what ``run`` shows: a latency sample, and the change if the status changed."""
        result = run.result
        at = result.timestamp.timestamp()
        passed = result.passed if result.raw_passed is None else result.raw_passed
        sample = (at, float(result.response_time), passed)
        with self._lock:
            if self._is_closed:
                return  # the engine may deliver its last runs after its handler closed us
            status = result.status
            is_change = run.is_change
            if run.previous is None:  # a first run after a restart continues the kept past
                is_change = self._store.last_status(result.name) != status
            change = (at, status, result.passed, result.output) if is_change else None
            self._store.add(result.name, sample, change, self._clock() - self.max_age)

    def read(self, name: str, limit: int | None = None) -> CheckHistory:
        """What is kept of the check ``name`` (nothing, for a name never seen), oldest first.

        Args:
            name: the check.
            limit: at most this many of the newest changes, and of the newest samples.
        """
        limit = self.max_results if limit is None else max(0, min(limit, self.max_results))
        with self._lock:
            if self._is_closed:
                return CheckHistory(name)
            changes, samples = self._store.read(name, self._clock() - self.max_age, limit)
        return CheckHistory(
            name,
            tuple(
                StatusChange(_moment(at), status, bool(passed), output)
                for at, status, passed, output in changes
            ),
            tuple(LatencySample(_moment(at), seconds, bool(passed)) for at, seconds, passed in samples),
        )

    def read_all(self, names: Iterable[str], limit: int | None = None) -> dict[str, CheckHistory]:
        """:meth:`read` for each of ``names``, in their order."""
        return {name: self.read(name, limit) for name in names}

    def close(self) -> None:
        """Stop keeping anything and close the file, if any; later runs are ignored."""
        with self._lock:
            if not self._is_closed:
                self._is_closed = True
                self._store.close()


# -- where it is kept ------------------------------------------------------------------------

#: A latency sample as stored: (epoch seconds, response time, the run's own outcome).
_Sample = tuple[float, float, bool]
#: A status change as stored: (epoch seconds, status, reported passing, output).
_Change = tuple[float, str, bool, str]


class _MemoryStore:
    """Per check, two deques capped at ``max_results``; the caller holds the History's lock."""

    def __init__(self, max_results: int) -> None:
        self.max_results = max_results
        self._samples: dict[str, collections.deque[_Sample]] = {}
        self._changes: dict[str, collections.deque[_Change]] = {}

    def last_status(self, name: str) -> str | None:
        changes = self._changes.get(name)
        return changes[-1][1] if changes else None

    def add(self, name: str, sample: _Sample, change: _Change | None, cutoff: float) -> None:
        samples = self._samples.get(name)
        if samples is None:
            samples = self._samples[name] = collections.deque(maxlen=self.max_results)
            self._changes[name] = collections.deque(maxlen=self.max_results)
        samples.append(sample)
        changes = self._changes[name]
        if change is not None:
            changes.append(change)
        for entries in (samples, changes):
            while entries and entries[0][0] < cutoff:
                entries.popleft()

    def read(self, name: str, cutoff: float, limit: int) -> tuple[list[_Change], list[_Sample]]:
        return (
            _newest(self._changes.get(name, ()), cutoff, limit),
            _newest(self._samples.get(name, ()), cutoff, limit),
        )

    def close(self) -> None:
        self._samples.clear()
        self._changes.clear()


def _newest(entries: Iterable[Any], cutoff: float, limit: int) -> list[Any]:
    """The last ``limit`` of ``entries`` (oldest first) not older than ``cutoff``."""
    kept = [entry for entry in entries if entry[0] >= cutoff]
    return kept[len(kept) - limit :] if limit else []


_SCHEMA = """
CREATE TABLE IF NOT EXISTS skiesish_history_samples (
    id INTEGER PRIMARY KEY, check_name TEXT NOT NULL, at REAL NOT NULL,
    response_time REAL NOT NULL, passed INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS skiesish_history_samples_by_check ON skiesish_history_samples (check_name, id);
CREATE TABLE IF NOT EXISTS skiesish_history_changes (
    id INTEGER PRIMARY KEY, check_name TEXT NOT NULL, at REAL NOT NULL,
    status TEXT NOT NULL, passed INTEGER NOT NULL, output TEXT NOT NULL);
CREATE INDEX IF NOT EXISTS skiesish_history_changes_by_check ON skiesish_history_changes (check_name, id);
"""
_TABLES = ("skiesish_history_samples", "skiesish_history_changes")


class _SQLiteStore:
    """Two tables in an SQLite file; the caller holds the History's lock around every call.

    Pruning is amortized: a check's rows are cut back to ``max_results`` (and
    by age) once every tenth of that many writes, so the file holds at most
    about 10% more than is kept, and every read applies both bounds exactly.
    """

    def __init__(self, path: str, max_results: int) -> None:
        self.path = path
        self.max_results = max_results
        self._prune_every = max(1, max_results // 10)
        #: Check name -> writes since its rows were last pruned (a new name is pruned on its first write).
        self._writes: dict[str, int] = {}
        try:
            self._connection = sqlite3.connect(
                path, timeout=5.0, isolation_level=None, check_same_thread=False
            )
            self._connection.execute("PRAGMA journal_mode=WAL")
            self._connection.execute("PRAGMA synchronous=NORMAL")
            self._connection.executescript(_SCHEMA)
        except sqlite3.Error as error:
            raise ConfigurationError(
                f"history path {path!r} cannot be used as an SQLite file: {error}"
            ) from None

    def last_status(self, name: str) -> str | None:
        row = self._connection.execute(
            "SELECT status FROM skiesish_history_changes WHERE check_name = ? ORDER BY id DESC LIMIT 1",
            (name,),
        ).fetchone()
        return None if row is None else str(row[0])

    def add(self, name: str, sample: _Sample, change: _Change | None, cutoff: float) -> None:
        connection = self._connection
        connection.execute("BEGIN IMMEDIATE")
        try:
            connection.execute(
                "INSERT INTO skiesish_history_samples (check_name, at, response_time, passed) "
                "VALUES (?, ?, ?, ?)",
                (name, *sample),
            )
            if change is not None:
                connection.execute(
                    "INSERT INTO skiesish_history_changes (check_name, at, status, passed, output) "
                    "VALUES (?, ?, ?, ?, ?)",
                    (name, *change),
                )
            writes = self._writes.get(name, self._prune_every)
            if writes >= self._prune_every:
                self._prune(name, cutoff)
                writes = 0
            self._writes[name] = writes + 1
        except BaseException:
            connection.execute("ROLLBACK")
            raise
        connection.execute("COMMIT")

    def _prune(self, name: str, cutoff: float) -> None:
        """Drop ``name``'s rows older than ``cutoff`` and beyond the newest ``max_results``."""
        for table in _TABLES:
            self._connection.execute(
                f"DELETE FROM {table} WHERE check_name = ?1 AND (at < ?2 OR id <= coalesce("
                f"(SELECT id FROM {table} WHERE check_name = ?1 ORDER BY id DESC LIMIT 1 OFFSET ?3), -1))",
                (name, cutoff, self.max_results),
            )

    def read(self, name: str, cutoff: float, limit: int) -> tuple[list[_Change], list[_Sample]]:
        changes = self._connection.execute(
            "SELECT at, status, passed, output FROM skiesish_history_changes "
            "WHERE check_name = ? AND at >= ? ORDER BY id DESC LIMIT ?",
            (name, cutoff, limit),
        ).fetchall()
        samples = self._connection.execute(
            "SELECT at, response_time, passed FROM skiesish_history_samples "
            "WHERE check_name = ? AND at >= ? ORDER BY id DESC LIMIT ?",
            (name, cutoff, limit),
        ).fetchall()
        return changes[::-1], samples[::-1]

    def close(self) -> None:
        self._connection.close()


# -- checking the settings -------------------------------------------------------------------


def _max_results(value: Any, key: str = "max_results") -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MAX_RESULTS:
        raise ConfigurationError(
            f"{key} must be a whole number from 1 to {MAX_MAX_RESULTS:,}, "
            f"got {type(value).__name__} {value!r:.40}"
        )
    return value


def _max_age(value: Any, key: str = "max_age") -> float:
    is_number = isinstance(value, (int, float)) and not isinstance(value, bool)
    if not is_number or not 0 < value <= MAX_MAX_AGE:  # nan and inf fail the comparison too
        raise ConfigurationError(
            f"{key} must be a number of seconds greater than 0 and at most {MAX_MAX_AGE:,.0f} (366 days), "
            f"got {type(value).__name__} {value!r:.40}"
        )
    return float(value)


def _writable_path(path: Any) -> str:
    """``path`` as a string, once its folder is known to exist and be writable (nothing is created)."""
    if not isinstance(path, (str, os.PathLike)) or not os.fspath(path):
        raise ConfigurationError(
            f"history path must be a file name (str or path), got {type(path).__name__} {path!r:.60}"
        )
    text = os.fspath(path)
    if not isinstance(text, str):
        raise ConfigurationError(f"history path must be text, not bytes, got {text!r:.60}")
    folder = os.path.dirname(os.path.abspath(text))
    if os.path.isdir(text):
        raise ConfigurationError(f"history path {text!r} is a folder; name a file in it")
    if not os.path.isdir(folder):
        raise ConfigurationError(f"history path {text!r}: its folder {folder!r} does not exist")
    if not os.access(folder, os.W_OK | os.X_OK):
        # SQLite writes its journal files next to the file: the folder must be writable too.
        raise ConfigurationError(f"history path {text!r}: its folder {folder!r} is not writable")
    if os.path.exists(text) and not os.access(text, os.W_OK):
        raise ConfigurationError(f"history path {text!r} is not writable")
    return text


def _moment(at: float) -> datetime.datetime:
    return datetime.datetime.fromtimestamp(at, _UTC)
