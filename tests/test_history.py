"""Per-check history: status changes and latency kept by count and age, in memory or SQLite, and ?history."""

from __future__ import annotations

import datetime
import gc
import math
import os
import sqlite3
import stat
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

import skiesish
from skiesish import Check, ConfigurationError
from skiesish.di import DI
from skiesish.handlers import HealthCheck
from skiesish.handlers.health_check import HISTORY_ANSWER_LIMIT
from skiesish.health import CheckResult, CheckRun, HealthEngine
from skiesish.health import history as history_module
from skiesish.health.history import History, HistorySettings

NO_CACHE = {"success_ttl": None, "failed_ttl": None}
START = 1_800_000_000.0  # a fixed moment (2027) the fabricated runs count from


class Scripted:
    """A check that passes or fails as ``outcomes`` says, one per run, then as the last one."""

    def __init__(self, *outcomes: bool) -> None:
        self.outcomes = list(outcomes)
        self.runs = 0

    def __call__(self) -> tuple[bool, str]:
        outcome = self.outcomes[min(self.runs, len(self.outcomes) - 1)]
        self.runs += 1
        return outcome, "reachable" if outcome else "refused on port 5432"


class Feeder:
    """Hands a History made-up runs of one check, as the engine would, at moments the test picks."""

    def __init__(self, history: History, name: str = "db") -> None:
        self.history = history
        self.name = name
        self.previous: CheckResult | None = None

    def run(self, passed: bool, at: float, output: str = "", response_time: float = 0.01) -> None:
        moment = datetime.datetime.fromtimestamp(at, datetime.timezone.utc)
        result = CheckResult(self.name, passed, output, response_time, moment)
        self.history.on_run(CheckRun(result, self.previous))
        self.previous = result


@pytest.fixture
def clock() -> list[float]:
    """The history's clock (epoch seconds), moved by hand: ``clock[0] += seconds``."""
    return [START]


@pytest.fixture(params=["memory", "sqlite"])
def make_history(
    request: pytest.FixtureRequest, tmp_path: Path, clock: list[float]
) -> Iterator[Callable[..., History]]:
    """``make_history(**settings)``: a History in memory or in an SQLite file, on the test's clock."""
    made: list[History] = []

    def make(**settings: Any) -> History:
        path = tmp_path / "history.sqlite3" if request.param == "sqlite" else None
        history = History(path=path, clock=lambda: clock[0], **settings)
        made.append(history)
        return history

    yield make
    for history in made:
        history.close()


def engine_with(history: History, *checks: Check, **settings: Any) -> HealthEngine:
    """A HealthEngine with no cache (unless told otherwise) that tells ``history`` of its runs."""
    return HealthEngine(list(checks), DI(), **{**NO_CACHE, **settings}, listeners=[history])


def statuses(history: History, name: str = "db") -> list[str]:
    """The statuses of the changes kept for ``name``, oldest first."""
    return [change.status for change in history.read(name).changes]


# -- what is recorded ------------------------------------------------------------------------


def test_a_fail_pass_sequence_records_each_status_change_with_its_output() -> None:
    """Runs fail, fail, pass, pass, fail, pass: four changes, each with the output of its run."""
    history = History()
    engine = engine_with(history, Check(Scripted(False, False, True, True, False, True), name="db"))
    for _ in range(6):
        engine.evaluate()
    assert engine.wait_notified(10)
    changes = history.read("db").changes
    assert [(change.status, change.passed, change.output) for change in changes] == [
        ("fail", False, "refused on port 5432"),
        ("pass", True, "reachable"),
        ("fail", False, "refused on port 5432"),
        ("pass", True, "reachable"),
    ]
    moments = [change.timestamp for change in changes]
    assert moments == sorted(moments)
    assert all(moment.tzinfo == datetime.timezone.utc for moment in moments)


