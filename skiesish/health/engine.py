"""Running checks concurrently under deadlines, caching their results with single-flight.

For each check the engine keeps the latest result and at most one run in
flight. A request that finds a fresh result reuses it; one that finds a run
in flight waits for that run instead of starting another (single-flight);
otherwise it starts a run. Every wait ends at the run's deadline: a check
past it is reported failed and left to finish on its own thread, and no
second run of it starts while it is still going, so a hung dependency costs
at most one thread per check.

A run goes to a worker thread, so that the request can stop waiting at the
deadline; but that hand-off costs more than a loopback round trip. A check
whose own timeouts already end it before the deadline needs no such
protection, and runs on the thread that asks for the report instead
("inline"): a ready-made check says so through its function's
``runs_within(seconds)`` (see :func:`skiesish.checks.base.bounded_by`); a
function without one, as every check a user writes, always goes to a worker.
Of the checks one request starts, the others go to workers first and at most
one runs inline, so that they still overlap; requests arriving meanwhile wait
on that run as on any other. As a backstop, a check whose inline run ends
past its deadline all the same is logged once and sent to the workers from
then on. With a shared cache nothing runs inline: waiting on another
process's run would come on top of the check's own timeouts.
"""

from __future__ import annotations

import contextvars
import dataclasses
import datetime
import math
import threading
import time
from collections.abc import Callable, Iterable, Sequence
from typing import Any

from ..di import DI
from ..durations import MAX_INTERVAL, MAX_TIMEOUT, MAX_TTL, MIN_INTERVAL, seconds
from ..exceptions import ConfigurationError
from ..log import logger
from .check import DEFAULT, Check, threshold
from .judging import Judge
from .notifier import Notifier
from .outcome import finished_output, interpret_exception
from .pool import DaemonPool
from .report import CheckResult, CheckRun, Report
from .runner import kept_results, run_check, timed_out, utcnow
from .shared_cache import RedisResultCache
from .status_watch import StatusWatch

__all__ = ["HealthEngine"]

DEFAULT_TIMEOUT = 5.0
DEFAULT_SUCCESS_TTL = 27.0
DEFAULT_FAILED_TTL = 9.0
#: The clock cached results expire by (a name of its own, so that tests can move it).
_clock = time.monotonic
#: The most selections (``?check=`` combinations) whose reports are kept for reuse at once.
MAX_KEPT_SELECTIONS = 64


class _Run:
    """One run of one check, in flight or done.

    ``finished`` is held from the start and released once ``result`` is set;
    a waiter acquires it with the time left as timeout and releases it again
    (cheaper than a Future, whose condition makes the waiter and the runner
    contend once more after the wake-up).
    """

    __slots__ = ("deadline", "finished", "result", "timeout_result")

    def __init__(self, deadline: float) -> None:
        self.deadline = deadline
        self.finished = threading.Lock()
        self.finished.acquire()
        self.result: CheckResult | None = None
        self.timeout_result: CheckResult | None = None


@dataclasses.dataclass
class _Slot:
    """What the engine knows of one check, guarded by its own lock."""

    check: Check
    timeout: float
    success_ttl: float | None
    failed_ttl: float | None
    #: The check's damped status and slowness.
    judge: Judge
    lock: threading.Lock = dataclasses.field(default_factory=threading.Lock)
    result: CheckResult | None = None
    cached_result: CheckResult | None = None
    expires: float = 0.0
    run: _Run | None = None
    status_since: datetime.datetime | None = None
    status_changes: int = 0
    last_success: datetime.datetime | None = None
    runs: int = 0
    stored_at: float = 0.0
    #: Whether runs may be on the asking thread (``None``: not asked yet); False for good once such
    #: a run ended past its deadline (the backstop).
    can_run_inline: bool | None = None


