"""The heartbeat of gunicorn's workers, in memory the master shares with the workers it forks."""

from __future__ import annotations

import mmap
import os
import struct
import threading
import time
from collections.abc import Callable
from typing import Any, NamedTuple

from ...exceptions import ConfigurationError
from ...probe_listener.watch import DEFAULT_STALL_AFTER, WorkerWatch

__all__ = ["DEFAULT_SLOTS", "MAX_SLOTS", "GunicornWatch"]

#: Workers whose progress can be watched at once: far above any worker count, and 64 KiB of memory.
DEFAULT_SLOTS = 1024
MAX_SLOTS = 65_536
#: Tries at reading a slot while its worker writes it, before giving up on it for this probe.
READ_ATTEMPTS = 100

#: A slot's write counter: odd while its worker writes it (a sequence lock).
_SEQUENCE = struct.Struct("=Q")
#: A slot's values, after the counter: pid, capacity, in flight, started, finished, last progress.
_VALUES = struct.Struct("=qqqQQd")
_SLOT_SIZE = _SEQUENCE.size + _VALUES.size


class _Slot(NamedTuple):
    """One worker's progress, as it wrote it (``pid`` 0: free or not yet booted)."""

    pid: int = 0
    capacity: int = 0
    in_flight: int = 0
    started: int = 0
    finished: int = 0
    last_progress: float = 0.0


_EMPTY = _Slot()