def test_every_run_is_a_latency_sample_with_its_own_outcome() -> None:
    """Six runs give six samples, in order, each with the run's response time and outcome."""
    history = History()
    engine = engine_with(history, Check(Scripted(False, False, True, True, False, True), name="db"))
    results = [engine.evaluate().results[0] for _ in range(6)]
    assert engine.wait_notified(10)
    samples = history.read("db").samples
    assert [sample.passed for sample in samples] == [False, False, True, True, False, True]
    assert [sample.response_time for sample in samples] == [result.response_time for result in results]


def test_damped_runs_record_the_reported_status_and_sample_the_runs_own_outcome() -> None:
    """With failure_threshold=2 a lone failure is no change, yet its sample says it failed."""
    history = History()
    engine = engine_with(
        history, Check(Scripted(True, False, True, False, False), name="db"), failure_threshold=2
    )
    for _ in range(5):
        engine.evaluate()
    assert engine.wait_notified(10)
    assert statuses(history) == ["pass", "fail"]
    assert [sample.passed for sample in history.read("db").samples] == [True, False, True, False, False]


def test_a_non_critical_failure_is_recorded_as_warn() -> None:
    """A failing non-critical check changes to "warn", not "fail"."""
    history = History()
    engine = engine_with(history, Check(Scripted(True, False), name="db", critical=False))
    engine.evaluate()
    engine.evaluate()
    assert engine.wait_notified(10)
    assert statuses(history) == ["pass", "warn"]


def test_cached_results_are_not_runs_and_add_nothing() -> None:
    """Five probes within the success TTL are one run: one sample, one change."""
    history = History()
    engine = engine_with(history, Check(Scripted(True), name="db"), success_ttl=60)
    for _ in range(5):
        engine.evaluate()
    assert engine.wait_notified(10)
    kept = history.read("db")
    assert (len(kept.changes), len(kept.samples)) == (1, 1)


def test_a_check_never_seen_has_an_empty_history() -> None:
    """Reading a name nothing was kept for gives no changes and no samples."""
    kept = History().read("nothing")
    assert (kept.name, kept.changes, kept.samples) == ("nothing", (), ())


# -- retention -------------------------------------------------------------------------------


def test_retention_by_count_keeps_the_newest(make_history: Callable[..., History]) -> None:
    """With max_results=3, ten alternating runs leave the three newest changes and samples."""
    history = make_history(max_results=3)
    feeder = Feeder(history)
    for index in range(10):
        feeder.run(index % 2 == 0, START + index, output=f"run {index}")
    kept = history.read("db")
    assert [change.output for change in kept.changes] == ["run 7", "run 8", "run 9"]
    assert [sample.timestamp.timestamp() for sample in kept.samples] == [START + 7, START + 8, START + 9]


def test_retention_by_age_drops_what_is_older_than_max_age(
    make_history: Callable[..., History], clock: list[float]
) -> None:
    """Past max_age (60 s) a change and its samples are gone; a later run is all that is kept."""
    history = make_history(max_age=60)
    feeder = Feeder(history)
    feeder.run(False, START, output="refused")
    feeder.run(False, START + 30)
    clock[0] = START + 75  # the first run is 75 s old, the second 45 s
    kept = history.read("db")
    assert [sample.timestamp.timestamp() for sample in kept.samples] == [START + 30]
    assert kept.changes == ()
    clock[0] = START + 200
    feeder.run(True, START + 200, output="back")
    kept = history.read("db")
    assert [(change.status, change.output) for change in kept.changes] == [("pass", "back")]
    assert len(kept.samples) == 1


def test_age_pruning_on_write_frees_the_memory_it_held(clock: list[float]) -> None:
    """In memory, a run past max_age drops the old entries themselves, not only from what is read."""
    history = History(max_age=10, clock=lambda: clock[0])
    feeder = Feeder(history)
    for index in range(50):
        feeder.run(index % 2 == 0, START + index * 0.1)
    clock[0] = START + 100
    feeder.run(True, START + 100)
    store = history._store
    assert isinstance(store, history_module._MemoryStore)
    assert (len(store._samples["db"]), len(store._changes["db"])) == (1, 1)


