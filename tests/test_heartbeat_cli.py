"""`skiesish check --heartbeat PATH [--max-age S]`: exit codes, output, refusals, and what it loads."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest
from conftest import skiesish_command, usage_error

import skiesish
from skiesish import heartbeat as heartbeat_module
from skiesish.cli import main
from skiesish.cli.check import _DEFAULT_MAX_AGE, _QUICK_MAX_AGE, quick_heartbeat_check
from skiesish.cli.output import is_plain


@pytest.fixture
def beat_file(tmp_path) -> str:
    """The path of a heartbeat file that beat just now."""
    path = str(tmp_path / "worker.beat")
    skiesish.Heartbeat(path).beat()
    return path


def make_old(path: str, seconds: float) -> None:
    """Set the modification time of ``path`` to ``seconds`` ago."""
    then = time.time() - seconds
    os.utime(path, (then, then))


def test_a_fresh_beat_is_healthy(beat_file, capsys):
    """A file beaten just now: exit 0, and the line says how long ago and the limit (default 60 s)."""
    assert main(["check", "--heartbeat", beat_file]) == 0
    line = capsys.readouterr().out
    assert line.startswith("healthy: last beat 0.")
    assert line.endswith(" s ago (stale after 60 s)\n")


def test_a_stale_beat_is_unhealthy(beat_file, capsys):
    """A beat older than --max-age: exit 1."""
    make_old(beat_file, 120)
    assert main(["check", "--heartbeat", beat_file, "--max-age", "30"]) == 1
    line = capsys.readouterr().out
    assert line.startswith("unhealthy: last beat 120.")
    assert line.endswith(" s ago (stale after 30 s)\n")


def test_a_missing_file_is_unhealthy(tmp_path, capsys):
    """No file (the worker never beat, or it was removed): exit 1."""
    assert main(["check", "--heartbeat", str(tmp_path / "none")]) == 1
    assert capsys.readouterr().out == "unhealthy: no heartbeat file\n"


def test_an_unreadable_path_is_unhealthy_and_says_why(beat_file, capsys):
    """A path that cannot be looked at (under a regular file): exit 1 with the system's reason."""
    assert main(["check", "--heartbeat", os.path.join(beat_file, "inner")]) == 1
    assert capsys.readouterr().out == (
        "unhealthy: the heartbeat file cannot be read: NotADirectoryError: Not a directory\n"
    )


def test_the_full_parser_answers_as_the_quick_path_does(beat_file, capsys):
    """`--max-age=5` (read by argparse) and `--max-age 5` (the quick path) judge and print alike."""
    make_old(beat_file, 10)
    assert main(["check", "--heartbeat", beat_file, "--max-age=5"]) == 1
    assert main(["check", "--heartbeat", beat_file, "--max-age", "5"]) == 1
    first, second = capsys.readouterr().out.splitlines()
    assert first.split(" last beat ")[0] == second.split(" last beat ")[0] == "unhealthy:"
    assert first.endswith("(stale after 5 s)")
    assert second.endswith("(stale after 5 s)")


@pytest.mark.parametrize(
    ("arguments", "message"),
    [
        (
            ["--max-age", "0"],
            "--max-age must be a number of seconds greater than 0 and at most 86400, got float 0.0",
        ),
        (["--max-age", "-1"], "--max-age must be a number of seconds"),
        (["--max-age", "nan"], "--max-age must be a number of seconds"),
        (["--max-age", "inf"], "--max-age must be a number of seconds"),
        (["--max-age", "86401"], "--max-age must be a number of seconds"),
        (["--max-age", "soon"], "got str 'soon'"),
        (
            ["--url", "http://127.0.0.1:9/"],
            "check needs one of MODULE:ATTR, --url URL, --grpc HOST:PORT and --heartbeat",
        ),
        (["--grpc", "127.0.0.1:50051"], "check needs one of MODULE:ATTR"),
        (["examples.health_demo:application"], "check needs one of MODULE:ATTR"),
        (["--timeout", "3"], "--timeout does not go with --heartbeat"),
        (["--path", "/livez"], "--path does not go with --heartbeat"),
        (["--verbose"], "--verbose does not go with --heartbeat"),
    ],
)
def test_bad_or_conflicting_options_are_a_usage_error(beat_file, arguments, message, capsys):
    """A wrong --max-age, or an option of another kind of check beside --heartbeat, exits 2 saying so."""
    assert message in usage_error(["check", "--heartbeat", beat_file, *arguments], capsys)