class GunicornWatch(WorkerWatch):
    """The heartbeat of gunicorn's workers, kept in memory the master shares with them.

    Each worker gets one of ``slots`` slots in an anonymous shared
    mapping (``mmap.mmap(-1, size)``: ``MAP_SHARED``, so that a worker's
    writes reach the master, and it survives ``fork()`` with no file to
    create or clean up). The master assigns a slot before each fork
    (:meth:`assign`) and frees it when the worker exits (:meth:`release`);
    the worker writes its pid and capacity when it has booted
    (:meth:`register`) and its requests as they start and finish. Every
    write goes through a sequence counter, so a reader never takes half a
    timestamp for a value. ``time.monotonic()`` is one clock for every
    process on Linux (and macOS), so the master compares the workers'
    times with its own.

    Only slots of the arbiter's current workers (``arbiter.WORKERS``) count.
    The check fails when every booted worker has ``capacity`` requests in
    flight and none started or finished one for ``stall_after`` seconds,
    and when no worker has been booted for ``stall_after`` seconds.

    Args:
        stall_after: seconds without progress, while no worker is free, before the check fails.
        slots: the workers that can be watched at once; one more gets none, and a warning.
        clock: seconds from a clock that every process reads alike (tests pass a fake one).
    """

    def __init__(
        self,
        stall_after: float = DEFAULT_STALL_AFTER,
        *,
        slots: int = DEFAULT_SLOTS,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        super().__init__(stall_after)
        if isinstance(slots, bool) or not isinstance(slots, int) or not 1 <= slots <= MAX_SLOTS:
            raise ConfigurationError(f"slots must be a whole number from 1 to {MAX_SLOTS}, got {slots!r:.40}")
        self.slots = slots
        self._clock = clock
        self._memory = mmap.mmap(-1, slots * _SLOT_SIZE)
        self._arbiter: Any = None
        # Kept by the master, and inherited by each worker at its fork: worker age -> slot.
        self._slot_of: dict[int, int] = {}
        self._free = list(range(slots - 1, -1, -1))
        self._last_seen_booted = clock()
        # A worker's own slot and values, once it has registered.
        self._own: int | None = None
        self._own_values = _EMPTY
        self._own_lock = threading.Lock()

    def attach(self, arbiter: Any) -> None:
        """Watch the workers of ``arbiter`` (gunicorn's, in ``when_ready``) from now on."""
        self._arbiter = arbiter
        self._last_seen_booted = self._clock()

    def assign(self, age: int) -> int | None:
        """In the master, before a fork: a slot for the worker ``age`` (``worker.age``); ``None``: full."""
        if not self._free:
            return None
        index = self._free.pop()
        self._write(index, _EMPTY)
        self._slot_of[age] = index
        return index

    def release(self, age: int) -> None:
        """In the master, once the worker ``age`` has exited: free its slot (again is harmless)."""
        index = self._slot_of.pop(age, None)
        if index is None:
            return
        slot = self._read(index)
        if slot is not None and slot.pid:
            self._last_seen_booted = self._clock()
        self._write(index, _EMPTY)
        self._free.append(index)

    def register(self, age: int, pid: int, capacity: int) -> bool:
        """In a worker that has booted: watch it from now on; ``False`` when it got no slot."""
        index = self._slot_of.get(age)
        if index is None:
            return False
        self._own_lock = threading.Lock()  # this process's own, whatever the master's was doing at the fork
        now = self._clock()
        with self._own_lock:
            self._own = index
            self._own_values = _Slot(pid, capacity, 0, 0, 0, now)
            self._write(index, self._own_values)
        return True

    def request_started(self) -> None:
        """In a registered worker: a request has started."""
        if self._own is None:
            return
        with self._own_lock:
            values = self._own_values
            self._own_values = values._replace(
                in_flight=values.in_flight + 1, started=values.started + 1, last_progress=self._clock()
            )
            self._write(self._own, self._own_values)

    def request_finished(self) -> None:
        """In a registered worker: a request has finished (answered, failed or abandoned)."""
        if self._own is None:
            return
        with self._own_lock:
            values = self._own_values
            self._own_values = values._replace(
                in_flight=max(0, values.in_flight - 1),
                finished=values.finished + 1,
                last_progress=self._clock(),
            )
            self._write(self._own, self._own_values)

    def has_booted(self) -> bool:
        """Whether any current worker has booted: the built-in ``/startupz``."""
        return bool(self._current()[0])

    def state(self) -> tuple[bool, str]:
        now = self._clock()
        booted, starting = self._current()
        if not booted:
            waited = now - self._last_seen_booted
            if waited > self.stall_after:
                return False, f"no worker has been booted for {waited:.1f} s ({starting} starting)"
            return True, f"waiting for a worker to boot ({starting} starting, {waited:.1f} s so far)"
        self._last_seen_booted = now
        busy = sum(slot.in_flight >= slot.capacity for slot in booted)
        in_flight = sum(slot.in_flight for slot in booted)
        finished = sum(slot.finished for slot in booted)
        quiet_for = now - max(slot.last_progress for slot in booted)
        summary = (
            f"{busy} of {len(booted)} workers busy, {in_flight} in flight, {finished} finished, "
            f"last start or finish {quiet_for:.1f} s ago"
        )
        if starting:
            summary += f", {starting} starting"
        if busy == len(booted) and quiet_for > self.stall_after:
            return (
                False,
                f"stalled: no worker started or finished a request for {quiet_for:.1f} s ({summary})",
            )
        return True, summary

    def _current(self) -> tuple[list[_Slot], int]:
        """The slots of the arbiter's booted workers, and how many of its workers have not booted."""
        if self._arbiter is None:
            return [], 0
        workers = dict(self._arbiter.WORKERS)  # one copy, taken while the main thread may change it
        slot_of = dict(self._slot_of)
        booted: list[_Slot] = []
        for pid, worker in workers.items():
            index = slot_of.get(worker.age)
            slot = None if index is None else self._read(index)
            if slot is not None and slot.pid == pid:
                booted.append(slot)
        return booted, len(workers) - len(booted)

    def _write(self, index: int, values: _Slot) -> None:
        offset = index * _SLOT_SIZE
        (sequence,) = _SEQUENCE.unpack_from(self._memory, offset)
        sequence |= 1  # odd while writing (already odd if a writer died half-way)
        _SEQUENCE.pack_into(self._memory, offset, sequence)
        _VALUES.pack_into(self._memory, offset + _SEQUENCE.size, *values)
        _SEQUENCE.pack_into(self._memory, offset, sequence + 1)

    def _read(self, index: int) -> _Slot | None:
        offset = index * _SLOT_SIZE
        for _ in range(READ_ATTEMPTS):
            (before,) = _SEQUENCE.unpack_from(self._memory, offset)
            if before % 2 == 0:
                values = _VALUES.unpack_from(self._memory, offset + _SEQUENCE.size)
                (after,) = _SEQUENCE.unpack_from(self._memory, offset)
                if after == before:
                    return _Slot(*values)
            os.sched_yield()
        return None  # its writer died while writing: unreadable until the master frees it