class _Kept:
    """A report of some checks' cached results, and the test of whether it still holds."""

    __slots__ = ("expires", "pairs", "report")

    def __init__(self, report: Report, expires: float, slots: list[_Slot]) -> None:
        self.report = report
        self.expires = expires
        self.pairs = tuple(zip(slots, report.results, strict=True))

    def is_fresh(self) -> bool:
        """Whether no result has expired and each is still its check's latest cached one."""
        if _clock() >= self.expires:
            return False
        for slot, result in self.pairs:  # noqa: SIM110 - a loop is cheaper than all() over a generator
            if slot.cached_result is not result:
                return False
        return True


class HealthEngine:
    """Runs a fixed set of checks and reports on them. Knows nothing of HTTP.

    Args:
        checks: the checks (plain callables are wrapped in :class:`Check`); names must be unique.
        di: the container that injects the checks' parameters.
        timeout: seconds before a check without its own timeout is failed.
        success_ttl: seconds a passing result is reused (``None``: never).
        failed_ttl: seconds a failing result is reused (``None``: never).
        on_change: called with the new :class:`Report` when the overall status changes.
        background_interval: if set, a daemon thread re-runs every check this
            often and evaluations only read the latest results.
        shared_cache: results and single-flight locks shared with the other
            worker processes of this host (see :mod:`skiesish.health.shared_cache`).
        failure_threshold: failed runs in a row before a passing check is
            reported failing, for checks without their own (1: no damping).
        success_threshold: passed runs in a row before a failing check is
            reported passing again, for checks without their own.
        listeners: objects told what the engine sees, on a thread of their
            own: ``on_run(CheckRun)`` after every run of a check (not for
            results reused from this engine's cache; a result another process
            ran, through the shared cache, is told with ``cached=True``),
            ``on_change(Report)`` when the overall status changes (for
            ``skiesish.probes``, which never reports on all checks at once:
            readiness; see :meth:`add_listener`).

    Example:
        >>> engine = HealthEngine([Check(lambda: True, name="always")], di)
        >>> engine.evaluate().status
        'pass'
    """

    def __init__(
        self,
        checks: Iterable[Check | Callable[..., Any]],
        di: DI,
        timeout: float = DEFAULT_TIMEOUT,
        success_ttl: float | None = DEFAULT_SUCCESS_TTL,
        failed_ttl: float | None = DEFAULT_FAILED_TTL,
        on_change: Callable[[Report], Any] | None = None,
        background_interval: float | None = None,
        shared_cache: RedisResultCache | None = None,
        failure_threshold: int = 1,
        success_threshold: int = 1,
        listeners: Iterable[Any] = (),
    ) -> None:
        self.di = di
        self.shared_cache = shared_cache
        self.status_watch = StatusWatch(on_change)
        self.timeout = _seconds("timeout", timeout, maximum=MAX_TIMEOUT)
        self.success_ttl = _seconds(
            "success_ttl", success_ttl, maximum=MAX_TTL, allow_zero=True, allow_none=True
        )
        self.failed_ttl = _seconds(
            "failed_ttl", failed_ttl, maximum=MAX_TTL, allow_zero=True, allow_none=True
        )
        self.failure_threshold = threshold("HealthEngine(failure_threshold=...)", failure_threshold)
        self.success_threshold = threshold("HealthEngine(success_threshold=...)", success_threshold)
        self._runs = Notifier("skiesish-on-run", failed="an on_run listener failed")
        #: Guards changes to the set of checks (reads take the dict as it is: it is replaced, never changed).
        self._checks_lock = threading.Lock()
        #: Counts changes to the set of checks, so that a report selected before one is not kept.
        self._generation = 0
        self._slots: dict[str, _Slot] = {}
        for item in checks:
            slot = self._slot_for(item)
            if slot.check.label in self._slots:
                raise ConfigurationError(
                    f"two checks are named {slot.check.label!r}; check names must be unique: give one of "
                    "them another with name=..."
                )
            self._slots[slot.check.label] = slot
        for listener in listeners:
            self.add_listener(listener)
        self._pool = DaemonPool(max(1, len(self._slots)))
        #: Selection (None: every check) -> a report of its checks' cached results, while they hold.
        self._kept: dict[tuple[str, ...] | None, _Kept] = {}
        self._stop = threading.Event()
        self.background_interval: float | None = None
        if background_interval is not None:
            interval = _seconds(
                "background_interval", background_interval, minimum=MIN_INTERVAL, maximum=MAX_INTERVAL
            )
            self.background_interval = interval
            longest = max((slot.timeout for slot in self._slots.values()), default=self.timeout)
            #: A result older than this, in background mode, means the refresh has stopped.
            self.stale_after = 2 * interval + longest
            self._is_stale_logged = False
            threading.Thread(target=self._refresh_forever, name="skiesish-refresh", daemon=True).start()

    def _slot_for(self, item: Check | Callable[..., Any]) -> _Slot:
        """A new slot for ``item`` (a plain callable is wrapped in a Check), with the engine's defaults."""
        check = item if isinstance(item, Check) else Check(item)
        timeout = self.timeout if check.timeout is None else check.timeout
        judge = Judge(
            check.label,
            self.failure_threshold if check.failure_threshold is None else check.failure_threshold,
            self.success_threshold if check.success_threshold is None else check.success_threshold,
            check.slow_after,
            timeout,
            check.warn_when_slow,
        )
        return _Slot(
            check,
            timeout=timeout,
            success_ttl=self.success_ttl if check.success_ttl is DEFAULT else check.success_ttl,
            failed_ttl=self.failed_ttl if check.failed_ttl is DEFAULT else check.failed_ttl,
            judge=judge,
        )

    # -- the checks, and changing them while running ---------------------------

    def add_check(self, check: Check | Callable[..., Any], replace: bool = False) -> None:
        """Add ``check`` to the running engine; with ``replace``, in place of the check of its name.

        Safe under concurrent probes: a probe sees the checks before or after
        the change, never half of it. A replaced check starts afresh (no
        cached result); the others keep theirs.

        Raises:
            ConfigurationError: a check of that name exists (and not ``replace``),
                or ``check`` is not a valid check.
        """
        slot = self._slot_for(check)
        name = slot.check.label
        with self._checks_lock:
            old = self._slots.get(name)
            if old is not None and not replace:
                raise ConfigurationError(
                    f"a check named {name!r} exists already; remove it first or pass replace=True"
                )
            slots = dict(self._slots)
            slots[name] = slot
            self._change_checks(slots)
        if old is not None:
            _close_check(old)

    def remove_check(self, name: str) -> None:
        """Remove the check ``name`` from the running engine and close what it opened.

        Raises:
            KeyError: no check is named ``name``.
        """
        with self._checks_lock:
            slots = dict(self._slots)
            old = slots.pop(name)
            self._change_checks(slots)
        _close_check(old)

    def _change_checks(self, slots: dict[str, _Slot]) -> None:
        """Put ``slots`` in place (the caller holds the checks' lock); no kept report outlives it.

        Answers kept elsewhere (the contexts' kept answers) test their report
        with :meth:`fresh_while`, so each kept report is expired, not only dropped.
        """
        self._pool.max_workers = max(self._pool.max_workers, len(slots))
        self._generation += 1
        for kept in self._kept.values():
            kept.expires = -math.inf
        self._slots = slots
        self._kept = {}

    def add_listener(self, listener: Any) -> None:
        """Tell ``listener`` what the engine sees: ``on_run(CheckRun)`` and/or ``on_change(Report)``.

        Both are called on threads of their own, in order, never holding up a
        probe; what they raise is logged.

        Raises:
            ConfigurationError: ``listener`` has neither method.
        """
        on_run = getattr(listener, "on_run", None)
        on_change = getattr(listener, "on_change", None)
        if not callable(on_run) and not callable(on_change):
            raise ConfigurationError(
                "a health listener needs an on_run(run) or an on_change(report) method, got "
                f"{type(listener).__name__}"
            )
        if callable(on_run):
            self._runs.add(on_run)
        if callable(on_change):
            self.status_watch.add_listener(on_change)

    def wait_notified(self, timeout: float | None = None) -> bool:
        """Wait until every run and change so far has been told to the listeners; ``False`` on timeout."""
        return self._runs.wait_delivered(timeout) and self.status_watch.wait_delivered(timeout)

    @property
    def names(self) -> list[str]:
        """The checks' names, in order."""
        return list(self._slots)

    @property
    def checks(self) -> list[Check]:
        """The checks, in order."""
        return [slot.check for slot in self._slots.values()]

    def evaluate(self, names: Sequence[str] | None = None, label: str | None = None) -> Report:
        """Report on the named checks (all by default), running those without a fresh result.

        In background mode nothing runs here: the latest results are read, and
        a check that has none yet makes the report ``unknown``. Changes of the
        overall status are logged for all checks, and for a selection when it
        is given a ``label`` (``"ready"``, say).

        Raises:
            KeyError: a name is not one of :attr:`names`.
        """
        key = None if names is None else tuple(names)
        kept = self._kept.get(key)
        if kept is not None and kept.is_fresh():
            return kept.report  # every selected result is still the fresh cached one: the fast path
        generation = self._generation
        slots = self._select(names)
        if self.background_interval is not None:
            report = self._latest(slots)
        else:
            report = Report(tuple(self._collect(slots, force=False)))
        if names is None:
            self.status_watch.note(report)
        elif label is not None:
            self.status_watch.note(report, label)
        self._keep(key, slots, generation)
        return report

    def fresh_while(self, report: Report, names: Sequence[str] | None = None) -> Callable[[], bool] | None:
        """A test of whether ``report`` still holds, if it is the kept report of that selection.

        The test passes while every result in it is its check's latest cached
        one and none has expired: an answer made from ``report`` may be sent
        again as long as it passes. ``None`` when ``report`` is not kept
        (it was just run, or holds a result that is not cached).
        """
        kept = self._kept.get(None if names is None else tuple(names))
        return kept.is_fresh if kept is not None and kept.report is report else None

    def fresh_report(self, names: Sequence[str] | None = None) -> Report | None:
        """The report :meth:`evaluate` would return without running anything, or ``None``.

        For callers on an event loop: when every selected result is fresh, the
        answer needs no thread; otherwise they hand :meth:`evaluate` to one.
        """
        kept = self._kept.get(None if names is None else tuple(names))
        return kept.report if kept is not None and kept.is_fresh() else None

    def _keep(self, key: tuple[str, ...] | None, slots: list[_Slot], generation: int) -> None:
        """Keep a report of the selection's cached results, reusable until the first one expires.

        Not if the checks changed since ``slots`` were selected (``generation``):
        such a report could leave out a check added meanwhile, or hold a removed one.
        """
        if self.background_interval is not None:
            return
        cached = [slot.cached_result for slot in slots]
        if not all(result is not None for result in cached) or not all(slot.expires for slot in slots):
            return
        if key not in self._kept and len(self._kept) >= MAX_KEPT_SELECTIONS:
            self._kept.clear()  # selections come from requests (?check=): their number stays bounded
        expires = min((slot.expires for slot in slots), default=float("inf"))
        kept = _Kept(Report(tuple(cached)), expires, slots)  # type: ignore[arg-type]
        with self._checks_lock:
            if generation == self._generation:
                self._kept[key] = kept

    def refresh(self) -> Report:
        """Run every check now, whatever the cache holds (joining runs already in flight)."""
        report = Report(tuple(self._collect(list(self._slots.values()), force=True)))
        self.status_watch.note(report)
        return report

    def run_count(self, name: str) -> int:
        """How many times the check ``name`` has been started (for tests and metrics)."""
        return self._slots[name].runs

    def status_changes(self, name: str) -> int:
        """How many times the check ``name`` has changed between passing and failing."""
        return self._slots[name].status_changes

    def close(self, close_checks: bool = True) -> None:
        """Stop the background refresh, give back the worker threads, and close what the checks opened.

        A check whose function has a ``close()`` method (the ready-made ones
        that keep a client) has it called, unless ``close_checks`` is false
        (for an engine replaced by another that keeps the same checks). A
        check still running (hung) keeps its thread until it returns.
        """
        self._stop.set()
        self._pool.shutdown()
        self.status_watch.close()
        self._runs.close()
        if self.shared_cache is not None:
            self.shared_cache.close()
        if not close_checks:
            return
        for slot in self._slots.values():
            _close_check(slot)

    # -- selecting and collecting ------------------------------------------

    def _select(self, names: Sequence[str] | None) -> list[_Slot]:
        if names is None:
            return list(self._slots.values())
        unknown = [name for name in names if name not in self._slots]
        if unknown:
            raise KeyError(unknown[0])
        return [self._slots[name] for name in dict.fromkeys(names)]

    def _collect(self, slots: list[_Slot], force: bool) -> list[CheckResult]:
        now = _clock()
        results: list[Any] = [None] * len(slots)
        waiting: list[tuple[int, _Slot, _Run]] = []
        inline: tuple[int, _Slot, _Run] | None = None
        for index, slot in enumerate(slots):
            with slot.lock:
                if not force and slot.cached_result is not None and now < slot.expires:
                    results[index] = slot.cached_result
                    continue
                if slot.run is not None:
                    waiting.append((index, slot, slot.run))
                elif inline is None and self._runs_inline(slot):
                    slot.runs += 1
                    slot.run = _Run(time.monotonic() + slot.timeout)
                    inline = (index, slot, slot.run)
                else:
                    slot.run = self._start(slot)
                    waiting.append((index, slot, slot.run))
        if inline is not None:
            # Once every other run is on its way, and before any wait: its deadline is running.
            index, slot, run = inline
            results[index] = self._run_inline(slot, run)
        for index, slot, run in waiting:
            results[index] = self._wait(slot, run)
        return results

    def _latest(self, slots: list[_Slot]) -> Report:
        """The latest results (background mode); one older than :attr:`stale_after` is not trusted.

        A result that old means the refresh has not run for two intervals: a
        status served from it could be anything by now, so the check reads
        failed ("stale") and the report ``unknown``, which fails.
        """
        now = _clock()
        results = []
        is_complete = True
        for slot in slots:
            result = slot.cached_result
            if result is None:
                is_complete = False
                result = CheckResult(
                    slot.check.label, False, "no result yet", 0.0, utcnow(), critical=slot.check.critical
                )
            elif now - slot.stored_at > self.stale_after:
                is_complete = False
                result = self._stale(slot, now - slot.stored_at)
            results.append(result)
        if is_complete:
            self._is_stale_logged = False  # fresh again: a later stop is logged anew
        return Report(tuple(results), is_complete=is_complete)

    def _stale(self, slot: _Slot, age: float) -> CheckResult:
        """A failed result saying that ``slot``'s latest result is ``age`` seconds old; logged once."""
        if not self._is_stale_logged:
            self._is_stale_logged = True
            logger.error(
                "the background health refresh has produced nothing for %.0f s (interval %g s): "
                "health is reported unknown until it does",
                age,
                self.background_interval,
            )
        output = f"stale: the latest result is {age:.0f} s old; the background refresh has stopped"
        return CheckResult(slot.check.label, False, output, 0.0, utcnow(), critical=slot.check.critical)

    # -- running -----------------------------------------------------------

    def _runs_inline(self, slot: _Slot) -> bool:
        """Whether ``slot``'s check may run on the asking thread (the caller holds ``slot.lock``).

        Only when its function promises, through ``runs_within``, that its
        own timeouts end it before the run's deadline (asked once: a run's
        deadline is always its check's timeout away); never after the
        backstop tripped, and never with a shared cache.
        """
        if slot.can_run_inline is None:
            slot.can_run_inline = self.shared_cache is None and self._is_bounded(slot)
        return slot.can_run_inline

    def _is_bounded(self, slot: _Slot) -> bool:
        """Whether ``slot``'s check function promises to end within its timeout (``runs_within``)."""
        runs_within = getattr(slot.check.func, "runs_within", None)
        if runs_within is None:
            return False
        try:
            return runs_within(slot.timeout) is True
        except Exception:  # noqa: BLE001 - logged; a promise that cannot be read is no promise
            logger.exception("reading whether %r may run inline failed; it runs on workers", slot.check.label)
            return False

    def _start(self, slot: _Slot) -> _Run:
        """Start a run of ``slot``'s check on a worker (the caller holds ``slot.lock``)."""
        slot.runs += 1
        run = _Run(time.monotonic() + slot.timeout)
        context = contextvars.copy_context()
        self._pool.start(lambda: context.run(self._complete, slot, run))
        return run

    def _run_inline(self, slot: _Slot, run: _Run) -> CheckResult:
        """Run ``slot``'s check on this thread; a run that ends past its deadline trips the backstop.

        Such a run is answered as any run past its deadline (timed out), and
        its check goes to the workers from then on, so that later probes do
        not wait on it; what it found is kept as its latest result all the same.
        """
        result = self._complete(slot, run, is_inline=True)
        ended = time.monotonic()
        if ended <= run.deadline:
            return result
        with slot.lock:
            is_first = slot.can_run_inline
            slot.can_run_inline = False
            if run.timeout_result is None:
                run.timeout_result = timed_out(slot.check, slot.timeout)
            result = run.timeout_result
        if is_first:
            logger.error(
                "health check %r ran %.3f s on the thread that asked for it, past its %g s deadline, "
                "although its own timeouts should have ended it sooner; it runs on a worker from now on",
                slot.check.label,
                ended - (run.deadline - slot.timeout),
                slot.timeout,
            )
        return result

    def _complete(self, slot: _Slot, run: _Run, is_inline: bool = False) -> CheckResult:
        """Run the check and keep its result (on a worker, also after the deadline passed; or inline).

        Never raises, but for the ``KeyboardInterrupt`` or ``SystemExit`` of
        an inline run (a signal: the process is stopping), and then only once
        the run is finished with a failed result, so that its waiters are
        answered and a later request can start another. The runner turns
        whatever the check does into a result, and a fault of the shared
        cache falls back to running here.
        """
        errors: list[BaseException] = []
        try:
            if self.shared_cache is None:
                result = run_check(
                    slot.check, self.di, slot.timeout, run.deadline, errors.append, is_interruptible=is_inline
                )
            else:
                result = self._produce_shared(slot, run, errors)
        except BaseException as error:
            _, output = interpret_exception(error)
            interrupted = CheckResult(
                slot.check.label, False, finished_output(output), 0.0, utcnow(), critical=slot.check.critical
            )
            self._finish(slot, run, interrupted)
            raise
        return self._finish(slot, run, result, errors[0] if errors else None)

    def _produce_shared(self, slot: _Slot, run: _Run, errors: list[BaseException]) -> CheckResult:
        """A result through the shared cache: another process's, or a run here (never inline)."""
        assert self.shared_cache is not None

        def run_here() -> CheckResult:
            return run_check(slot.check, self.di, slot.timeout, run.deadline, errors.append)

        try:
            return self.shared_cache.produce(
                slot.check.label,
                run_here,
                lambda result: slot.success_ttl if result.passed else slot.failed_ttl,
                run.deadline,
                critical=slot.check.critical,
            )
        except BaseException:  # noqa: BLE001 - logged; the cache must never decide the answer
            logger.exception("the shared health cache failed on %r; running it here", slot.check.label)
            # produce() never raises for what Redis does; this is a fault of its own, before or
            # after the run: the answer comes from a run here either way.
            return run_here()

    def _finish(
        self, slot: _Slot, run: _Run, result: CheckResult, error: BaseException | None = None
    ) -> CheckResult:
        """Keep ``result`` as the run's and the check's latest, wake the run's waiters; return it as kept."""
        run.result = result  # what waiters get should storing it fail
        try:
            with slot.lock:
                if slot.run is run:
                    slot.run = None
                run.result = result = self._store(slot, result, error)
        finally:
            run.finished.release()
        return result

    def _wait(self, slot: _Slot, run: _Run) -> CheckResult:
        """``run``'s result, or past its deadline a timed-out failure (kept if the run is still going)."""
        remaining = run.deadline - time.monotonic()
        if run.finished.acquire(True, remaining) if remaining > 0 else run.finished.acquire(False):
            run.finished.release()
            result = run.result
            assert result is not None  # set before finished is released
            return result
        with slot.lock:
            if run.timeout_result is None:
                run.timeout_result = timed_out(slot.check, slot.timeout)
                if run.result is None:
                    run.timeout_result = self._store(slot, run.timeout_result)
            return run.timeout_result

    def _store(self, slot: _Slot, result: CheckResult, error: BaseException | None = None) -> CheckResult:
        """Keep ``result`` as the latest and return it as kept (the caller holds ``slot.lock``).

        When the check turns failing because it raised something unexpected,
        the traceback is logged, scrubbed, once for this change.
        """
        result = slot.judge.judge(result)
        previous = slot.result
        if previous is None or previous.passed != result.passed:
            slot.status_since = result.timestamp
            if previous is not None:
                slot.status_changes += 1
            if error is not None and not result.passed:
                log_failure(slot.check.label, result.output, error)
        if result.passed:
            slot.last_success = result.timestamp
        # A run that failed while damping holds the status is checked again as soon as a failure is.
        ran_passed = result.passed if result.raw_passed is None else result.raw_passed
        ttl = slot.success_ttl if ran_passed else slot.failed_ttl
        result, slot.cached_result = kept_results(
            result, slot.status_since, ttl, slot.last_success, slot.status_changes
        )
        slot.result = result
        # A result shared by another process is already some seconds old.
        age = max(0.0, (utcnow() - result.timestamp).total_seconds()) if result.cached else 0.0
        slot.stored_at = _clock()
        slot.expires = slot.stored_at + ttl - age if ttl else 0.0
        if self._runs.has_listeners:
            self._runs.tell(CheckRun(result, previous))
        return result

    # -- status changes and background refresh -----------------------------

    def _refresh_forever(self) -> None:
        interval = self.background_interval
        assert interval is not None
        while not self._stop.is_set():
            try:
                self.refresh()
            except BaseException:  # noqa: BLE001 - logged; the refresh must outlive anything a check does
                logger.exception("the background health refresh failed; trying again in %g s", interval)
            self._stop.wait(interval)


def _seconds(key: str, value: Any, **limits: Any) -> Any:
    """``seconds()`` for the engine's own arguments, named as ``HealthEngine(...)`` takes them."""
    return seconds(f"HealthEngine({key}=...)", value, **limits)


def _close_check(slot: _Slot) -> None:
    """Call the check function's ``close()``, if it has one (the ready-made checks that keep a client)."""
    close = getattr(slot.check.func, "close", None)
    if callable(close):
        try:
            close()
        except Exception:  # noqa: BLE001 - logged; one failing close must not stop the others
            logger.exception("closing the check %r failed", slot.check.label)


def log_failure(name: str, output: str, error: BaseException) -> None:
    """Log the traceback of ``error``, which made the check ``name`` fail (scrubbed by the logger)."""
    logger.warning("health check %r failed: %s", name, output, exc_info=error)
