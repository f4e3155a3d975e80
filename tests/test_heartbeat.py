"""skiesish.Heartbeat: beating, reading the age, surviving deletion and threads, and its ready-made check."""

from __future__ import annotations

import contextlib
import os
import threading
import time

import pytest

import skiesish
from skiesish.di import DI
from skiesish.exceptions import ConfigurationError
from skiesish.health import CheckResult, HealthEngine
from skiesish.heartbeat import DEFAULT_MAX_AGE, beat_age


def age_file(path, seconds: float) -> None:
    """Set the modification time of ``path`` to ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


@pytest.fixture
def heartbeat(tmp_path):
    """A Heartbeat on a file that does not exist yet."""
    with skiesish.Heartbeat(tmp_path / "worker.beat") as beating:
        yield beating


def test_no_beat_has_no_age(heartbeat):
    """Before the first beat there is no file: no age, not fresh, and making the Heartbeat created nothing."""
    assert (heartbeat.age(), heartbeat.is_fresh(60)) == (None, False)
    assert not os.path.exists(heartbeat.path)


def test_a_beat_creates_the_file_and_is_fresh(heartbeat):
    """The first beat creates the file; its age is about zero."""
    heartbeat.beat()
    age = heartbeat.age()
    assert age is not None
    assert 0 <= age < DEFAULT_MAX_AGE
    assert heartbeat.is_fresh(DEFAULT_MAX_AGE)


def test_an_old_beat_is_stale_and_a_new_one_is_fresh_again(heartbeat):
    """A beat older than max_age is stale; the next beat makes it fresh."""
    heartbeat.beat()
    age_file(heartbeat.path, 120)
    assert heartbeat.age() >= 120
    assert not heartbeat.is_fresh(60)
    heartbeat.beat()
    assert heartbeat.is_fresh(60)


def test_a_deleted_file_is_created_again_by_the_next_beat(heartbeat):
    """Deleting the file makes the age None until the next beat, which recreates it."""
    heartbeat.beat()
    os.unlink(heartbeat.path)
    assert heartbeat.age() is None
    heartbeat.beat()
    assert heartbeat.is_fresh(60)


def test_a_replaced_file_is_the_one_beaten(heartbeat, tmp_path):
    """A file moved over the path (log rotation, a deploy) is the one the next beat touches."""
    heartbeat.beat()
    other = tmp_path / "other"
    other.write_text("")
    age_file(other, 300)
    os.replace(other, heartbeat.path)
    assert not heartbeat.is_fresh(60)
    heartbeat.beat()
    assert heartbeat.is_fresh(60)


def test_many_threads_beat_at_once_while_the_file_is_deleted(heartbeat):
    """Threads beating together, with the file deleted under them, never raise and leave a fresh file."""
    errors: list[BaseException] = []
    stop = threading.Event()

    def beat_many() -> None:
        try:
            for _ in range(2000):
                heartbeat.beat()
        except BaseException as error:  # noqa: BLE001 - collected for the assertion below
            errors.append(error)

    def delete_often() -> None:
        while not stop.is_set():
            with contextlib.suppress(FileNotFoundError):
                os.unlink(heartbeat.path)

    deleter = threading.Thread(target=delete_often)
    threads = [threading.Thread(target=beat_many) for _ in range(8)]
    deleter.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    stop.set()
    deleter.join()
    heartbeat.beat()
    assert errors == []
    assert heartbeat.is_fresh(60)


def test_a_beat_where_no_file_can_be_made_raises(tmp_path):
    """A beat into a folder that does not exist raises the OSError that says so."""
    heartbeat = skiesish.Heartbeat(tmp_path / "missing" / "worker.beat")
    with pytest.raises(FileNotFoundError):
        heartbeat.beat()


def test_a_closed_heartbeat_refuses_to_beat_but_still_reads(heartbeat):
    """After close(), beat() raises ValueError naming the file; age() still works; closing again is fine."""
    heartbeat.beat()
    heartbeat.close()
    heartbeat.close()
    with pytest.raises(ValueError, match=r"beat\(\) on a closed Heartbeat\(.*worker.beat'\)"):
        heartbeat.beat()
    assert heartbeat.is_fresh(60)


def test_a_beat_in_the_future_reads_as_just_now(heartbeat):
    """A modification time ahead of the clock (the clock was set back) reads as age 0, not negative."""
    heartbeat.beat()
    age_file(heartbeat.path, -30)
    assert heartbeat.age() == 0.0


def test_another_process_reads_the_same_age(heartbeat, tmp_path):
    """Reading needs only the path: a Heartbeat made elsewhere on the same file sees the same beat."""
    heartbeat.beat()
    assert skiesish.Heartbeat(str(heartbeat.path)).is_fresh(5)
    assert beat_age(str(tmp_path / "nothing")) is None


@pytest.mark.parametrize("path", ["", "a\x00b"])
def test_a_bad_path_is_refused(path):
    """An empty path or one with NUL is a ConfigurationError naming what arrived."""
    with pytest.raises(ConfigurationError, match="expects a non-empty file path"):
        skiesish.Heartbeat(path)


@pytest.mark.parametrize("max_age", [0, -1, float("nan"), float("inf"), 86_401, "60", True])
def test_a_bad_max_age_is_refused(heartbeat, max_age):
    """max_age must be a number of seconds above 0 and at most a day."""
    with pytest.raises(ConfigurationError, match=r"max_age\) must be a number of seconds"):
        heartbeat.is_fresh(max_age)
    with pytest.raises(ConfigurationError, match=r"max_age\) must be a number of seconds"):
        heartbeat.check(max_age)


def test_the_repr_names_the_file():
    """repr() shows the path it beats."""
    assert repr(skiesish.Heartbeat("/tmp/w.beat")) == "Heartbeat('/tmp/w.beat')"


# -- as a check ------------------------------------------------------------------------


def run(check: skiesish.Check) -> CheckResult:
    """Run ``check`` once, uncached, and return its result."""
    engine = HealthEngine([check], DI(), success_ttl=None, failed_ttl=None)
    try:
        return engine.evaluate().results[0]
    finally:
        engine.close()


def test_the_check_passes_on_a_fresh_beat_and_says_when(heartbeat):
    """A fresh beat passes, its output saying how long ago it was; the default name names the file."""
    heartbeat.beat()
    check = heartbeat.check(30)
    assert check.name == f"heartbeat:{heartbeat.path}"
    result = run(check)
    assert result.status == "pass"
    assert result.output.startswith("last beat 0.")


def test_the_check_fails_on_a_stale_beat(heartbeat):
    """A beat older than max_age fails, saying how old and what the limit was."""
    heartbeat.beat()
    age_file(heartbeat.path, 100)
    result = run(heartbeat.check(30, name="worker"))
    assert (result.name, result.status) == ("worker", "fail")
    assert result.output.startswith("last beat 100.")
    assert result.output.endswith(" s ago, more than 30 s")


def test_the_check_fails_without_a_file(heartbeat):
    """No beat yet: the check fails saying there is no file."""
    result = run(heartbeat.check())
    assert (result.status, result.output) == ("fail", f"no heartbeat file at {heartbeat.path}")


def test_the_check_takes_checks_own_options(heartbeat):
    """critical=False turns a stale heartbeat into a warning; an unknown option is refused."""
    assert run(heartbeat.check(critical=False)).status == "warn"
    with pytest.raises(ConfigurationError, match="unknown argument"):
        heartbeat.check(colour="red")


def test_a_path_that_looks_secret_is_not_the_checks_name(tmp_path):
    """A file path holding what looks like a secret gives the plain name 'heartbeat'."""
    check = skiesish.Heartbeat(tmp_path / "token=hunter2").check()
    assert check.name == "heartbeat"
