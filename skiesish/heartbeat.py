"""Liveness for a process without a web server: a file whose modification time is its last beat.

A worker loop calls :meth:`Heartbeat.beat` each time it gets something done;
whatever probes it (``skiesish check --heartbeat PATH``, run by Docker's
``HEALTHCHECK`` or a Kubernetes exec probe, or :meth:`Heartbeat.check` in a
HealthCheck of another process) reads how long ago that was. A loop that
hangs stops beating, and its file grows stale.

This module imports only ``os`` and ``time``, so that the probe starts as
fast as ``check --url``.

Example:
    >>> heartbeat = skiesish.Heartbeat("/tmp/worker.beat")
    >>> while True:
    ...     do_one_job()
    ...     heartbeat.beat()
"""

from __future__ import annotations

import os
import time

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --heartbeat` loads as little as it can
if TYPE_CHECKING:
    from typing import Any

    from .health import Check

__all__ = ["DEFAULT_MAX_AGE", "MAX_AGE", "Heartbeat", "beat_age"]

#: Seconds after which a beat is stale, unless told otherwise (``--max-age``, ``max_age=``).
DEFAULT_MAX_AGE = 60.0
#: The longest ``max_age`` accepted: one day.
MAX_AGE = 86_400.0

# O_CLOEXEC: a child process (a task's subprocess) must not inherit the descriptor, even for the
# instant it is open.
_CREATE = os.O_WRONLY | os.O_CREAT | getattr(os, "O_CLOEXEC", 0)


def beat_age(path: str) -> float | None:
    """Seconds since the file at ``path`` was last modified, or ``None`` when there is no such file.

    A modification time in the future (the clock was set back) reads as 0:
    the next beat writes the corrected time.

    Raises:
        OSError: the file exists but cannot be looked at (a permission, an I/O error).
    """
    try:
        modified = os.stat(path).st_mtime
    except FileNotFoundError:
        return None
    return max(0.0, time.time() - modified)


class Heartbeat:
    """A process's progress, recorded as the modification time of the file at ``path``.

    :meth:`beat` sets that time to now: one system call (``utimensat``, about
    half a microsecond), safe from any number of threads at once. It keeps no
    descriptor open, so a file deleted or replaced behind its back is simply
    created again by the next beat; a missing parent directory or a
    permission problem raises ``OSError`` from that beat. Creating a
    Heartbeat does not touch the file: a process counts as alive once it
    has beaten.

    Reading (:meth:`age`, :meth:`is_fresh`, :meth:`check`) works from any
    process that sees the same file, such as a probe in the same container.

    Example:
        >>> with skiesish.Heartbeat("/tmp/worker.beat") as heartbeat:
        ...     for job in jobs:
        ...         handle(job)
        ...         heartbeat.beat()
        >>> skiesish.Heartbeat("/tmp/worker.beat").is_fresh(60)
        True
    """

    __slots__ = ("_is_closed", "_path")

    def __init__(self, path: str | os.PathLike[str]) -> None:
        path = os.fspath(path)
        if not isinstance(path, str) or not path or "\x00" in path:
            from .exceptions import ConfigurationError

            raise ConfigurationError(
                f"Heartbeat(path) expects a non-empty file path without NUL characters, got {path!r:.80}"
            )
        self._path = path
        self._is_closed = False

    @property
    def path(self) -> str:
        """The heartbeat file's path, as given."""
        return self._path

    def beat(self) -> None:
        """Record progress now: set the file's modification time, creating the file if it is missing.

        Raises:
            ValueError: the heartbeat was closed.
            OSError: the file cannot be touched or created there (no such directory, no permission).
        """
        if self._is_closed:
            raise ValueError(f"beat() on a closed Heartbeat({self._path!r})")
        try:
            os.utime(self._path)
        except FileNotFoundError:
            # Deleted (or never made): create it; its modification time is its creation, now.
            os.close(os.open(self._path, _CREATE, 0o666))

    def age(self) -> float | None:
        """Seconds since the last beat (of this or any process), or ``None`` if there was none."""
        return beat_age(self._path)

    def is_fresh(self, max_age: float = DEFAULT_MAX_AGE) -> bool:
        """Whether the last beat was at most ``max_age`` seconds ago (false when there was none).

        Raises:
            ConfigurationError: ``max_age`` is not a number of seconds from 0 to :data:`MAX_AGE`.
        """
        limit = _max_age("Heartbeat.is_fresh(max_age)", max_age)
        age = self.age()
        return age is not None and age <= limit

    def check(
        self, max_age: float = DEFAULT_MAX_AGE, *, name: str | None = None, **check_options: Any
    ) -> Check:
        """A :class:`~skiesish.Check` that passes while the last beat is at most ``max_age`` seconds old.

        Its output says how long ago the last beat was; it fails when there
        is no file, when the beat is older, or when the file cannot be read.
        Its default name is ``heartbeat:<path>`` (``heartbeat`` if the path
        looks like it holds a secret). It also takes Check's own options
        (``timeout``, ``critical``, ``tags``, ``success_ttl``, ``failed_ttl``).

        Example:
            >>> skiesish.Application(skiesish.handlers.HealthCheck, {"checks": [
            ...     skiesish.Heartbeat("/tmp/worker.beat").check(max_age=30),
            ... ]})
        """
        from .checks.base import build_check
        from .exceptions import HealthError
        from .scrubbing import scrub_text

        limit = _max_age("Heartbeat.check(max_age)", max_age)
        path = self._path

        def heartbeat_is_fresh() -> tuple[bool, str]:
            try:
                age = beat_age(path)
            except OSError as error:
                raise HealthError(f"cannot read the heartbeat file: {error.strerror}") from None
            if age is None:
                raise HealthError(f"no heartbeat file at {path}")
            if age > limit:
                raise HealthError(f"last beat {age:.1f} s ago, more than {limit:g} s")
            return True, f"last beat {age:.1f} s ago"

        default = f"heartbeat:{path}"
        return build_check(
            heartbeat_is_fresh,
            name or (default if scrub_text(default) == default else "heartbeat"),
            check_options,
        )

    def close(self) -> None:
        """Stop beating: later calls to :meth:`beat` raise ``ValueError``; the file stays, growing stale.

        Reading goes on working. Closing twice does nothing more.
        """
        self._is_closed = True

    def __enter__(self) -> Heartbeat:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def __repr__(self) -> str:
        return f"Heartbeat({self._path!r})"


def _max_age(key: str, value: Any) -> float:
    from .durations import seconds

    result = seconds(key, value, maximum=MAX_AGE)
    assert result is not None  # None is allowed only with allow_none
    return result