def test_a_read_limit_gives_the_newest(make_history: Callable[..., History]) -> None:
    """read(name, limit=2) answers the two newest changes and samples."""
    history = make_history()
    feeder = Feeder(history)
    for index in range(6):
        feeder.run(index % 2 == 1, START + index)
    kept = history.read("db", limit=2)
    assert [change.status for change in kept.changes] == ["fail", "pass"]
    assert [sample.timestamp.timestamp() for sample in kept.samples] == [START + 4, START + 5]


def test_checks_are_kept_apart(make_history: Callable[..., History]) -> None:
    """The runs of one check never appear in, nor push out, another's history."""
    history = make_history(max_results=2)
    database, cache = Feeder(history, "database"), Feeder(history, "cache")
    database.run(False, START, output="refused")
    for index in range(5):
        cache.run(True, START + index)
    assert [change.output for change in history.read("database").changes] == ["refused"]
    assert len(history.read("cache").samples) == 2


# -- SQLite ----------------------------------------------------------------------------------


def test_sqlite_history_survives_a_restart(tmp_path: Path) -> None:
    """A new History on the same file reads what the first one kept."""
    path = tmp_path / "history.sqlite3"
    first = History(path=path)
    engine = engine_with(first, Check(Scripted(False, True), name="db"))
    engine.evaluate()
    engine.evaluate()
    assert engine.wait_notified(10)
    engine.close()
    before = first.read("db")
    first.close()
    second = History(path=path)
    after = second.read("db")
    second.close()
    assert [change.status for change in after.changes] == ["fail", "pass"]
    assert after == before


def test_after_a_restart_a_first_run_with_the_same_status_is_no_change(tmp_path: Path) -> None:
    """The first run after a restart continues the kept past: same status, no new change; other, one."""
    path = tmp_path / "history.sqlite3"
    before = History(path=path)
    Feeder(before).run(True, START, output="reachable")
    before.close()
    after = History(path=path)
    Feeder(after).run(True, START + 1, output="reachable")
    assert statuses(after) == ["pass"]
    restarted = Feeder(after)  # an engine restarted once more, whose first run fails
    restarted.run(False, START + 2, output="refused")
    assert statuses(after) == ["pass", "fail"]
    after.close()


def test_sqlite_file_stays_bounded_by_pruning_on_write(tmp_path: Path) -> None:
    """2,000 runs with max_results=100 leave at most about 110 rows per table in the file."""
    path = tmp_path / "history.sqlite3"
    history = History(max_results=100, path=path)
    feeder = Feeder(history)
    for index in range(2_000):
        feeder.run(index % 2 == 0, START + index)
    history.close()
    with sqlite3.connect(path) as connection:
        samples = connection.execute("SELECT count(*) FROM skiesish_history_samples").fetchone()[0]
        changes = connection.execute("SELECT count(*) FROM skiesish_history_changes").fetchone()[0]
        mode = connection.execute("PRAGMA journal_mode").fetchone()[0]
    connection.close()
    assert 100 <= samples <= 110
    assert 100 <= changes <= 110
    assert mode == "wal"


def test_a_closed_history_ignores_later_runs(tmp_path: Path) -> None:
    """Runs the engine delivers after its handler closed the history are dropped, not errors."""
    history = History(path=tmp_path / "history.sqlite3")
    history.close()
    Feeder(history).run(True, START)
    assert history.read("db").samples == ()


# -- memory ----------------------------------------------------------------------------------


def resident_bytes() -> int:
    """This process's resident set size, from /proc/self/statm."""
    with open("/proc/self/statm") as statm:
        return int(statm.read().split()[1]) * os.sysconf("SC_PAGE_SIZE")


