"""A TCP proxy for fault-injection tests: pass, refuse, blackhole, slow down or reset connections.

The proxy listens on 127.0.0.1 at an ephemeral port and forwards to one
target. Its asyncio loop runs on a daemon thread of its own; the test thread
changes the mode with :meth:`FaultProxy.set_mode`, which returns once the
change is in effect.

Modes:
    ``"pass"``: forward both ways.
    ``"refuse"``: the server is down: the port stops listening (connects are
        refused) and established connections are reset. Leaving it listens
        again on the same port.
    ``"blackhole"``: a partition: new connections are accepted and read but
        never forwarded nor answered, and established ones stop forwarding
        (what they send is read and dropped). Leaving it closes every
        connection held in it, since their streams lost data.
    ``"slow"``: forward both ways, each chunk after ``latency`` seconds.
    ``"reset"``: established connections are aborted with an RST; new ones
        are forwarded as in ``"pass"``.

Example:
    >>> proxy = FaultProxy("127.0.0.1", 5432)
    >>> proxy.set_mode("blackhole")
    >>> proxy.close()
"""

from __future__ import annotations

import asyncio
import contextlib
import socket
import struct
import threading
from typing import Any

__all__ = ["MODES", "FaultProxy"]

MODES = frozenset({"pass", "refuse", "blackhole", "slow", "reset"})

_CHUNK = 65536
_SWITCH_TIMEOUT = 5.0  # seconds the test thread waits for a mode change or close


class _Link:
    """One client connection and, unless it arrived in blackhole mode, its upstream connection."""

    def __init__(self, client: asyncio.StreamWriter) -> None:
        self.client = client
        self.upstream: asyncio.StreamWriter | None = None
        self.tasks: set[asyncio.Task[None]] = set()

    def writers(self) -> list[asyncio.StreamWriter]:
        return [writer for writer in (self.client, self.upstream) if writer is not None]


