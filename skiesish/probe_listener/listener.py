"""A small HTTP server for probes, on its own socket and threads inside the application's process."""

from __future__ import annotations

import socket
import threading
from collections.abc import Callable, Iterable
from typing import Any

from ..exceptions import ConfigurationError
from ..log import logger
from ..service_state import service_state_of
from ..serving import create_waitress_server, listen_address
from .watch import WorkerWatch

__all__ = ["ProbeListener", "accepting", "builtin_probes", "listener_threads", "start_probe_listener"]

#: The listener's own worker threads: probes are quick, and two keep one slow probe from queueing the next.
DEFAULT_THREADS = 2
#: The most threads a listener may have: probes need few, and each costs a thread's memory.
MAX_THREADS = 32
#: Client connections the listener keeps open at once: probers, not the public.
CONNECTION_LIMIT = 100
#: Seconds an idle probe connection is kept.
CHANNEL_TIMEOUT = 30
#: Seconds the startup check waits for the main server to accept a connection.
ACCEPT_TIMEOUT = 1.0

WSGIApplication = Callable[[dict[str, Any], Callable[..., Any]], Iterable[bytes]]


class ProbeListener:
    """Serves a probes application on its own port and threads, so that probes never queue behind work.

    The ``watch`` (the heartbeat of the main server's workers) joins every
    ``/livez`` and ``/readyz`` of ``probes`` as the check ``worker_pool``:
    a listener apart from the workers must still fail when they are wedged.
    Without ``probes`` it serves :func:`builtin_probes`.

    Args:
        listen: ``HOST:PORT`` to listen on (port 0: any free port, see :attr:`port`).
        probes: a skiesish WSGI application, typically
            ``skiesish.contexts.wsgi(skiesish.probes(...))``.
        watch: the main server's heartbeat (:class:`~skiesish.ThreadPoolWatch`,
            :class:`~skiesish.EventLoopWatch`, or the gunicorn integration's).
        started: for the built-in probes, a function that returns ``True``
            once the application has started (``/startupz`` passes from then on).
        threads: the listener's own worker threads.

    Raises:
        ConfigurationError: ``probes`` is not a skiesish application but a
            ``watch`` was given, which could then not join its probes.
        ValueError: ``listen`` is malformed, in use, or not of this machine (one sentence).

    Example:
        >>> listener = skiesish.start_probe_listener("0.0.0.0:8081", watch=watch)
        >>> listener.close()  # at shutdown
    """

    def __init__(
        self,
        listen: str,
        probes: WSGIApplication | None = None,
        *,
        watch: WorkerWatch | None = None,
        started: Callable[[], bool] | None = None,
        threads: int = DEFAULT_THREADS,
        option: str = "listen",
    ) -> None:
        if watch is not None and not isinstance(watch, WorkerWatch):
            raise ConfigurationError(f"watch must be a skiesish WorkerWatch, got {type(watch).__name__}")
        if probes is not None and started is not None:
            raise ConfigurationError("started= is for the built-in probes; give your probes a startup check")
        self.listen = listen_address(listen, option)
        self.threads = listener_threads(threads)
        self.watch = watch
        self.probes = builtin_probes(started) if probes is None else probes
        self._owns_probes = probes is None
        self.service_state = service_state_of(self.probes)
        if watch is not None:
            if self.service_state is None:
                raise ConfigurationError(
                    "the probe listener's application must be a skiesish application (for example "
                    "skiesish.contexts.wsgi(skiesish.probes(...))), so that the worker heartbeat joins its "
                    f"liveness and readiness; got {type(self.probes).__name__}"
                )
            self.service_state.add_watch(watch)
        self._socket_map: dict[int, Any] = {}
        self._server = create_waitress_server(
            self.probes,
            self.listen,
            option,
            self._socket_map,
            threads=self.threads,
            connection_limit=CONNECTION_LIMIT,
            channel_timeout=CHANNEL_TIMEOUT,
            cleanup_interval=CHANNEL_TIMEOUT,
            ident="skiesish-probes",
        )
        self._thread: threading.Thread | None = None
        self._closed = threading.Event()

    @property
    def host(self) -> str:
        """The address listened on."""
        return str(self._server.effective_host)

    @property
    def port(self) -> int:
        """The port listened on (the one picked, when ``listen`` asked for port 0)."""
        return int(self._server.effective_port)

    @property
    def is_alive(self) -> bool:
        """Whether the listener's thread is serving."""
        return self._thread is not None and self._thread.is_alive()

    def start(self) -> ProbeListener:
        """Serve on a daemon thread of its own; return ``self``."""
        if self._thread is not None:
            raise RuntimeError("this probe listener was already started")
        self._thread = threading.Thread(target=self._serve, name="skiesish-probe-listener", daemon=True)
        self._thread.start()
        logger.info("probes served on http://%s:%d", self.host, self.port)
        return self

    def start_draining(self) -> None:
        """Fail readiness from now on (the process is shutting down); liveness keeps passing."""
        if self.service_state is not None and not self.service_state.is_draining:
            self.service_state.start_draining()

    def close(self, timeout: float = 5.0) -> None:
        """Stop serving and close the port; then close the built-in probes application."""
        if self._closed.is_set():
            return
        self._closed.set()
        thread = self._thread
        if thread is not None and thread.is_alive():
            self._server.trigger.pull_trigger(self._close_sockets)
            thread.join(timeout)
        else:
            self._close_sockets()
        self._server.task_dispatcher.shutdown(timeout=timeout)
        if self._owns_probes:
            close = getattr(self.probes, "close", None)
            if close is not None:
                close()

    def close_after_fork(self) -> None:
        """In a process forked from this one, close its copies of the listener's sockets and pipe.

        The parent keeps serving on them. Nothing here takes a lock, which a
        thread of the parent may have held at the fork; call it first thing
        in the child (gunicorn's ``post_fork``).
        """
        from waitress import wasyncore

        wasyncore.close_all(self._socket_map, ignore_all=True)

    def _serve(self) -> None:
        try:
            self._server.run()
        except BaseException:  # noqa: BLE001 - logged; the application must keep serving without us
            if not self._closed.is_set():
                logger.exception(
                    "the probe listener on %s:%d stopped; probes there are refused from now on",
                    self.host,
                    self.port,
                )
            self._close_sockets()

    def _close_sockets(self) -> None:
        from waitress import wasyncore

        wasyncore.close_all(self._socket_map)

    def __repr__(self) -> str:
        state = "serving" if self.is_alive else "stopped"
        return f"<ProbeListener {state} on {self.host}:{self.port}>"


