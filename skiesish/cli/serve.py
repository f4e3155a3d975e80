"""``skiesish serve``: an application under waitress, with validated settings and a clean stop."""

from __future__ import annotations

import os
import sys

from ..probe_listener.watch import DEFAULT_STALL_AFTER
from ..service_state import service_state_of
from ..serving import create_waitress_server, listen_address
from .arguments import seconds_option, whole_number
from .loading import close_application, load_application
from .output import say, scrub_line

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    import argparse
    from collections.abc import Callable
    from types import FrameType
    from typing import Any

__all__ = ["add_serve_parser", "listen_address", "serve", "validate_serve"]

#: Where ``serve`` listens unless told otherwise.
DEFAULT_LISTEN = "127.0.0.1:9090"
#: waitress's worker threads: requests run at once (idle connections hold none).
DEFAULT_THREADS = 4
MAX_THREADS = 1024
#: Client connections open at once. waitress's own 100 let 99 idle or slow clients shut out
#: every probe; 1000 keeps probes answered under hundreds and fits the usual descriptor limits.
DEFAULT_CONNECTION_LIMIT = 1000
MAX_CONNECTION_LIMIT = 100_000
#: Seconds an idle connection is kept: waitress's default, above the 60 s idle timeout of common
#: load balancers, so that they, not the server, close a pooled connection.
DEFAULT_CHANNEL_TIMEOUT = 120
MAX_CHANNEL_TIMEOUT = 3600
#: Connections the kernel queues before the server accepts them (waitress's default).
DEFAULT_BACKLOG = 1024
MAX_BACKLOG = 65_535
#: Descriptors kept free beside the connections: listening sockets, waitress's wake-up pipes, the
#: standard streams, and what the application opens (database connections, files, logs).
RESERVED_DESCRIPTORS = 64
#: select() cannot watch a descriptor numbered 1024 (FD_SETSIZE) or above; poll() has no such bound.
SELECT_DESCRIPTORS = 1024


def serve(
    target: str,
    listen: str,
    threads: int,
    drain: float = 0.0,
    *,
    connection_limit: int | None = None,
    channel_timeout: int = DEFAULT_CHANNEL_TIMEOUT,
    backlog: int = DEFAULT_BACKLOG,
    use_poll: bool = True,
    probe_listen: str | None = None,
    probes: str | None = None,
    stall_after: float = DEFAULT_STALL_AFTER,
    grpc_listen: str | None = None,
) -> int:
    """Serve the WSGI application ``target`` with waitress until SIGTERM or SIGINT.

    On the first signal readiness starts failing (``service_state``); with
    ``drain`` the server keeps answering that long, so load balancers and
    Kubernetes stop sending traffic, and then stops. A second signal stops
    it at once. ``connection_limit`` counts client connections (``None``:
    :data:`DEFAULT_CONNECTION_LIMIT`, or fewer if the process may not open
    that many descriptors); the soft ``RLIMIT_NOFILE`` is raised as far as it needs.

    With ``probe_listen``, a :class:`~skiesish.ProbeListener` answers probes
    there, on threads of its own: the application ``probes`` names, or the
    built-in ones. Its liveness and readiness include the heartbeat of
    waitress's workers (``worker_pool``), failing after ``stall_after``
    seconds without progress while no worker is free.

    With ``grpc_listen``, a plaintext gRPC server answers ``grpc.health.v1.Health``
    there from the same application (docs/grpc.md); on the first signal every
    gRPC service turns ``NOT_SERVING`` at once, and the gRPC server stops last.

    Returns:
        0 once stopped by a signal; 2 when the limit or the address cannot be had (said on stderr).
    """
    import select

    use_poll = use_poll and hasattr(select, "poll")
    try:
        limit = _connection_limit(connection_limit, use_poll)
    except ValueError as error:
        say(f"skiesish serve: error: {error}", sys.stderr)
        return 2
    application = load_application(target)
    if not callable(application):
        kind = type(application).__name__
        raise SystemExit(scrub_line(f"skiesish: {target!r} is a {kind}, not a WSGI application"))
    try:
        server = create_waitress_server(
            application,
            listen,
            threads=threads,
            connection_limit=limit,
            channel_timeout=channel_timeout,
            cleanup_interval=min(30, channel_timeout),
            backlog=backlog,
            asyncore_use_poll=use_poll,
        )
    except ValueError as error:
        close_application(application)
        say(f"skiesish serve: error: {error}", sys.stderr)
        return 2
    listener = None
    if probe_listen is not None:
        try:
            listener = _probe_listener(server, probe_listen, probes, stall_after)
        except ValueError as error:
            server.close()
            close_application(application)
            say(f"skiesish serve: error: {error}", sys.stderr)
            return 2
    grpc_server = None
    if grpc_listen is not None:
        try:
            grpc_server = _grpc_health_server(application, grpc_listen)
        except ValueError as error:
            server.close()
            if listener is not None:
                listener.close()
            close_application(application)
            say(f"skiesish serve: error: {error}", sys.stderr)
            return 2
    try:
        states = [service_state_of(application), listener and listener.service_state]
        on_signal = [] if grpc_server is None else [grpc_server.enter_graceful_shutdown]
        _install_signal_handlers([state for state in states if state is not None], drain, on_signal)
        if listener is not None:
            listener.start()
        server.print_listen("skiesish serving on http://{}:{}")
        if grpc_server is not None:
            say(f"skiesish serving gRPC health on {grpc_server.listen.rsplit(':', 1)[0]}:{grpc_server.port}")
        server.run()
    finally:
        server.close()
        if grpc_server is not None:
            grpc_server.stop()
        if listener is not None:
            listener.close()
            if probes is not None and listener.probes is not application:
                close_application(listener.probes)
        close_application(application)
    return 0