class FaultProxy:
    """A TCP proxy from ``127.0.0.1:<port>`` to ``target_host:target_port`` whose faults a test controls.

    Args:
        target_host: where to forward (keep it 127.0.0.1 in tests).
        target_port: the real server's port.
        latency: seconds each chunk waits in ``"slow"`` mode.
    """

    def __init__(self, target_host: str, target_port: int, latency: float = 0.2) -> None:
        self.target = (target_host, target_port)
        self.latency = latency
        self._mode = "pass"
        self._links: set[_Link] = set()
        self._serving: set[asyncio.Task[None]] = set()
        self._upstream_ports: set[int] = set()
        self._accepting: asyncio.Task[None] | None = None
        self._listener: socket.socket | None = None
        self._loop = asyncio.new_event_loop()
        self._thread = threading.Thread(target=self._loop.run_forever, name="fault-proxy", daemon=True)
        self._thread.start()
        self.port = self._call(self._listen(0))

    # -- the test thread's side ---------------------------------------------

    @property
    def mode(self) -> str:
        """The current mode."""
        return self._mode

    def set_mode(self, mode: str, latency: float | None = None) -> None:
        """Switch to ``mode`` (one of :data:`MODES`); ``latency`` sets the delay of ``"slow"``."""
        if mode not in MODES:
            raise ValueError(f"mode must be one of {sorted(MODES)}, got {mode!r}")
        self._call(self._switch(mode, latency))

    def connection_count(self) -> int:
        """How many client connections the proxy holds open now."""
        return self._call(self._count())

    def upstream_ports(self) -> frozenset[int]:
        """The local port of every connection the proxy ever opened to the target.

        The server sees these as its clients' ports, so its own view of its
        connections can be narrowed to the ones that came through this proxy.
        """
        return self._call(self._ports())

    def close(self) -> None:
        """Stop listening, abort every connection, and stop the proxy's thread."""
        if self._loop.is_closed():
            return
        self._call(self._shutdown())
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(_SWITCH_TIMEOUT)
        self._loop.close()

    def _call(self, coroutine: Any) -> Any:
        return asyncio.run_coroutine_threadsafe(coroutine, self._loop).result(_SWITCH_TIMEOUT)

    # -- the loop's side ------------------------------------------------------

    async def _count(self) -> int:
        return len(self._links)

    async def _ports(self) -> frozenset[int]:
        return frozenset(self._upstream_ports)

    async def _switch(self, mode: str, latency: float | None) -> None:
        previous, self._mode = self._mode, mode
        if latency is not None:
            self.latency = latency
        if mode == "refuse" and previous != "refuse":
            await self._stop_listening()  # first, so that no connection slips in after the aborts
        if mode in ("refuse", "reset") or (previous == "blackhole" and mode != "blackhole"):
            self._abort_all()
        if previous == "refuse" and mode != "refuse":
            await self._listen(self.port)

    async def _listen(self, port: int) -> int:
        listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind(("127.0.0.1", port))
        listener.listen(128)
        listener.setblocking(False)
        self._listener = listener
        self._accepting = asyncio.get_running_loop().create_task(self._accept_forever(listener))
        return int(listener.getsockname()[1])

    async def _stop_listening(self) -> None:
        if self._accepting is not None:
            self._accepting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._accepting
            self._accepting = None
        if self._listener is not None:
            self._listener.close()
            self._listener = None

    async def _shutdown(self) -> None:
        await self._stop_listening()
        self._abort_all()
        tasks = list(self._serving)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)

    async def _accept_forever(self, listener: socket.socket) -> None:
        loop = asyncio.get_running_loop()
        while True:
            client_socket, _ = await loop.sock_accept(listener)
            task = loop.create_task(self._serve(client_socket))
            self._serving.add(task)
            task.add_done_callback(self._forget)

    def _forget(self, task: asyncio.Task[None]) -> None:
        self._serving.discard(task)
        if not task.cancelled():
            task.exception()  # retrieved, so asyncio does not log it as never retrieved

    async def _serve(self, client_socket: socket.socket) -> None:
        try:
            reader, writer = await asyncio.open_connection(sock=client_socket)
        except OSError:
            client_socket.close()
            return
        link = _Link(writer)
        self._links.add(link)
        try:
            if self._mode == "refuse":  # accepted just before the port closed
                _reset(writer)
                return
            if self._mode == "blackhole":
                await self._swallow(reader)
                return
            try:
                up_reader, up_writer = await asyncio.open_connection(*self.target)
            except OSError:
                return
            link.upstream = up_writer
            self._upstream_ports.add(int(up_writer.get_extra_info("sockname")[1]))
            loop = asyncio.get_running_loop()
            link.tasks = {
                loop.create_task(self._pump(reader, up_writer)),
                loop.create_task(self._pump(up_reader, writer)),
            }
            await asyncio.wait(link.tasks, return_when=asyncio.FIRST_COMPLETED)
        finally:
            self._links.discard(link)
            for task in link.tasks:
                task.cancel()
            for other in link.writers():
                _close(other)
            await asyncio.gather(*link.tasks, return_exceptions=True)

    async def _swallow(self, reader: asyncio.StreamReader) -> None:
        """Read and drop until the peer closes (or the link is aborted)."""
        with contextlib.suppress(OSError):
            while await reader.read(_CHUNK):
                pass

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        """Copy one direction until EOF, honouring the mode chunk by chunk."""
        with contextlib.suppress(OSError):
            while True:
                data = await reader.read(_CHUNK)
                if not data:
                    return
                if self._mode == "blackhole":
                    continue
                if self._mode == "slow":
                    await asyncio.sleep(self.latency)
                writer.write(data)
                await writer.drain()

    def _abort_all(self) -> None:
        """Reset every connection both ways (SO_LINGER 0, then abort: the peer sees an RST)."""
        for link in list(self._links):
            for writer in link.writers():
                _reset(writer)


def _reset(writer: asyncio.StreamWriter) -> None:
    sock = writer.get_extra_info("socket")
    if sock is not None:
        with contextlib.suppress(OSError):
            sock.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
    writer.transport.abort()


def _close(writer: asyncio.StreamWriter) -> None:
    if not writer.transport.is_closing():
        writer.close()
