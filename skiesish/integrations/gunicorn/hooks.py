"""gunicorn server hooks that run a probe listener in the master process (see the package's docs)."""

from __future__ import annotations

import dataclasses
import functools
import inspect
import os
import pkgutil
import signal
import threading
from collections.abc import Callable, MutableMapping
from typing import Any

from ...durations import MAX_DRAIN, seconds
from ...exceptions import ConfigurationError
from ...extras import import_extra
from ...probe_listener.listener import DEFAULT_THREADS, ProbeListener, WSGIApplication, listener_threads
from ...probe_listener.watch import DEFAULT_STALL_AFTER, stall_seconds
from ...scrubbing.text import scrub_text
from ...service_state import service_state_of
from ...serving import listen_address
from .watch import GunicornWatch

__all__ = ["GunicornProbeListener", "probe_listener"]


@dataclasses.dataclass
class _Serving:
    """What the master runs once ``when_ready`` has started it; workers inherit it at their fork."""

    arbiter: Any
    watch: GunicornWatch
    listener: ProbeListener
    settings: tuple[Any, ...]
    drain: float
    loaded_probes: Any = None
    drain_timer: threading.Timer | None = None
    is_draining: bool = False


#: The probe listener this master started: a reload's new configuration adopts it.
_serving_here: _Serving | None = None


