"""The command prints every line as the scrubber would, sparing a probe its import only when it may."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from skiesish.cli.output import PLAIN_WORDS, is_plain, scrub_line
from skiesish.scrubbing import is_secret_key, scrub_text

# Secrets of several kinds, and lines that look like the command's own but hold one.
NOT_PLAIN = [
    "healthy: GET http://127.0.0.1:9090/readyz?token=hunter2 -> 200 OK",
    "healthy: GET http://127.0.0.1:9090/readyz -> 200 password: hunter2",
    "unhealthy: GET http://127.0.0.1:9090/readyz -> 401 Bearer abcdefgh12345678",
    "unhealthy: GET http://127.0.0.1:9090/AKIAIOSFODNN7EXAMPLE -> 404 Not Found",
    "unhealthy: GET http://127.0.0.1:9090/ghp_abcdefghijklmnopqrstuvwxyz0123456789 -> 404 Not Found",
    "unhealthy: GET http://127.0.0.1:9090/GET1OK2GET3OK4readyz5 -> 404 Not Found",
    "unhealthy: GET http://127.0.0.1:9090/ -> 500 -----BEGIN RSA PRIVATE KEY-----",
    "unhealthy: GET http://127.0.0.1:9090/ -> 500 mysql -p hunter2",
    "postgresql://app:hunter2@db/app",
    "  fail database: cannot reach postgresql://app:hunter2@db/app",
    "healthy: GET http://app:9090/readyz -> 200 OK",  # plain after all, but 'app' is not a listed word
]

PLAIN = [
    "healthy: GET http://127.0.0.1:9090/readyz -> 200 OK",
    "healthy: GET http://localhost:9090/healthz/ready -> 204 No Content",
    "unhealthy: GET http://[::1]:9090/livez -> 503 Service Unavailable",
    "unhealthy: GET http://127.0.0.1:9090/startupz -> 500 Internal Server Error",
    "unhealthy: GET http://127.0.0.1:9/ failed: ConnectionRefusedError: [Errno 111] Connection refused",
    "unhealthy: GET http://127.0.0.1:9090/readyz failed: TimeoutError: no answer within 3 s",
]


@pytest.mark.parametrize("line", NOT_PLAIN)
def test_a_line_that_may_hold_a_secret_goes_through_the_scrubber(line):
    """A line with anything beyond the plain words is printed as scrub_text prints it."""
    assert not is_plain(line)
    assert scrub_line(line) == scrub_text(line)


@pytest.mark.parametrize("line", PLAIN)
def test_the_usual_probe_lines_skip_the_scrubber(line):
    """What a probe prints when healthy, unhealthy, refused or timed out is plain: no import."""
    assert is_plain(line)


def test_no_plain_word_is_a_secret_name():
    """The scrubber would mask nothing under any of the plain words as a name."""
    assert sorted(word for word in PLAIN_WORDS if is_secret_key(word)) == []


PLAIN_PIECES = [*sorted(PLAIN_WORDS), *" .:/->[]()", "0", "1", "7", "9090", "127.0.0.1", "://", ": ", " -> "]


@given(st.lists(st.sampled_from(PLAIN_PIECES), max_size=24).map("".join))
def test_a_plain_line_is_one_the_scrubber_leaves_alone(line):
    """Any line is_plain lets through is one scrub_text would not change."""
    if is_plain(line):
        assert scrub_text(line) == line


@given(st.text(max_size=80))
def test_any_text_prints_as_the_scrubber_would_print_it(text):
    """Whatever the text, the command prints what scrub_text returns."""
    assert scrub_line(text) == scrub_text(text)
