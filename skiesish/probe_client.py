"""Probing a health endpoint over HTTP with as little as possible loaded.

Used by ``skiesish check --url``, which Docker's ``HEALTHCHECK`` and
Kubernetes exec probes run every few seconds: it must start about as fast as
Python itself. HTTP/1.1 is spoken over a bare socket (one request,
``Connection: close``), since ``http.client`` alone takes longer to import
than the whole probe takes to run; ``https://`` adds ``ssl`` around the same
socket.

The timeout is one deadline for the whole probe (connecting, the TLS
handshake, sending, and every read), not a limit per socket operation: a
server that dribbles its answer a byte at a time still gets no longer than
the timeout. Name resolution is the exception: ``getaddrinfo`` cannot be
interrupted, so it is bounded by the resolver's own timeouts, and the probe
fails at once if it used up the deadline.
"""

from __future__ import annotations

# The C module under `socket`: `socket` itself imports `enum` and `selectors`,
# which would double the time a probe spends importing. `time` is loaded by
# the interpreter's own start.
import _socket
import time

__all__ = ["ProbeURL", "parse_url", "probe_url"]

_MAX_STATUS_LINE = 1024
_MAX_REASON = 80
_MAX_PORT = 65_535


class ProbeURL:
    """An ``http://`` or ``https://`` URL, split for a probe.

    Attributes:
        scheme: ``"http"`` or ``"https"``.
        host: the host name or address (an IPv6 address without its brackets).
        port: the port, 80 or 443 unless the URL names one.
        target: the request target, path and query (``/readyz?verbose``); never the fragment.
        shown: the URL as given, without its credentials (``user:password@``), for messages.
    """

    __slots__ = ("host", "port", "scheme", "shown", "target")

    def __init__(self, scheme: str, host: str, port: int, target: str, shown: str) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
        self.shown = shown


def parse_url(url: str) -> ProbeURL:
    """Split ``url`` for a probe, refusing anything that could not be sent as it stands.

    Credentials (``user:password@``) are accepted but neither sent nor shown.

    Raises:
        ValueError: ``url`` is not an ``http://`` or ``https://`` URL of printable
            ASCII characters with a host and, if any, a port from 1 to 65535.

    Example:
        >>> parse_url("http://127.0.0.1:9090/readyz").port
        9090
    """
    head, separator, rest = url.partition("://")
    if not separator:
        head, rest = "", url
    end = next((index for index, character in enumerate(rest) if character in "/?#"), len(rest))
    host_port = rest[:end].rpartition("@")[2]
    shown = f"{head}{separator}{host_port}{rest[end:]}"
    refused = next((character for character in url if not "!" <= character <= "~"), None)
    if refused is not None:
        raise ValueError(
            "expected a URL of printable ASCII characters, without spaces (percent-encode the rest); "
            f"got {shown!r}, which holds {refused!r}"
        )
    scheme = head.lower()
    if not separator or scheme not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL, got {shown!r}")
    if host_port.startswith("["):  # [::1]:9090
        host, bracket, after = host_port[1:].partition("]")
        port_text = after[1:]
        if not bracket or (after and not after.startswith(":")):
            host = ""
    else:
        host, _, port_text = host_port.partition(":")
    if not host:
        raise ValueError(
            f"expected an http:// or https:// URL with a host (an IPv6 address in brackets), got {shown!r}"
        )
    if port_text and not (port_text.isdigit() and 1 <= int(port_text) <= _MAX_PORT):
        raise ValueError(f"expected a numeric port from 1 to 65535 after the host, got {shown!r}")
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    target = rest[end:].partition("#")[0]
    if not target.startswith("/"):
        target = "/" + target
    return ProbeURL(scheme, host, port, target, shown)


