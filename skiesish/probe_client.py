"""Probing a health endpoint over HTTP with as little as possible loaded.

Used by ``skiesish check --url``, which Docker's ``HEALTHCHECK`` and
Kubernetes exec probes run every few seconds: it must start about as fast as
Python itself. Plain ``http://`` is spoken over a bare socket (HTTP/1.1, one
request, ``Connection: close``), since ``http.client`` alone takes longer to
import than the whole probe takes to run; ``https://`` uses ``http.client``
and ``ssl``.
"""

from __future__ import annotations

# The C module under `socket`: `socket` itself imports `enum` and `selectors`,
# which would double the time a probe spends importing.
import _socket

__all__ = ["probe_url"]

_MAX_STATUS_LINE = 1024


def probe_url(url: str, timeout: float) -> tuple[bool, str]:
    """GET ``url``; return ``(healthy, summary line)``. 2xx and 3xx are healthy.

    Never raises for network trouble: a refused or timed-out connection is an
    unhealthy answer with the reason in the summary.

    Raises:
        ValueError: ``url`` is not an http:// or https:// URL.
    """
    scheme, host, port, target = _split(url)
    try:
        if scheme == "https":
            status, reason = _https_status(host, port, target, timeout)
        else:
            status, reason = _http_status(host, port, target, timeout)
    except (OSError, ValueError) as error:
        return False, f"unhealthy: GET {url} failed: {type(error).__name__}: {error}"
    healthy = 200 <= status < 400
    return healthy, f"{'healthy' if healthy else 'unhealthy'}: GET {url} -> {status} {reason}"


def _split(url: str) -> tuple[str, str, int, str]:
    """``(scheme, host, port, path?query)`` of an http(s) URL (``urllib.parse`` costs an import)."""
    scheme, separator, rest = url.partition("://")
    scheme = scheme.lower()
    if not separator or scheme not in ("http", "https"):
        raise ValueError(f"expected an http:// or https:// URL, got {url!r}")
    authority, slash, path = rest.partition("/")
    target = slash + path if slash else "/"
    target = target.split("#", 1)[0]
    authority = authority.rpartition("@")[2]  # no credentials in a probe's Host header
    if authority.startswith("["):  # [::1]:9090
        host, _, after = authority[1:].partition("]")
        port_text = after[1:] if after.startswith(":") else ""
    else:
        host, _, port_text = authority.partition(":")
    if not host or (port_text and not port_text.isdigit()):
        raise ValueError(f"expected an http:// or https:// URL with a host (and a numeric port), got {url!r}")
    port = int(port_text) if port_text else (443 if scheme == "https" else 80)
    return scheme, host, port, target


def _http_status(host: str, port: int, target: str, timeout: float) -> tuple[int, str]:
    name = f"[{host}]" if ":" in host else host
    host_header = name if port == 80 else f"{name}:{port}"
    request = (
        f"GET {target} HTTP/1.1\r\nHost: {host_header}\r\nUser-Agent: skiesish-check\r\n"
        "Accept: */*\r\nConnection: close\r\n\r\n"
    )
    connection = _connect(host, port, timeout)
    try:
        connection.sendall(request.encode("ascii"))
        received = b""
        while b"\r\n" not in received and len(received) < _MAX_STATUS_LINE:
            chunk = connection.recv(_MAX_STATUS_LINE)
            if not chunk:
                break
            received += chunk
    finally:
        connection.close()
    status_line = received.split(b"\r\n", 1)[0].decode("latin-1")
    version, _, rest = status_line.partition(" ")
    code, _, reason = rest.partition(" ")
    if not version.startswith("HTTP/") or not (len(code) == 3 and code.isdigit()):
        raise ValueError(f"not an HTTP answer: {status_line[:80]!r}")
    return int(code), reason.strip()


def _connect(host: str, port: int, timeout: float) -> _socket.socket:
    """Connect to the first address of ``host`` that answers, as ``socket.create_connection`` does."""
    # An ASCII host passed as bytes spares the import of the IDNA codec.
    name: str | bytes = host.encode("ascii") if host.isascii() else host
    last_error: OSError = OSError(f"cannot resolve {host}")
    for family, kind, protocol, _, address in _socket.getaddrinfo(name, port, 0, _socket.SOCK_STREAM):
        connection = _socket.socket(family, kind, protocol)
        try:
            connection.settimeout(timeout)
            connection.connect(address)
            return connection
        except OSError as error:
            connection.close()
            last_error = error
    raise last_error


def _https_status(host: str, port: int, target: str, timeout: float) -> tuple[int, str]:
    import http.client

    connection = http.client.HTTPSConnection(host, port, timeout=timeout)
    try:
        connection.request("GET", target, headers={"User-Agent": "skiesish-check", "Connection": "close"})
        response = connection.getresponse()
        return response.status, response.reason
    except http.client.HTTPException as error:
        raise ValueError(str(error)) from None
    finally:
        connection.close()