@pytest.mark.skipif(not os.path.exists("/proc/self/statm"), reason="needs Linux's /proc/self/statm")
def test_100000_results_in_memory_grow_resident_memory_by_at_most_5_mb() -> None:
    """100,000 runs of 4 flapping checks, each output new text, grow RSS by no more than 5 MB."""
    history = History()  # the defaults: 1,000 changes and 1,000 samples per check
    feeders = [Feeder(history, f"check-{number}") for number in range(4)]
    gc.collect()
    before = resident_bytes()
    for index in range(100_000):
        feeders[index % 4].run(
            index % 8 < 4, START + index, output=f"run {index} answered with code {index % 97}"
        )
    gc.collect()
    grown = resident_bytes() - before
    kept = history.read_all([feeder.name for feeder in feeders])
    assert all(len(item.changes) == len(item.samples) == 1_000 for item in kept.values())
    assert grown <= 5 * 1024 * 1024, f"resident memory grew by {grown / 1024 / 1024:.1f} MB"


# -- settings --------------------------------------------------------------------------------


def health_check(history: Any, **config: Any) -> skiesish.Application:
    """A HealthCheck application with one passing check and ``history``."""
    return skiesish.Application(HealthCheck, {"checks": {"db": lambda: True}, "history": history, **config})


@pytest.mark.parametrize(
    ("setting", "message"),
    [
        ({"max_results": 0}, r"'history': max_results must be a whole number from 1 to 100,000, got int 0"),
        ({"max_results": -5}, r"'history': max_results must be .*got int -5"),
        ({"max_results": True}, r"'history': max_results must be .*got bool True"),
        ({"max_results": 2.5}, r"'history': max_results must be .*got float 2.5"),
        ({"max_results": 10**6}, r"'history': max_results must be .*got int 1000000"),
        ({"max_age": 0}, r"'history': max_age must be a number of seconds greater than 0 .*got int 0"),
        ({"max_age": -60}, r"'history': max_age must be .*got int -60"),
        ({"max_age": math.nan}, r"'history': max_age must be .*got float nan"),
        ({"max_age": math.inf}, r"'history': max_age must be .*got float inf"),
        ({"max_age": "1d"}, r"'history': max_age must be .*got str '1d'"),
        ({"max_result": 5}, r"unknown key 'max_result' \(did you mean 'max_results'\?\)"),
        ("yes", r"'history': must be None, True, or a dict .*got str 'yes'"),
        ({"path": 42}, r"'history': history path must be a file name .*got int 42"),
    ],
)
def test_bad_history_settings_fail_at_build_time_naming_the_key(setting: Any, message: str) -> None:
    """Zero, negative, non-numeric or unknown retention settings are refused when the app is built."""
    with pytest.raises(ConfigurationError, match=message):
        health_check(setting)


def test_history_arguments_are_checked_when_built_directly() -> None:
    """History(max_results=0) names its argument."""
    with pytest.raises(ConfigurationError, match=r"History\(max_results=...\) must be a whole number"):
        History(max_results=0)
    with pytest.raises(ConfigurationError, match=r"History\(max_age=...\) must be a number of seconds"):
        History(max_age=-1)


def test_a_path_in_a_missing_folder_fails_naming_the_path(tmp_path: Path) -> None:
    """A history path whose folder does not exist is refused at build time, path and folder named."""
    path = tmp_path / "missing" / "history.sqlite3"
    with pytest.raises(
        ConfigurationError, match=rf"history path '{path}': its folder '.*missing' does not exist"
    ):
        health_check({"path": str(path)})


def test_a_path_that_is_a_folder_fails_naming_the_path(tmp_path: Path) -> None:
    """A folder is not a history file."""
    with pytest.raises(ConfigurationError, match=rf"history path '{tmp_path}' is a folder"):
        health_check({"path": str(tmp_path)})