def probe_url(url: str, timeout: float) -> tuple[bool, str]:
    """GET ``url`` within ``timeout`` seconds; return ``(healthy, summary line)``. 2xx and 3xx are healthy.

    Never raises for network trouble: a refused, failed or timed-out
    connection is an unhealthy answer with the reason in the summary. The
    summary never shows the URL's credentials.

    Raises:
        ValueError: ``url`` is refused by :func:`parse_url`, or ``timeout`` is
            not a finite number of seconds above 0.
    """
    if not (timeout > 0 and timeout != float("inf")):
        raise ValueError(f"timeout must be a finite number of seconds above 0, got {timeout!r}")
    parsed = parse_url(url)
    try:
        status, reason = _status(parsed, time.monotonic() + timeout, timeout)
    except (OSError, ValueError) as error:
        return False, f"unhealthy: GET {parsed.shown} failed: {type(error).__name__}: {error}"
    healthy = 200 <= status < 400
    return healthy, f"{'healthy' if healthy else 'unhealthy'}: GET {parsed.shown} -> {status} {reason}"


def _status(url: ProbeURL, deadline: float, timeout: float) -> tuple[int, str]:
    """The status code and reason phrase ``url`` answers with, by ``deadline``."""
    name = f"[{url.host}]" if ":" in url.host else url.host
    default_port = 443 if url.scheme == "https" else 80
    host_header = name if url.port == default_port else f"{name}:{url.port}"
    request = (
        f"GET {url.target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: skiesish-check\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    ).encode("ascii")
    try:
        connection = _connect(url, deadline)
        try:
            _remaining(deadline, connection)
            connection.sendall(request)
            received = b""
            while b"\r\n" not in received and len(received) < _MAX_STATUS_LINE:
                _remaining(deadline, connection)
                chunk = connection.recv(_MAX_STATUS_LINE)
                if not chunk:
                    break
                received += chunk
        finally:
            connection.close()
    except TimeoutError:
        raise TimeoutError(f"no answer within {timeout:g} s") from None
    status_line = received.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not (len(code) == 3 and code.isdigit()):
        raise ValueError(f"not an HTTP answer: {status_line[:_MAX_REASON]!r}")
    # The reason phrase is the server's own text: never let it write control characters to a log.
    shown_reason = "".join(c if " " <= c <= "~" else "?" for c in reason.strip()[:_MAX_REASON])
    return int(code), shown_reason


def _remaining(deadline: float, connection: _socket.socket) -> None:
    """Give ``connection``'s next operation what is left until ``deadline``, or raise TimeoutError."""
    left = deadline - time.monotonic()
    if left <= 0:
        raise TimeoutError("timed out")
    connection.settimeout(left)


def _connect(url: ProbeURL, deadline: float) -> _socket.socket:
    """Connect to the first address of the host that answers (wrapped in TLS for https) by ``deadline``."""
    socket_class: type[_socket.socket] = _socket.socket
    if url.scheme == "https":
        import socket

        socket_class = socket.socket
    # An ASCII host passed as bytes spares the import of the IDNA codec (parse_url allows only ASCII).
    addresses = _socket.getaddrinfo(url.host.encode("ascii"), url.port, 0, _socket.SOCK_STREAM)
    last_error: OSError = OSError(f"cannot resolve {url.host}")
    for family, kind, protocol, _, address in addresses:
        connection = socket_class(family, kind, protocol)
        try:
            _remaining(deadline, connection)
            connection.connect(address)
        except OSError as error:
            connection.close()
            if isinstance(error, TimeoutError):
                raise
            last_error = error
            continue
        if url.scheme == "https":
            return _tls(connection, url.host, deadline)
        return connection
    raise last_error


def _tls(connection: _socket.socket, host: str, deadline: float) -> _socket.socket:
    """``connection`` with a verified TLS session to ``host``, the handshake done by ``deadline``."""
    import socket
    import ssl

    assert isinstance(connection, socket.socket)
    try:
        _remaining(deadline, connection)
        return ssl.create_default_context().wrap_socket(connection, server_hostname=host)
    except BaseException:
        connection.close()
        raise