def listener_threads(threads: object) -> int:
    """``threads`` if it is a whole number of listener threads from 1 to :data:`MAX_THREADS`.

    Raises:
        ConfigurationError: it is not, saying what arrived.
    """
    if isinstance(threads, bool) or not isinstance(threads, int) or not 1 <= threads <= MAX_THREADS:
        raise ConfigurationError(
            f"threads must be a whole number of probe listener threads from 1 to {MAX_THREADS}, "
            f"got {threads!r:.40}"
        )
    return threads


def start_probe_listener(
    listen: str,
    probes: WSGIApplication | None = None,
    *,
    watch: WorkerWatch | None = None,
    started: Callable[[], bool] | None = None,
    threads: int = DEFAULT_THREADS,
) -> ProbeListener:
    """Start a :class:`ProbeListener` on ``listen`` and return it (serving on its own thread).

    Example:
        >>> server = waitress.create_server(application, listen="0.0.0.0:8080", threads=8)
        >>> listener = skiesish.start_probe_listener(
        ...     "0.0.0.0:8081", watch=skiesish.ThreadPoolWatch.for_waitress(server)
        ... )
        >>> server.run()
    """
    return ProbeListener(listen, probes, watch=watch, started=started, threads=threads).start()


def builtin_probes(started: Callable[[], bool] | None = None) -> Any:
    """The probes served when none are given: the heartbeat, draining, and ``started``.

    ``/livez`` is the heartbeat alone; ``/readyz`` adds shutting down and
    out of service; ``/startupz`` passes once ``started()`` has returned
    ``True`` (at once, without ``started``).
    """
    from ..contexts import wsgi
    from ..handlers.probes import probes
    from ..health import Check

    startup = [] if started is None else [Check(started, name="started", success_ttl=None, failed_ttl=None)]
    return wsgi(probes(startup=startup))


def accepting(host: str, port: int) -> Callable[[], bool]:
    """A ``started`` function: whether a server accepts TCP connections at ``host``:``port`` now.

    A wildcard address (``0.0.0.0``, ``::``) is reached through the loopback.
    """
    host = {"0.0.0.0": "127.0.0.1", "::": "::1", "": "127.0.0.1"}.get(host, host)

    def main_server_accepts() -> bool:
        with socket.create_connection((host, port), timeout=ACCEPT_TIMEOUT):
            return True

    return main_server_accepts