def test_max_age_without_heartbeat_is_a_usage_error(capsys):
    """--max-age alone (with --url here) is refused rather than ignored."""
    line = usage_error(["check", "--url", "http://127.0.0.1:9/", "--max-age", "5"], capsys)
    assert line.endswith("--max-age goes with --heartbeat, saying how old its last beat may be")


def test_an_empty_path_is_a_usage_error(capsys):
    """`--heartbeat ''` names no file: exit 2."""
    assert usage_error(["check", "--heartbeat", ""], capsys).endswith(
        "--heartbeat expects the path of a heartbeat file, got ''"
    )


@pytest.mark.parametrize(
    "argv",
    [
        ["check", "--heartbeat"],
        ["check", "--heartbeat", "/tmp/x", "--max-age"],
        ["check", "--heartbeat", "/tmp/x", "--timeout", "3"],
        ["check", "--heartbeat", "/tmp/x", "--max-age", "0"],
        ["check", "--heartbeat", "/tmp/x", "--max-age", "nan"],
        ["check", "--heartbeat", "/tmp/x", "--max-age", "86401"],
        ["check", "--heartbeat", "--verbose"],
        ["check", "--heartbeat", ""],
        ["check", "--max-age", "3", "--heartbeat", "/tmp/x"],
        ["serve", "--heartbeat", "/tmp/x"],
    ],
)
def test_the_quick_path_leaves_anything_unusual_to_the_parser(argv):
    """Only `check --heartbeat PATH [--max-age N]` with a valid N skips argparse."""
    assert quick_heartbeat_check(argv) is None


def test_the_quick_path_reads_the_usual_forms():
    """The two documented forms are read, with the default max age when none is given."""
    assert quick_heartbeat_check(["check", "--heartbeat", "/tmp/x"]) == ("/tmp/x", 60.0)
    assert quick_heartbeat_check(["check", "--heartbeat", "/tmp/x", "--max-age", "2.5"]) == ("/tmp/x", 2.5)


def test_the_quick_path_has_the_same_limits_as_the_heartbeat_module():
    """The fast path's copies of the default and longest max age are skiesish.heartbeat's."""
    assert (_DEFAULT_MAX_AGE, _QUICK_MAX_AGE) == (heartbeat_module.DEFAULT_MAX_AGE, heartbeat_module.MAX_AGE)


@pytest.mark.parametrize(
    "line",
    [
        "healthy: last beat 0.2 s ago (stale after 60 s)",
        "unhealthy: last beat 4123.5 s ago (stale after 30 s)",
        "unhealthy: no heartbeat file",
    ],
)
def test_the_lines_are_plain(line):
    """What a heartbeat probe prints is made of plain words: the scrubber is not imported."""
    assert is_plain(line)


def test_the_quick_path_loads_no_more_than_it_needs(beat_file):
    """A healthy `check --heartbeat` imports no third party, argparse, typing, re, threading or scrubber."""
    code = (
        "import sys; before = set(sys.modules); from skiesish.cli import main; "
        "code = main(['check', '--heartbeat', sys.argv[1], '--max-age', '30']); "
        "heavy = {'argparse', 'typing', 're', 'threading', 'skiesish.durations', 'skiesish.scrubbing', "
        "'skiesish.exceptions'}; loaded = set(sys.modules) - before; "
        "third_party = {m for m in loaded if m.split('.')[0] in ('pydantic', 'waitress', 'dotenv')}; "
        "print(sorted(heavy & loaded | third_party)); sys.exit(code)"
    )
    result = subprocess.run(
        [sys.executable, "-c", code, beat_file], capture_output=True, text=True, timeout=30
    )
    assert result.returncode == 0
    assert result.stdout.splitlines()[-1] == "[]"


def test_the_command_exits_as_docker_and_kubernetes_expect(beat_file):
    """As a real command: 0 while fresh, 1 once stale, 2 for a mistake."""
    assert skiesish_command("check", "--heartbeat", beat_file, "--max-age", "30").returncode == 0
    make_old(beat_file, 31)
    assert skiesish_command("check", "--heartbeat", beat_file, "--max-age", "30").returncode == 1
    assert skiesish_command("check", "--heartbeat", beat_file, "--max-age", "never").returncode == 2


def test_help_lists_the_heartbeat_options(capsys):
    """`check --help` describes --heartbeat and --max-age."""
    with pytest.raises(SystemExit):
        main(["check", "--help"])
    shown = capsys.readouterr().out
    assert "--heartbeat PATH" in shown
    assert "--max-age SECONDS" in shown