class GunicornProbeListener:
    """gunicorn server hooks that run a :class:`~skiesish.ProbeListener` in the master process.

    Build it with :func:`probe_listener` and put its hooks in the configuration
    with :meth:`install`. Each hook is also a method, for configurations that
    call them from hooks of their own.
    """

    #: The server hooks :meth:`install` defines, in gunicorn's names.
    HOOKS = (
        "when_ready",
        "on_reload",
        "pre_fork",
        "post_fork",
        "post_worker_init",
        "pre_request",
        "post_request",
        "child_exit",
        "worker_exit",
        "on_exit",
    )
    #: The hooks where skiesish's part runs after the configuration's own (they end something).
    ENDING_HOOKS = frozenset({"post_request", "child_exit", "worker_exit", "on_exit"})

    def __init__(
        self,
        listen: str,
        probes: WSGIApplication | str | None = None,
        *,
        stall_after: float = DEFAULT_STALL_AFTER,
        drain: float = 0.0,
        threads: int = DEFAULT_THREADS,
    ) -> None:
        import_extra("gunicorn", "gunicorn", "skiesish.integrations.gunicorn")
        self.listen = listen_address(listen, "listen")
        self.probes = _checked_probes(probes)
        self.stall_after = stall_seconds(stall_after)
        drain_seconds = seconds("drain", drain, maximum=MAX_DRAIN, allow_zero=True)
        assert drain_seconds is not None  # None is allowed only with allow_none
        self.drain = drain_seconds
        self.threads = listener_threads(threads)
        self._serving: _Serving | None = None

    @property
    def listener(self) -> ProbeListener | None:
        """The probe listener, once ``when_ready`` has started it (in the master and its workers)."""
        return None if self._serving is None else self._serving.listener

    @property
    def watch(self) -> GunicornWatch | None:
        """The workers' heartbeat, once ``when_ready`` has started the listener."""
        return None if self._serving is None else self._serving.watch

    def install(self, namespace: MutableMapping[str, Any]) -> None:
        """Define the server hooks (:attr:`HOOKS`) in a configuration module's ``globals()``.

        A hook the namespace defines already is chained, not replaced: on
        hooks that start something (``when_ready``, ``on_reload``,
        ``pre_fork``, ``post_fork``, ``post_worker_init``, ``pre_request``)
        skiesish's part runs first and then yours; on hooks that end
        something (``post_request``, ``child_exit``, ``worker_exit``,
        ``on_exit``) yours runs first and then skiesish's, even if yours
        raised. So call ``install`` after defining your own hooks.

        Raises:
            ConfigurationError: a hook there is not a function of the arguments gunicorn
                passes, or ``install`` was already called on this namespace.
        """
        if not isinstance(namespace, MutableMapping):
            raise TypeError(f"install() expects a configuration's globals(), got {type(namespace).__name__}")
        if any(getattr(namespace.get(name), "skiesish_hook", False) for name in self.HOOKS):
            raise ConfigurationError("install() was already called on this configuration: call it once")
        for name in self.HOOKS:
            namespace[name] = _chained(
                name, getattr(self, name), namespace.get(name), name in self.ENDING_HOOKS
            )

    # Hooks of the master.

    def when_ready(self, server: Any) -> None:
        """Start the probe listener in the master; on an unusable address, halt gunicorn with status 2."""
        global _serving_here
        if self._serving is not None:
            return
        _log_through_gunicorn(server)
        try:
            self._serving = self._start(server)
        except ValueError as error:  # ConfigurationError too
            server.halt(reason=f"skiesish probe listener: {scrub_text(str(error))}", exit_status=2)
            return
        _serving_here = self._serving
        _fail_readiness_on_signals(self._serving)
        server.log.info(
            "skiesish: probes served on http://%s:%d (worker_pool stalls after %g s)",
            self._serving.listener.host,
            self._serving.listener.port,
            self.stall_after,
        )
        kind = _worker_kind(server.worker_class)
        if kind not in ("sync", "gthread"):
            server.log.warning(
                "skiesish: the worker_pool heartbeat counts each %s worker busy only at worker_connections "
                "(%d) requests in flight: an event loop blocked with fewer goes unseen",
                server.worker_class.__name__,
                server.cfg.worker_connections,
            )

    def on_reload(self, server: Any) -> None:
        """After SIGHUP re-read the configuration: keep the probe listener started before."""
        serving = _serving_here
        if self._serving is not None or serving is None:
            return
        self._serving = serving
        if serving.settings != self._settings():
            server.log.warning(
                "skiesish: the probe listener keeps its settings until gunicorn restarts (serving on %s:%d)",
                serving.listener.host,
                serving.listener.port,
            )

    def pre_fork(self, server: Any, worker: Any) -> None:
        """Assign the worker about to be forked a heartbeat slot."""
        if self._serving is None:
            return
        if self._serving.watch.assign(worker.age) is None:
            server.log.warning(
                "skiesish: no heartbeat slot left for a new worker (all %d are taken): worker_pool does "
                "not see it",
                self._serving.watch.slots,
            )

    def child_exit(self, server: Any, worker: Any) -> None:
        """Free the heartbeat slot of a worker that has exited."""
        if self._serving is not None:
            self._serving.watch.release(worker.age)

    def worker_exit(self, server: Any, worker: Any) -> None:
        """In the master (a worker found gone when signalled), free its slot; nothing in the worker."""
        if self._serving is not None and os.getpid() == server.pid:
            self._serving.watch.release(worker.age)

    def on_exit(self, server: Any) -> None:
        """Stop the probe listener: gunicorn's master is about to exit."""
        global _serving_here
        serving, self._serving = self._serving, None
        if serving is None:
            return
        _serving_here = None
        if serving.drain_timer is not None:
            serving.drain_timer.cancel()
        serving.listener.close()
        close = getattr(serving.loaded_probes, "close", None)
        if callable(close):
            close()

    # Hooks of a worker.

    def post_fork(self, server: Any, worker: Any) -> None:
        """In the new worker: close the probe listener's sockets, which only the master may hold."""
        if self._serving is not None:
            self._serving.listener.close_after_fork()

    def post_worker_init(self, worker: Any) -> None:
        """The worker has booted: register its pid and capacity in its slot."""
        if self._serving is None:
            return
        kind = _worker_kind(type(worker))
        capacity = {"sync": 1, "gthread": worker.cfg.threads}.get(kind, worker.cfg.worker_connections)
        self._serving.watch.register(worker.age, os.getpid(), max(1, capacity))

    def pre_request(self, worker: Any, req: Any) -> None:
        """Count a request in flight."""
        if self._serving is not None:
            self._serving.watch.request_started()

    def post_request(self, worker: Any, req: Any, environ: Any, resp: Any) -> None:
        """Count a request finished."""
        if self._serving is not None:
            self._serving.watch.request_finished()

    def _start(self, server: Any) -> _Serving:
        """Load the probes, bind the port and start serving it.

        Raises:
            ValueError: the probes cannot be loaded or are no skiesish application, or the address
                cannot be listened on.
        """
        loaded = _load_probes(self.probes) if isinstance(self.probes, str) else None
        probes: WSGIApplication | None = loaded if isinstance(self.probes, str) else self.probes
        watch = GunicornWatch(self.stall_after)
        try:
            listener = ProbeListener(
                self.listen,
                probes,
                watch=watch,
                started=watch.has_booted if probes is None else None,
                threads=self.threads,
            )
        except ValueError:
            close = getattr(loaded, "close", None)
            if callable(close):
                close()
            raise
        watch.attach(server)
        listener.start()
        return _Serving(server, watch, listener, self._settings(), self.drain, loaded)

    def _settings(self) -> tuple[Any, ...]:
        probes = self.probes if isinstance(self.probes, str) else None
        return (self.listen, probes, self.stall_after, self.drain, self.threads)

    def __repr__(self) -> str:
        state = "not started" if self._serving is None else f"serving on port {self._serving.listener.port}"
        return f"<GunicornProbeListener {self.listen} {state}>"