def test_a_path_in_a_read_only_folder_fails_naming_the_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A folder the process may not write to is refused at build time (SQLite needs it for its journal)."""
    folder = tmp_path / "read-only"
    folder.mkdir()
    folder.chmod(stat.S_IRUSR | stat.S_IXUSR)
    if os.access(folder, os.W_OK):  # root ignores the permission bits: answer as they say
        real_access = os.access
        monkeypatch.setattr(
            history_module.os,
            "access",
            lambda path, mode: (not mode & os.W_OK) if Path(path) == folder else real_access(path, mode),
        )
    path = folder / "history.sqlite3"
    try:
        with pytest.raises(
            ConfigurationError, match=rf"history path '{path}': its folder .* is not writable"
        ):
            health_check({"path": str(path)})
    finally:
        folder.chmod(stat.S_IRWXU)


def test_a_file_that_is_not_sqlite_fails_when_the_handler_is_built(tmp_path: Path) -> None:
    """A path naming some other file fails at build time (the context), naming the path."""
    path = tmp_path / "notes.txt"
    path.write_text("not a database, only words " * 100)
    application = health_check({"path": str(path)})
    with pytest.raises(ConfigurationError, match=rf"history path '{path}' cannot be used as an SQLite file"):
        skiesish.contexts.test(application)


@pytest.mark.parametrize(
    ("setting", "expected"),
    [
        (None, None),
        (False, None),
        (True, HistorySettings()),
        ({"max_results": 50}, HistorySettings(max_results=50)),
        ({"max_age": 3600, "max_results": 10}, HistorySettings(max_results=10, max_age=3600.0)),
    ],
)
def test_good_history_settings_are_read(setting: Any, expected: HistorySettings | None) -> None:
    """None and False switch history off; True takes the defaults; a dict overrides them."""
    assert HealthCheck.validate_config({"history": setting}).history == expected  # type: ignore[attr-defined]


# -- the HealthCheck handler and ?history ----------------------------------------------------

TOKEN = "history-reader-7"


def history_context(details: str = "always", checks: Any = None, **history: Any) -> Any:
    """A test context of a HealthCheck keeping history, with its checks run once."""
    config: dict[str, Any] = {
        "checks": checks or {"db": Scripted(False, True), "cache": Scripted(True)},
        "details": details,
        "history": history or True,
        **NO_CACHE,
        **({"details_token": TOKEN} if details == "authorized" else {}),
    }
    context = skiesish.contexts.test(skiesish.Application(HealthCheck, config))
    context()
    context()
    assert context.handler.engine.wait_notified(10)
    return context


def test_history_answers_the_changes_and_latency_of_every_check() -> None:
    """?history is the success envelope holding, per check, its changes and latency samples."""
    context = history_context()
    body, status, headers = context(url="/?history")
    assert status == 200
    assert headers["Content-Type"] == "application/json; charset=utf-8"
    assert set(body) == {"status", "error", "data", "pagination", "input_errors"}
    assert body["status"] == "success"
    data = body["data"]
    assert set(data) == {"checks", "max_results", "max_age"}
    assert (data["max_results"], data["max_age"]) == (1000, 86400.0)
    assert list(data["checks"]) == ["db", "cache"]
    database = data["checks"]["db"]
    assert set(database) == {"changes", "latency"}
    assert [(change["status"], change["passed"], change["output"]) for change in database["changes"]] == [
        ("fail", False, "refused on port 5432"),
        ("pass", True, "reachable"),
    ]
    assert all(set(change) == {"timestamp", "status", "passed", "output"} for change in database["changes"])
    assert [sample["passed"] for sample in database["latency"]] == [False, True]
    for sample in database["latency"]:
        assert set(sample) == {"timestamp", "response_time", "passed"}
        assert isinstance(sample["response_time"], float)
        assert datetime.datetime.fromisoformat(sample["timestamp"]).tzinfo is not None
    context.close()


def test_history_of_one_check() -> None:
    """?history&check=cache answers that check alone."""
    context = history_context()
    body, status, _ = context(url="/?history&check=cache")
    assert status == 200
    assert list(body["data"]["checks"]) == ["cache"]
    context.close()


def test_history_of_an_unknown_check_is_a_400() -> None:
    """?history&check=nope is refused like ?check=nope, naming the known checks."""
    context = history_context()
    body, status, _ = context(url="/?history&check=nope")
    assert status == 400
    assert body["error"] == "unknown check 'nope'; known checks: db, cache"
    context.close()


def test_history_runs_no_check() -> None:
    """Asking for the history reads what is kept; it runs nothing."""
    context = history_context()
    runs = context.handler.engine.run_count("db")
    context(url="/?history")
    assert context.handler.engine.run_count("db") == runs
    context.close()


def test_history_answers_are_bounded() -> None:
    """However much is kept, one answer holds at most HISTORY_ANSWER_LIMIT changes and samples per check."""
    context = history_context(max_results=1000)
    feeder = Feeder(context.handler.history, "db")
    for index in range(HISTORY_ANSWER_LIMIT + 50):
        feeder.run(index % 2 == 0, datetime.datetime.now(datetime.timezone.utc).timestamp(), f"run {index}")
    checks = context(url="/?history")[0]["data"]["checks"]
    assert len(checks["db"]["changes"]) == HISTORY_ANSWER_LIMIT
    assert len(checks["db"]["latency"]) == HISTORY_ANSWER_LIMIT
    assert checks["db"]["changes"][-1]["output"] == f"run {HISTORY_ANSWER_LIMIT + 49}"
    context.close()


def test_history_is_refused_when_details_are_never_shown() -> None:
    """With details "never", ?history is a 403 for everyone, and the body holds no check's name."""
    context = history_context(details="never")
    body, status, _ = context(url="/?history")
    assert status == 403
    assert body["status"] == "client_error"
    assert body["data"] == []
    assert "db" not in str(body)
    body, status, _ = context(url="/?history", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 403
    context.close()


def test_history_needs_the_token_when_details_are_authorized() -> None:
    """With details "authorized": 401 and WWW-Authenticate anonymous, 403 with a wrong token, 200 with it."""
    context = history_context(details="authorized")
    body, status, headers = context(url="/?history")
    assert (status, headers["WWW-Authenticate"]) == (401, "Bearer")
    assert "db" not in str(body)
    _, status, _ = context(url="/?history", headers={"Authorization": "Bearer wrong"})
    assert status == 403
    body, status, _ = context(url="/?history", headers={"Authorization": f"Bearer {TOKEN}"})
    assert status == 200
    assert list(body["data"]["checks"]) == ["db", "cache"]
    context.close()


def test_history_without_the_history_key_is_a_404() -> None:
    """A HealthCheck that keeps no history answers ?history with a 404 saying how to turn it on."""
    context = skiesish.contexts.test(skiesish.Application(HealthCheck, {"details": "always"}))
    body, status, _ = context(url="/?history")
    assert status == 404
    assert "set 'history'" in body["error"]
    context.close()


def test_plain_probes_are_unchanged_with_history_on() -> None:
    """The default envelope answer, byte for byte, whatever history keeps."""
    context = skiesish.contexts.test(
        skiesish.Application(HealthCheck, {"checks": {"db": lambda: True}, "history": True})
    )
    body, status, _ = context()
    assert (body, status) == (
        {"status": "success", "error": "", "data": {}, "pagination": {}, "input_errors": {}},
        200,
    )
    context.close()


def test_history_with_a_path_is_kept_in_that_file(tmp_path: Path) -> None:
    """history {"path": ...} writes to that SQLite file, which a new History reads once the handler closed."""
    path = tmp_path / "health.sqlite3"
    context = history_context(path=str(path))
    context.close()
    reopened = History(path=path)
    assert [change.status for change in reopened.read("db").changes] == ["fail", "pass"]
    reopened.close()


def test_history_with_details_never_is_logged_at_build_time(caplog: pytest.LogCaptureFixture) -> None:
    """Keeping a history nobody may see is allowed, and said once when the handler is built."""
    with caplog.at_level("WARNING", logger="skiesish"):
        context = skiesish.contexts.test(health_check(True))
    assert "history is kept but details are 'never'" in caplog.text
    context.close()
