"""What the command prints: every line through the scrubber, unless it is plainly safe.

Importing :mod:`skiesish.scrubbing` (``re``, ``json``) would cost a probe more
than the rest of its start-up, so a line made only of known-safe words is
printed as it is, and any other goes through the scrubber.
"""

from __future__ import annotations

import sys

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    from typing import TextIO

__all__ = ["PLAIN_WORDS", "is_plain", "say", "scrub_line"]

#: The words a line may hold and still be printed without the scrubber: those of the command's
#: own lines, of the usual probe hosts and paths, of standard reason phrases and of connection
#: errors. None is a secret name, an authorization scheme or a token's prefix, so a line made of
#: them, digits and ``.:/->[]()`` holds nothing the scrubber masks (tests/test_cli_scrubbing.py
#: checks this against skiesish.scrubbing.scrub_text), and a probe is spared the scrubber's import
#: (re and json: longer than the rest of the probe's start-up).
_PLAIN_TEXT = (
    "healthy unhealthy GET failed no answer within s http https localhost livez readyz startupz "
    "healthz live ready startup health ping status OK Created Accepted No Content Moved Permanently "
    "Found See Other Not Modified Temporary Permanent Redirect Bad Request Forbidden Method Allowed "
    "Timeout Conflict Gone Too Many Requests Internal Server Error Implemented Gateway Service "
    "Unavailable ConnectionRefusedError ConnectionResetError ConnectionAbortedError TimeoutError "
    "OSError gaierror Errno Connection refused reset by peer Name or service not known failure in "
    "name resolution route to host Network is unreachable heartbeat file last beat ago stale after"
)
PLAIN_WORDS = frozenset(_PLAIN_TEXT.split())
_PLAIN_CHARACTERS = frozenset("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789 .:/->[]()")
_BETWEEN_WORDS = str.maketrans(dict.fromkeys("0123456789.:/->[]()", " "))
_BETWEEN_RUNS = str.maketrans(dict.fromkeys(":>[]()", " "))


def is_plain(text: str) -> bool:
    """Whether ``text`` is made only of :data:`PLAIN_WORDS`, digits and ``.:/->[]()`` (and so holds no
    secret), with no long run of mixed case and digits."""
    if len(text) > 1000 or not _PLAIN_CHARACTERS.issuperset(text):
        return False
    if not PLAIN_WORDS.issuperset(text.translate(_BETWEEN_WORDS).split()):
        return False
    return not any(
        len(run) >= 16 and run.lower() != run != run.upper() and any(c.isdigit() for c in run)
        for run in text.translate(_BETWEEN_RUNS).split()
    )


def scrub_line(text: str) -> str:
    """``text`` as the command prints it: through :func:`skiesish.scrubbing.scrub_text` unless it
    :func:`is_plain`."""
    if is_plain(text):
        return text
    from ..scrubbing import scrub_text

    return scrub_text(text)


def say(text: str, file: TextIO | None = None) -> None:
    """Print ``text`` scrubbed (to standard output unless ``file`` says otherwise)."""
    print(scrub_line(text), file=sys.stdout if file is None else file)