def _grpc_health_server(application: Any, listen: str) -> Any:
    """A started gRPC health server answering from ``application``'s checks.

    Raises:
        ValueError: grpcio is missing, ``application`` is no HealthCheck or
            probes context, or the address cannot be listened on.
    """
    from ..exceptions import ConfigurationError, MissingExtraError

    try:
        from ..integrations.grpc import start_health_server

        return start_health_server(application, listen)
    except (MissingExtraError, ConfigurationError) as error:
        raise ValueError(f"--grpc-listen: {error}") from None


def _probe_listener(server: Any, listen: str, probes: str | None, stall_after: float) -> Any:
    """A probe listener (not yet started) watching ``server``'s workers.

    Raises:
        ValueError: the address cannot be listened on, or ``probes`` is no skiesish application.
    """
    from ..exceptions import ConfigurationError
    from ..probe_listener import ProbeListener, ThreadPoolWatch, accepting

    watch = ThreadPoolWatch.for_waitress(server, stall_after)
    if probes is None:
        started = accepting(server.effective_host, server.effective_port)
        return ProbeListener(listen, watch=watch, started=started, option="--probe-listen")
    application = load_application(probes)
    try:
        return ProbeListener(listen, application, watch=watch, option="--probe-listen")
    except (ConfigurationError, ValueError) as error:
        close_application(application)
        raise ValueError(
            f"--probes {probes}: {error}" if isinstance(error, ConfigurationError) else error
        ) from None