def probe_listener(
    listen: str,
    probes: WSGIApplication | str | None = None,
    *,
    stall_after: float = DEFAULT_STALL_AFTER,
    drain: float = 0.0,
    threads: int = DEFAULT_THREADS,
) -> GunicornProbeListener:
    """Probes for gunicorn on ``listen``, served by the master; call :meth:`~GunicornProbeListener.install`.

    Every argument is checked here, when gunicorn reads its configuration.

    Args:
        listen: ``HOST:PORT`` for the probes, apart from gunicorn's ``bind``.
        probes: a skiesish probes application
            (``skiesish.contexts.wsgi(skiesish.probes(...))``) or its
            ``"MODULE:ATTR"``, imported by the master when gunicorn is ready.
            Its checks run in the master. Without it: the built-in probes.
        stall_after: seconds without a request started or finished, while
            every worker is busy, before ``worker_pool`` fails.
        drain: seconds the master keeps serving after SIGTERM, with
            readiness failing, before it stops (0: stop at once).
        threads: the probe listener's own threads.

    Raises:
        ValueError: (a ConfigurationError but for ``listen``) an argument is malformed or out of range.
        MissingExtraError: gunicorn is not installed.

    Example:
        >>> probe_listener("0.0.0.0:8081", stall_after=30, drain=5).install(globals())
    """
    return GunicornProbeListener(listen, probes, stall_after=stall_after, drain=drain, threads=threads)


def _checked_probes(probes: Any) -> WSGIApplication | str | None:
    """``probes`` if it is ``None``, a skiesish application or a ``MODULE:ATTR``; else ConfigurationError."""
    if probes is None:
        return None
    if isinstance(probes, str):
        module, colon, attribute = probes.partition(":")
        if not (colon and module and attribute):
            raise ConfigurationError(
                "probes must be a skiesish application or its MODULE:ATTR, like myapp.probes:application; "
                f"got {probes!r:.80}"
            )
        return probes
    if service_state_of(probes) is None:
        raise ConfigurationError(
            "probes must be a skiesish application (for example "
            "skiesish.contexts.wsgi(skiesish.probes(...))) so that the workers' heartbeat joins its probes; "
            f"got {type(probes).__name__}"
        )
    return probes  # type: ignore[no-any-return]


def _load_probes(target: str) -> Any:
    """Import ``MODULE:ATTR`` in the master.

    Raises:
        ValueError: importing it raised; the sentence names ``target`` and the error.
    """
    try:
        return pkgutil.resolve_name(target)
    except Exception as error:  # noqa: BLE001 - importing a user's module can raise anything
        raise ValueError(
            f"probes {target!r}: expected a module and attribute to import, "
            f"but {type(error).__name__}: {error}"
        ) from None


