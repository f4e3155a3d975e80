"""The heartbeat of an asyncio event loop: liveness fails when the loop is blocked, not when it is busy."""

from __future__ import annotations

import asyncio
import contextlib
import threading
import time

from .watch import DEFAULT_STALL_AFTER, WorkerWatch

__all__ = ["EventLoopWatch"]

#: The longest pause between two ticks on the watched loop.
MAX_TICK_INTERVAL = 1.0


class EventLoopWatch(WorkerWatch):
    """Watches one event loop by letting it tick: a loop that cannot run a callback is wedged.

    A callback scheduled on the loop every ``interval`` seconds records the
    time it ran. A loop that is merely busy still runs it, a little late;
    a loop blocked by synchronous code (``time.sleep``, a blocking driver
    call, a deadlock) does not, and once the tick is ``stall_after``
    seconds late the ``worker_pool`` check fails.

    Args:
        stall_after: seconds a tick may be late before the check fails.

    Example:
        >>> watch = skiesish.EventLoopWatch(stall_after=10)
        >>> watch.start()  # inside the application's loop, e.g. in its lifespan startup
    """

    def __init__(self, stall_after: float = DEFAULT_STALL_AFTER) -> None:
        super().__init__(stall_after)
        self.interval = min(MAX_TICK_INTERVAL, self.stall_after / 4)
        self._lock = threading.Lock()
        self._loop: asyncio.AbstractEventLoop | None = None
        self._handle: asyncio.TimerHandle | None = None
        self._last_tick = time.monotonic()
        self._ticks = 0

    def start(self, loop: asyncio.AbstractEventLoop | None = None) -> None:
        """Start ticking on ``loop`` (the running loop by default); safe to call from any thread.

        Raises:
            RuntimeError: no loop was given and none is running in this thread.
        """
        loop = asyncio.get_running_loop() if loop is None else loop
        with self._lock:
            if self._loop is not None:
                raise RuntimeError("this EventLoopWatch already watches a loop")
            self._loop = loop
            self._last_tick = time.monotonic()
        loop.call_soon_threadsafe(self._tick)

    def close(self) -> None:
        """Stop ticking; the loop may already be closed."""
        with self._lock:
            loop, self._loop = self._loop, None
        if loop is None or loop.is_closed():
            return
        with contextlib.suppress(RuntimeError):  # closed between the look and the call
            loop.call_soon_threadsafe(self._cancel)

    def _tick(self) -> None:
        with self._lock:
            if self._loop is None:
                return
            self._last_tick = time.monotonic()
            self._ticks += 1
            self._handle = self._loop.call_later(self.interval, self._tick)

    def _cancel(self) -> None:
        with self._lock:
            handle, self._handle = self._handle, None
        if handle is not None:
            handle.cancel()

    def state(self) -> tuple[bool, str]:
        with self._lock:
            loop, last_tick, ticks = self._loop, self._last_tick, self._ticks
        if loop is None:
            return False, "the event loop is not watched (never started, or stopped)"
        late = max(0.0, time.monotonic() - last_tick - self.interval)
        if loop.is_closed():
            return False, "the event loop is closed"
        if late > self.stall_after:
            return False, f"stalled: the event loop has not run a callback for {late:.1f} s past its turn"
        return True, f"event loop lag {late * 1000:.0f} ms, {ticks} ticks"