def _connection_limit(requested: int | None, use_poll: bool) -> int:
    """The client connections to allow, after raising the soft RLIMIT_NOFILE as far as they need.

    Raises:
        ValueError: ``requested`` needs more descriptors than the process may have.
    """
    import logging

    limit = DEFAULT_CONNECTION_LIMIT if requested is None else requested
    wanted = limit + RESERVED_DESCRIPTORS
    available = _raise_descriptor_limit(wanted if use_poll else min(wanted, SELECT_DESCRIPTORS))
    if not use_poll:
        available = min(available, SELECT_DESCRIPTORS)
    if wanted <= available:
        return limit
    if use_poll:
        ceiling = "RLIMIT_NOFILE"
        remedy = "raise that limit (ulimit -n, docker run --ulimit nofile=N) or lower --connection-limit"
    else:
        ceiling = "select() watches descriptors below 1024 only"
        remedy = "drop --no-asyncore-use-poll or lower --connection-limit"
    fitting = available - RESERVED_DESCRIPTORS
    if requested is not None or fitting < 1:
        raise ValueError(
            f"--connection-limit {limit} needs {wanted} open files ({RESERVED_DESCRIPTORS} kept for the "
            f"rest), but this process may have {available} ({ceiling}): {remedy}"
        )
    logging.getLogger("skiesish").warning(
        "serving at most %d connections, not %d: this process may open %d files (%s)",
        fitting,
        limit,
        available,
        ceiling,
    )
    return fitting


def _raise_descriptor_limit(wanted: int) -> int:
    """Raise the soft RLIMIT_NOFILE to ``wanted`` if the hard limit allows; return the soft limit then."""
    try:
        import resource
    except ImportError:  # not on Unix: no such limit to read
        return wanted
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return wanted if soft == resource.RLIM_INFINITY else soft
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    try:
        resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    except (ValueError, OSError):  # macOS refuses more than its own OPEN_MAX
        return soft
    return target


def _install_signal_handlers(
    states: list[Any], drain: float, on_signal: list[Callable[[], Any]] | None = None
) -> None:
    """Stop on SIGTERM or SIGINT, after ``drain`` seconds with readiness failing, if any ``states``.

    ``on_signal`` are called on the first signal, after ``states`` start draining.
    """
    import logging
    import signal
    import threading

    logger = logging.getLogger("skiesish")

    def stop(signum: int, frame: FrameType | None) -> None:
        name = signal.Signals(signum).name
        if states and not states[0].is_draining:
            for state in states:
                state.start_draining()
            for call in on_signal or ():
                call()
            if drain > 0:
                logger.info("received %s, answering for %g s more before shutting down", name, drain)
                timer = threading.Timer(drain, os.kill, (os.getpid(), signal.SIGTERM))
                timer.daemon = True
                timer.start()
                return
        logger.info("received %s, shutting down", name)
        raise SystemExit(0)

    signal.signal(signal.SIGTERM, stop)
    signal.signal(signal.SIGINT, stop)