def _worker_kind(worker_class: type) -> str:
    """``"sync"``, ``"gthread"`` or ``"other"``, from the worker class's ancestry (no gunicorn import)."""
    for cls in worker_class.__mro__:
        name = (cls.__module__, cls.__qualname__)
        if name == ("gunicorn.workers.gthread", "ThreadWorker"):
            return "gthread"
        if name == ("gunicorn.workers.sync", "SyncWorker"):
            return "sync"
    return "other"


def _fail_readiness_on_signals(serving: _Serving) -> None:
    """Wrap the arbiter's SIGTERM, SIGINT and SIGQUIT handlers: readiness fails first, with ``drain`` on TERM.

    gunicorn's signal handlers only queue the signal; its main loop then calls
    ``arbiter.handle_term()`` (and so on), looked up on the arbiter each time.
    """
    arbiter = serving.arbiter
    for name, drains in (("handle_term", True), ("handle_int", False), ("handle_quit", False)):
        original = getattr(arbiter, name)
        setattr(arbiter, name, functools.partial(_draining_then, serving, original, drains))


def _draining_then(serving: _Serving, stop: Callable[[], None], drains: bool) -> None:
    """Fail readiness; on the first SIGTERM with a drain, re-send SIGTERM later instead of stopping now."""
    is_first = not serving.is_draining
    serving.is_draining = True
    serving.listener.start_draining()
    if drains and is_first and serving.drain > 0:
        serving.arbiter.log.info(
            "skiesish: readiness fails from now on; stopping in %g s (another signal stops at once)",
            serving.drain,
        )
        timer = threading.Timer(serving.drain, os.kill, (os.getpid(), signal.SIGTERM))
        timer.daemon = True
        timer.start()
        serving.drain_timer = timer
        return
    stop()


def _chained(name: str, ours: Callable[..., None], theirs: Any, theirs_first: bool) -> Callable[..., None]:
    """The hook ``name``: ``ours`` and the configuration's own ``theirs`` (if any), in order.

    The result has ``ours``'s signature, which gunicorn checks by counting its arguments.

    Raises:
        ConfigurationError: ``theirs`` is not a function taking the arguments gunicorn passes.
    """
    wanted = _arity(ours)
    theirs_arity = 0
    if theirs is not None:
        allowed = (2, 3, 4) if name == "post_request" else (wanted,)  # gunicorn's own rule
        if not callable(theirs) or _arity(theirs) not in allowed:
            raise ConfigurationError(
                f"{name} must be a function of {wanted} arguments (server hooks are chained with "
                f"skiesish's), got {theirs!r:.80}"
            )
        theirs_arity = _arity(theirs)

    @functools.wraps(ours)
    def hook(*arguments: Any) -> None:
        if theirs is None:
            ours(*arguments)
        elif theirs_first:
            try:
                theirs(*arguments[:theirs_arity])
            finally:
                ours(*arguments)
        else:
            ours(*arguments)
            theirs(*arguments[:theirs_arity])

    hook.skiesish_hook = True  # type: ignore[attr-defined]
    return hook


def _arity(function: Callable[..., Any]) -> int:
    """The positional parameters of ``function``, counted as gunicorn counts them."""
    positional = (inspect.Parameter.POSITIONAL_ONLY, inspect.Parameter.POSITIONAL_OR_KEYWORD)
    try:
        parameters = inspect.signature(function).parameters.values()
    except (TypeError, ValueError):
        return -1
    return sum(parameter.kind in positional for parameter in parameters)


def _log_through_gunicorn(server: Any) -> None:
    """Send skiesish's log lines (``worker_pool is now fail``, ...) to gunicorn's error log.

    Only when nothing else receives them: without a handler of their own or
    the root logger's, they would reach bare stderr, warnings only. They
    still pass skiesish's scrubbing filter first.
    """
    import logging

    skiesish_logger = logging.getLogger("skiesish")
    error_log = getattr(server.log, "error_log", None)
    if skiesish_logger.handlers or logging.getLogger().handlers or error_log is None:
        return
    for handler in error_log.handlers:
        skiesish_logger.addHandler(handler)
    skiesish_logger.setLevel(error_log.level)
