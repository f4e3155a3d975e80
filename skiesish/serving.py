"""Listening with waitress: addresses read as waitress reads them, and servers bound with plain errors.

Also reads the address of a gRPC server to ask (:func:`grpc_target`).

``skiesish serve`` and the probe listener both listen through here, so a
malformed address, a port in use or an address of another machine is said
the same way, naming the option it came from.
"""

from __future__ import annotations

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: `check --url` loads as little as it can
if TYPE_CHECKING:
    from typing import Any, TypeGuard

__all__ = ["MAX_SERVICE_NAME", "create_waitress_server", "grpc_target", "is_service_name", "listen_address"]


def listen_address(text: str, option: str = "--listen") -> str:
    """Check a listening address, ``HOST:PORT``; return it as waitress reads it.

    A port is required: a host alone would make waitress listen on its own
    default, 8080, which no probe expects. ``*`` as the host means every
    interface, port 0 a free port (printed at start).

    Raises:
        ValueError: in one sentence naming ``option``, with what was expected.
    """
    expected = f"{option} expects HOST:PORT, like 127.0.0.1:9090, 0.0.0.0:9090 or [::1]:9090"
    if not isinstance(text, str) or not text or any(not "!" <= character <= "~" for character in text):
        raise ValueError(f"{expected}; got {text!r}, which is empty or holds a space or control character")
    if text.startswith("["):
        host, bracket, after = text[1:].partition("]")
        if not bracket or not after.startswith(":"):
            raise ValueError(f"{expected}; got {text!r}, which has no port after the bracketed address")
        port_text = after[1:]
    else:
        host, colon, port_text = text.rpartition(":")
        if not colon:
            kind = "a port without a host" if text.isdigit() else "a host without a port"
            raise ValueError(f"{expected}; got {text!r}, {kind}")
        if ":" in host:
            raise ValueError(f"{expected}; got {text!r}: put an IPv6 address in brackets")
    if not host:
        raise ValueError(f"{expected}; got {text!r}, which has no host (0.0.0.0 listens on every interface)")
    if not (port_text.isdigit() and int(port_text) <= 65_535):
        raise ValueError(
            f"{option} expects a port from 0 to 65535 (0: any free port) after the host, got {text!r}"
        )
    return f"[{host}]:{int(port_text)}" if ":" in host else f"{host}:{int(port_text)}"


def create_waitress_server(
    application: Any,
    listen: str,
    option: str = "--listen",
    socket_map: dict[int, Any] | None = None,
    **settings: Any,
) -> Any:
    """A waitress server for ``application`` on its own socket map, bound and listening.

    ``settings`` are waitress's (``threads``, ``connection_limit``, ...).
    The connection limit counts clients only: waitress also counts its own
    listening sockets and wake-up pipes, which are added to it here.
    ``socket_map`` (a new dict by default) is where waitress keeps the
    server's sockets; closing them all stops its loop.

    Raises:
        ValueError: the address cannot be listened on, in one sentence naming ``option``;
            whatever waitress had opened by then is closed.
    """
    import errno

    from waitress import wasyncore
    from waitress.server import create_server

    socket_map = {} if socket_map is None else socket_map
    try:
        server = create_server(application, map=socket_map, listen=listen, **settings)
    except (OSError, ValueError) as error:
        wasyncore.close_all(socket_map)  # waitress leaves its wake-up pipe and socket open on failure
        if isinstance(error, ValueError):  # waitress: getaddrinfo failed
            raise ValueError(
                f"{option} {listen}: expected a host name or address of this machine, but it does not resolve"
            ) from None
        reason = {
            errno.EADDRINUSE: "another process already listens on that port",
            errno.EACCES: "this user may not listen there (ports below 1024 need privileges)",
            errno.EADDRNOTAVAIL: "that address does not belong to this machine",
        }.get(error.errno or 0, f"{type(error).__name__}: {error}")
        raise ValueError(f"{option} {listen}: expected an address to listen on, but {reason}") from None
    if "connection_limit" in settings:
        server.adj.connection_limit = settings["connection_limit"] + len(socket_map)
    return server


def grpc_target(target: Any, option: str) -> str:
    """Check a gRPC target (``HOST:PORT``, ``[::1]:PORT``, or a URI like ``dns:///host:port``).

    Raises:
        ValueError: naming ``option``, with what was expected.
    """
    expected = f"{option} expects HOST:PORT (or a gRPC target URI such as dns:///host:443)"
    if not isinstance(target, str) or not target or any(not "!" <= c <= "~" for c in target):
        raise ValueError(f"{expected}; got {target!r}, which is empty or holds a space or control character")
    if "://" in target or target.startswith(("unix:", "ipv4:", "ipv6:")):
        return target
    host, colon, port = target.rpartition(":")
    if not colon or not host or not (port.isdigit() and 1 <= int(port) <= 65_535):
        raise ValueError(f"{expected} with a port from 1 to 65535; got {target!r}")
    if ":" in host and not (host.startswith("[") and host.endswith("]")):
        raise ValueError(f"{expected}; got {target!r}: put an IPv6 address in brackets")
    return target


#: The longest gRPC health service name skiesish accepts, asks about or serves.
MAX_SERVICE_NAME = 200


def is_service_name(name: object) -> TypeGuard[str]:
    """Whether ``name`` may be a gRPC health service name here: printable text of at most 200 characters."""
    return isinstance(name, str) and len(name) <= MAX_SERVICE_NAME and name.isprintable()