def add_serve_parser(commands: Any) -> argparse.ArgumentParser:
    import argparse

    serve_parser: argparse.ArgumentParser = commands.add_parser(
        "serve",
        help="serve a WSGI application with waitress",
        description="Serve MODULE:ATTR with waitress; stops cleanly on SIGTERM or SIGINT. "
        "docs/kubernetes.md explains each setting.",
    )
    serve_parser.add_argument(
        "target", metavar="MODULE:ATTR", help="the WSGI application, e.g. myapp:application"
    )
    serve_parser.add_argument(
        "--listen",
        default=DEFAULT_LISTEN,
        metavar="HOST:PORT",
        help=f"where to listen; the port is required, 0 picks a free one (default {DEFAULT_LISTEN})",
    )
    serve_parser.add_argument(
        "--threads",
        default=str(DEFAULT_THREADS),
        metavar="N",
        help=f"worker threads: requests answered at once (1 to {MAX_THREADS}, default {DEFAULT_THREADS})",
    )
    serve_parser.add_argument(
        "--connection-limit",
        metavar="N",
        help=f"client connections open at once, idle ones included (default {DEFAULT_CONNECTION_LIMIT}, "
        "fewer if the process may not open that many files)",
    )
    serve_parser.add_argument(
        "--channel-timeout",
        default=str(DEFAULT_CHANNEL_TIMEOUT),
        metavar="SECONDS",
        help=f"close a connection idle this long (1 to {MAX_CHANNEL_TIMEOUT}, "
        f"default {DEFAULT_CHANNEL_TIMEOUT})",
    )
    serve_parser.add_argument(
        "--backlog",
        default=str(DEFAULT_BACKLOG),
        metavar="N",
        help=f"connections the kernel queues before they are accepted (default {DEFAULT_BACKLOG})",
    )
    serve_parser.add_argument(
        "--asyncore-use-poll",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="watch connections with poll(), which has no 1024-descriptor ceiling, not select() "
        "(default: poll)",
    )
    serve_parser.add_argument(
        "--drain",
        default="0",
        metavar="SECONDS",
        help="after SIGTERM, keep answering (with readiness failing) this long before stopping (default 0)",
    )
    serve_parser.add_argument(
        "--probe-listen",
        metavar="HOST:PORT",
        help="also answer probes here, on threads of their own, so that a busy application's probes "
        "never queue; liveness includes the workers' heartbeat (docs/probe-listener.md)",
    )
    serve_parser.add_argument(
        "--probes",
        metavar="MODULE:ATTR",
        help="the skiesish probes application to serve on --probe-listen (default: built-in /livez, "
        "/readyz and /startupz)",
    )
    serve_parser.add_argument(
        "--grpc-listen",
        metavar="HOST:PORT",
        help="also answer gRPC health checks (grpc.health.v1: Check, Watch, List) here, in plaintext, "
        "from the same checks; needs skiesish[grpc] (docs/grpc.md)",
    )
    serve_parser.add_argument(
        "--stall-after",
        metavar="SECONDS",
        help="liveness on --probe-listen fails after this long without a request started or finished "
        f"while no worker is free (default {DEFAULT_STALL_AFTER:g})",
    )
    return serve_parser


def validate_serve(arguments: argparse.Namespace) -> None:
    """Turn ``serve``'s option strings into checked values, in place; ValueError names the first wrong one."""
    from ..durations import MAX_DRAIN
    from ..probe_listener.watch import MAX_STALL_AFTER

    arguments.listen = listen_address(arguments.listen)
    arguments.threads = whole_number("--threads", arguments.threads, 1, MAX_THREADS)
    if arguments.connection_limit is not None:
        arguments.connection_limit = whole_number(
            "--connection-limit", arguments.connection_limit, 1, MAX_CONNECTION_LIMIT
        )
    arguments.channel_timeout = whole_number(
        "--channel-timeout", arguments.channel_timeout, 1, MAX_CHANNEL_TIMEOUT
    )
    arguments.backlog = whole_number("--backlog", arguments.backlog, 1, MAX_BACKLOG)
    arguments.drain = seconds_option("--drain", arguments.drain, MAX_DRAIN, allow_zero=True)
    if arguments.grpc_listen is not None:
        arguments.grpc_listen = _own_address(
            "--grpc-listen", arguments.grpc_listen, arguments.listen, "gRPC needs a port of its own"
        )
    if arguments.probe_listen is None:
        for option, value in (("--probes", arguments.probes), ("--stall-after", arguments.stall_after)):
            if value is not None:
                raise ValueError(f"{option} needs --probe-listen HOST:PORT, the address to answer probes on")
        arguments.stall_after = DEFAULT_STALL_AFTER
        return
    arguments.probe_listen = _own_address(
        "--probe-listen", arguments.probe_listen, arguments.listen, "the probes need a port of their own"
    )
    if arguments.stall_after is None:
        arguments.stall_after = DEFAULT_STALL_AFTER
    else:
        arguments.stall_after = seconds_option("--stall-after", arguments.stall_after, MAX_STALL_AFTER)


def _own_address(option: str, text: str, listen: str, why: str) -> str:
    """``option``'s address, read as :func:`listen_address` reads it, and not ``--listen``'s own.

    Raises:
        ValueError: the address is malformed, or the same as ``listen`` (but for port 0, a free one).
    """
    address = listen_address(text, option)
    if address == listen and not listen.endswith(":0"):
        raise ValueError(f"{option} must differ from --listen: both are {listen}, and {why}")
    return address
