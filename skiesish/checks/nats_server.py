"""A check of a NATS server: a PING/PONG round trip, and optionally a JetStream stream and consumer."""

from __future__ import annotations

import asyncio
import concurrent.futures
import contextlib
import re
import threading
import time
from types import ModuleType
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from .base import (
    DEFAULT_SOCKET_TIMEOUT,
    Deadline,
    Lazy,
    bounded_by,
    build_check,
    check_timeout,
    counted,
    default_name,
    import_extra,
    latency,
    network_url,
)

__all__ = ["nats"]

#: What a JetStream stream or consumer name may not hold (whitespace, subject tokens, path separators).
_BAD_NAME = re.compile(r"[\s.*>/\\]")
#: Seconds a dropped connection is given to close, in the background; and the loop, to stop.
_CLOSE_TIMEOUT = 2.0


class _AnsweredError(HealthError):
    """A failure the server answered (a missing stream, say): the connection itself is fine, and kept."""


class _ConnectionLost(Exception):
    """The connection closed while a probe waited on it (nats-py told its disconnected callback)."""


async def _ignore(*args: Any) -> None:
    """nats-py's callbacks, silenced: the check reports what went wrong itself (nats-py would log it)."""


class _Session:
    """A private asyncio loop on a daemon thread of its own, and the one nats-py client it drives.

    nats-py is asyncio, and a client belongs to the loop it connected on.
    The engine runs a check on whichever thread it likes, and an ``async``
    check on a new loop per run, which would mean a new connection per
    probe; so the check keeps one loop running on one thread, submits each
    probe to it, and waits for the answer no longer than the probe's
    deadline. The connection lives as long as the check (nats-py answers the
    server's PINGs in between), and the loop thread until the engine closes
    the check. All of the client's state is touched on the loop only.
    """

    def __init__(self, nats_module: ModuleType, url: str, stream: str | None, consumer: str | None) -> None:
        self._nats = nats_module
        self._url, self._stream, self._consumer = url, stream, consumer
        self._client: Any = None
        #: Set (on the loop) once the current client's connection is lost.
        self._lost: asyncio.Event | None = None
        self._closing: set[asyncio.Task[None]] = set()
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="skiesish-nats", daemon=True)
        self._thread.start()

    # -- the probing thread's side --------------------------------------------

    def probe(self, deadline: Deadline) -> str:
        """Run one probe on the loop; return what it found, or raise ``HealthError`` by the deadline."""
        future = asyncio.run_coroutine_threadsafe(self._probe(deadline), self._loop)
        try:
            return future.result(timeout=deadline.left("waiting for the server"))
        except concurrent.futures.TimeoutError:
            future.cancel()  # the loop drops the connection, whatever step it was in
            raise HealthError(f"timed out after {deadline.seconds:g} s waiting for the server") from None

    def close(self) -> None:
        """Close the connection, stop the loop and its thread (each wait bounded)."""
        if self._loop.is_closed():
            return
        if self._thread.is_alive():
            shutdown = asyncio.run_coroutine_threadsafe(self._shutdown(), self._loop)
            with contextlib.suppress(Exception):
                shutdown.result(timeout=2 * _CLOSE_TIMEOUT)
            self._loop.call_soon_threadsafe(self._loop.stop)
            self._thread.join(timeout=_CLOSE_TIMEOUT)
        if not self._thread.is_alive():
            self._loop.close()

    # -- the loop's side ------------------------------------------------------

    async def _probe(self, deadline: Deadline) -> str:
        try:
            return await asyncio.wait_for(self._exercise(deadline), deadline.left("waiting for the server"))
        except asyncio.TimeoutError:
            self._discard()
            raise HealthError(f"timed out after {deadline.seconds:g} s waiting for the server") from None
        except _AnsweredError:
            raise
        except BaseException:  # cancelled by the probing thread, or a failure: start afresh next time
            self._discard()
            raise

    async def _exercise(self, deadline: Deadline) -> str:
        client = self._client
        is_kept = client is not None and client.is_connected
        if not is_kept:
            client = await self._new_client(deadline)
        try:
            await self._ping(client, deadline)
        except _ConnectionLost:
            # A kept connection the server (or the network) dropped since the last probe may still
            # look connected until the PING is sent: connect afresh once, in the time left.
            if not is_kept:
                raise HealthError("the NATS server closed the connection during the PING") from None
            client = await self._new_client(deadline)
            try:
                await self._ping(client, deadline)
            except _ConnectionLost:
                raise HealthError("the NATS server closed the connection during the PING") from None
        if self._stream is None:
            return "PING"
        return await self._jetstream(client, deadline)

    async def _new_client(self, deadline: Deadline) -> Any:
        """Drop the current client and connect a new one, watching for the loss of its connection."""
        self._discard()
        client = self._client = self._nats.aio.client.Client()
        lost = self._lost = asyncio.Event()

        async def on_lost(*args: Any) -> None:
            lost.set()

        await self._connect(client, deadline, on_lost)
        return client

    async def _ping(self, client: Any, deadline: Deadline) -> None:
        """PING and wait for the PONG; ``_ConnectionLost`` as soon as the connection closes meanwhile."""
        errors = self._nats.errors
        assert self._lost is not None  # set with the client
        flushing = asyncio.ensure_future(client.flush(timeout=deadline.left("waiting for PONG")))
        lost = asyncio.ensure_future(self._lost.wait())
        try:
            await asyncio.wait({flushing, lost}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            lost.cancel()
        if not flushing.done():
            flushing.cancel()
            await asyncio.gather(flushing, return_exceptions=True)
            raise _ConnectionLost
        try:
            flushing.result()
        except errors.ConnectionClosedError:
            raise _ConnectionLost from None
        except errors.Error as error:
            raise HealthError(f"PING got no PONG: {str(error) or type(error).__name__}") from None

    async def _connect(self, client: Any, deadline: Deadline, on_lost: Any = _ignore) -> None:
        """Connect ``client``, giving up at the first failed attempt.

        nats-py tries its server pool again and again while connecting (with
        ``max_reconnect_attempts=0`` as well), telling each failure to its
        error callback only; the first one it tells ends the attempt here.
        """
        failure: asyncio.Future[BaseException] = self._loop.create_future()

        async def on_error(error: BaseException) -> None:
            if not failure.done():
                failure.set_result(error)

        connecting = asyncio.ensure_future(
            client.connect(
                servers=[self._url],
                connect_timeout=deadline.left("connecting"),
                allow_reconnect=False,
                max_reconnect_attempts=0,
                name="skiesish health check",
                error_cb=on_error,
                disconnected_cb=on_lost,
                closed_cb=on_lost,
            )
        )
        try:
            await asyncio.wait({connecting, failure}, return_when=asyncio.FIRST_COMPLETED)
        finally:
            if not connecting.done():
                connecting.cancel()
                await asyncio.gather(connecting, return_exceptions=True)
        error = failure.result() if failure.done() else connecting.exception()
        if error is not None:
            detail = str(error) or type(error).__name__
            raise HealthError(f"cannot connect to the NATS server: {detail}")

    async def _jetstream(self, client: Any, deadline: Deadline) -> str:
        js_errors, errors = self._nats.js.errors, self._nats.errors
        stream, consumer = str(self._stream), self._consumer
        manager = client.jsm(timeout=deadline.left("waiting for JetStream"))
        what = f"stream {stream}"
        try:
            info = await manager.stream_info(stream)
            found = f"stream {stream} holds {counted(info.state.messages, 'message')}"
            if consumer is not None:
                what = f"consumer {consumer} of stream {stream}"
                consumer_info = await manager.consumer_info(
                    stream, consumer, timeout=deadline.left("waiting for JetStream")
                )
                found += f", consumer {consumer} has {consumer_info.num_pending} pending"
        except js_errors.NotFoundError:
            raise _AnsweredError(f"{what} does not exist") from None
        except errors.NoRespondersError:
            raise _AnsweredError("JetStream does not answer: it is not enabled for this account") from None
        except (errors.TimeoutError, asyncio.TimeoutError):
            raise HealthError(
                f"timed out after {deadline.seconds:g} s asking JetStream about {what}"
            ) from None
        except errors.Error as error:
            raise HealthError(f"JetStream could not say about {what}: {error}") from None
        return found

    def _discard(self) -> None:
        """Forget the client, closing it in the background (a blackholed close must not hold a probe)."""
        client, self._client = self._client, None
        if client is None or client.is_closed:
            return
        task = self._loop.create_task(self._close_quietly(client))
        self._closing.add(task)
        task.add_done_callback(self._closing.discard)

    @staticmethod
    async def _close_quietly(client: Any) -> None:
        with contextlib.suppress(Exception, asyncio.TimeoutError):
            await asyncio.wait_for(client.close(), _CLOSE_TIMEOUT)

    async def _shutdown(self) -> None:
        self._discard()
        await asyncio.gather(*self._closing, return_exceptions=True)
        current = asyncio.current_task()
        leftovers = [task for task in asyncio.all_tasks() if task is not current]
        for task in leftovers:  # nats-py's own, if any survived its close
            task.cancel()
        await asyncio.gather(*leftovers, return_exceptions=True)
        await self._loop.shutdown_default_executor()


def nats(
    url: str,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    stream: str | None = None,
    consumer: str | None = None,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """A PING/PONG round trip with the NATS server at ``url``, and optionally a JetStream stream and consumer.

    ``url`` is ``nats://[user:password@]host[:port]`` (port 4222; a token as
    the user name) or ``tls://...``. With ``stream`` the check also asks
    JetStream for that stream's info and fails when it does not exist (or
    JetStream does not answer); with ``consumer`` too, for that consumer of
    the stream. The output says how many messages the stream holds and how
    many the consumer has pending.

    nats-py is asyncio, so the check keeps a private event loop on a daemon
    thread of its own (started on the first probe, stopped when the engine
    closes the check) and one connection on it, reused from probe to probe,
    replaced when it breaks (nats-py's own reconnecting is off, so that a
    broken connection shows). A probe is handed to that loop and waited for
    at most ``timeout`` seconds in all (connecting, the PONG, JetStream's
    answers), then abandoned and its connection dropped. That costs one
    thread per NATS check and no event loop per probe; ``asyncio.run`` per
    probe would cost a new loop and a new connection every time. As the
    probing thread never waits longer than ``timeout`` (a host name is looked
    up on the loop's side), the engine may run the check on the thread that
    asks for the report when ``timeout`` falls within its deadline (see
    ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> nats("nats://127.0.0.1:4222")
        >>> nats("nats://127.0.0.1:4222", stream="ORDERS", consumer="shipper")
    """
    nats_module = import_extra("nats", "nats", "checks.nats()")
    for module in ("nats.aio.client", "nats.errors", "nats.js.errors"):
        import_extra(module, "nats", "checks.nats()")
    seconds = check_timeout("nats", timeout)
    parts = network_url(url, ("nats", "tls"))
    if parts is None:
        raise ConfigurationError(
            f"nats(): url must be nats://[user:password@]host[:port] or tls://..., got {url!r}"
        )
    for key, value in (("stream", stream), ("consumer", consumer)):
        if value is not None and (not isinstance(value, str) or not value or _BAD_NAME.search(value)):
            raise ConfigurationError(
                f"nats(): {key} must be a JetStream name (no spaces, '.', '*', '>' or slashes), got {value!r}"
            )
    if consumer is not None and stream is None:
        raise ConfigurationError("nats(): consumer= needs stream=, the stream the consumer belongs to")
    holder = Lazy(lambda: _Session(nats_module, url, stream, consumer))

    def server_answers() -> tuple[bool, str]:
        started = time.perf_counter()
        found = holder.get().probe(Deadline(seconds))
        return True, f"{found} in {latency(started)}"

    server_answers.close = holder.close  # type: ignore[attr-defined]
    # The probing thread waits at most `seconds` for the loop, whatever happens there (host look-up included).
    server_answers.runs_within = bounded_by(seconds, host=None)  # type: ignore[attr-defined]
    path = "".join(f"/{part}" for part in (stream, consumer) if part is not None)
    return build_check(
        server_answers, name or default_name("nats", parts.hostname, parts.port or 4222, path), check_options
    )
