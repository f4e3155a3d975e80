"""`skiesish serve` refuses every bad option with exit 2 and one sentence, before it serves."""

from __future__ import annotations

import socket
import subprocess
from pathlib import Path

import pytest
from conftest import skiesish_command

from skiesish.cli import main
from skiesish.cli.serve import listen_address

ROOT = Path(__file__).resolve().parent.parent
TARGET = "examples.health_demo:application"


@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--threads", "0"], "--threads must be a whole number from 1 to 1024, got '0'"),
        (["--threads", "2.5"], "--threads must be a whole number from 1 to 1024, got '2.5'"),
        (["--threads", "100000"], "--threads must be a whole number from 1 to 1024"),
        (["--connection-limit", "0"], "--connection-limit must be a whole number from 1 to 100000, got '0'"),
        (["--connection-limit", "many"], "--connection-limit must be a whole number"),
        (["--channel-timeout", "0"], "--channel-timeout must be a whole number from 1 to 3600, got '0'"),
        (["--channel-timeout", "-5"], "--channel-timeout must be a whole number from 1 to 3600"),
        (["--backlog", "0"], "--backlog must be a whole number from 1 to 65535, got '0'"),
        (["--drain", "-1"], "--drain must be a number of seconds from 0 to 3600, got float -1.0"),
        (["--drain", "inf"], "--drain must be a number of seconds from 0 to 3600, got float inf"),
        (["--drain", "nan"], "--drain must be a number of seconds from 0 to 3600, got float nan"),
        (["--drain", "7200"], "--drain must be a number of seconds from 0 to 3600, got float 7200.0"),
        (["--drain", "soon"], "--drain must be a number of seconds from 0 to 3600, got str 'soon'"),
        (["--listen", "127.0.0.1:99999"], "--listen expects a port from 0 to 65535"),
        (["--listen", "127.0.0.1:-1"], "--listen expects a port from 0 to 65535"),
        (["--listen", "127.0.0.1:http"], "--listen expects a port from 0 to 65535"),
        (["--listen", "localhost"], "got 'localhost', a host without a port"),
        (["--listen", "9090"], "got '9090', a port without a host"),
        (["--listen", ":9090"], "got ':9090', which has no host"),
        (["--listen", "::1:9090"], "put an IPv6 address in brackets"),
        (["--listen", "[::1]"], "which has no port after the bracketed address"),
        (["--listen", "127.0.0.1:90 0.0.0.0:91"], "holds a space or control character"),
        (["--listen", ""], "which is empty"),
    ],
)
def test_a_bad_option_is_a_usage_error(options, message, capsys):
    """Each bad value exits 2 with a sentence naming the option, what it expects and what came."""
    with pytest.raises(SystemExit) as exit_info:
        main(["serve", TARGET, *options])
    assert exit_info.value.code == 2
    last_line = capsys.readouterr().err.splitlines()[-1]
    assert last_line.startswith("skiesish serve: error: --")
    assert message in last_line


@pytest.mark.parametrize(
    ("text", "address"),
    [
        ("127.0.0.1:9090", "127.0.0.1:9090"),
        ("0.0.0.0:0", "0.0.0.0:0"),
        ("localhost:08080", "localhost:8080"),
        ("[::1]:9090", "[::1]:9090"),
        ("*:9090", "*:9090"),
    ],
)
def test_a_good_listen_address_is_passed_on(text, address):
    """HOST:PORT, [IPv6]:PORT and *:PORT are accepted, as waitress reads them."""
    assert listen_address(text) == address


def serve_once(*options: str) -> subprocess.CompletedProcess[str]:
    """Run `python -m skiesish serve` of the demo with ``options``; it is expected to exit at once."""
    return skiesish_command("serve", TARGET, *options)


def test_a_port_in_use_is_a_usage_error_not_a_traceback():
    """Listening where another process listens exits 2 with one sentence saying so."""
    with socket.socket() as taken:
        taken.bind(("127.0.0.1", 0))
        taken.listen()
        port = taken.getsockname()[1]
        result = serve_once("--listen", f"127.0.0.1:{port}")
    assert result.returncode == 2
    assert result.stderr.strip() == (
        f"skiesish serve: error: --listen 127.0.0.1:{port}: expected an address to listen on, "
        "but another process already listens on that port"
    )


def test_a_host_that_does_not_resolve_is_a_usage_error():
    """A host name with no address exits 2 with one sentence saying so."""
    result = serve_once("--listen", "no-such-host.invalid:9090")
    assert result.returncode == 2
    assert "Traceback" not in result.stderr
    assert (
        "--listen no-such-host.invalid:9090: expected a host name or address of this machine" in result.stderr
    )
