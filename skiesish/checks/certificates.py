"""A check of a TLS server's certificate: trusted, for the right name, valid now and for long enough."""

from __future__ import annotations

import datetime
import math
import socket
import ssl
import time
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from .base import (
    DEFAULT_SOCKET_TIMEOUT,
    Deadline,
    bounded_by,
    build_check,
    check_timeout,
    default_name,
    latency,
)

__all__ = ["tls_certificate"]

_DAY = 86_400.0


def _days(key: str, value: Any) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not 0 <= value <= 3650:
        raise ConfigurationError(
            f"tls_certificate(): {key} must be a number of days from 0 to 3650, got {value!r}"
        )
    return float(value)


def tls_certificate(
    host: str,
    port: int = 443,
    warn_days: float = 14,
    fail_days: float = 0,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    server_name: str | None = None,
    ca_file: str | None = None,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """Pass while ``host:port`` shows a trusted TLS certificate that expires in over ``warn_days`` days.

    Each probe connects and completes a TLS handshake with the standard
    library's :mod:`ssl`, verifying the chain (against the system's CAs, or
    only those in ``ca_file``) and the name (``server_name``, sent as SNI;
    by default ``host``). It fails when the handshake fails: an untrusted
    chain, a name mismatch, or a certificate that has expired or is not yet
    valid; and when the certificate expires within ``fail_days`` days, or
    within ``warn_days`` days (the output says which). Otherwise the output
    says how many days are left.

    A check has one severity: the engine reports a failed check ``fail``
    when it is critical, ``warn`` when it is not. So that an expiry drawing
    near warns without taking the service down, this check is **not
    critical** by default (``critical=False``): every failure, the hard ones
    included, leaves the whole up. For "warn at 14 days, fail once expired",
    use two checks: this one, and ``tls_certificate(host, warn_days=0,
    critical=True, name=...)``.

    ``timeout`` bounds the whole probe (connecting and the handshake). A
    connection is opened per probe: the handshake is what is checked. When
    ``host`` is an IP address and ``timeout`` falls within the engine's
    deadline, the engine may run the check on the thread that asks for the
    report (see ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> tls_certificate("api.example.com")
        >>> tls_certificate("10.0.0.7", 8443, server_name="api.internal", ca_file="/etc/ssl/internal-ca.pem")
    """
    if not isinstance(host, str) or not host:
        raise ConfigurationError(f"tls_certificate(): host must be a non-empty string, got {host!r}")
    if isinstance(port, bool) or not isinstance(port, int) or not 1 <= port <= 65535:
        raise ConfigurationError(f"tls_certificate(): port must be an int from 1 to 65535, got {port!r}")
    warn, fail = _days("warn_days", warn_days), _days("fail_days", fail_days)
    if fail > warn:
        raise ConfigurationError(
            f"tls_certificate(): fail_days ({fail_days!r}) must not exceed warn_days ({warn_days!r})"
        )
    if server_name is not None and (not isinstance(server_name, str) or not server_name):
        raise ConfigurationError(
            f"tls_certificate(): server_name must be a non-empty string, got {server_name!r}"
        )
    if ca_file is not None and not isinstance(ca_file, str):
        raise ConfigurationError(f"tls_certificate(): ca_file must be a file name, got {ca_file!r}")
    seconds = check_timeout("tls_certificate", timeout)
    try:
        context = ssl.create_default_context(cafile=ca_file)
    except (OSError, ValueError) as error:  # a missing or unreadable file, or one holding no certificate
        raise ConfigurationError(f"tls_certificate(): cannot load ca_file {ca_file!r}: {error}") from None
    expected_name = server_name or host.strip("[]")
    where = f"{host}:{port}"

    def certificate_is_valid() -> tuple[bool, str]:
        started = time.perf_counter()
        deadline = Deadline(seconds)
        try:
            with socket.create_connection(
                (host.strip("[]"), port), timeout=deadline.left("connecting")
            ) as raw:
                raw.settimeout(deadline.left("in the TLS handshake"))
                with context.wrap_socket(raw, server_hostname=expected_name) as tls:
                    certificate = tls.getpeercert()
        except ssl.SSLCertVerificationError as error:
            raise HealthError(f"the certificate of {where} is not valid: {error.verify_message}") from None
        except (OSError, ValueError) as error:  # ssl.SSLError is an OSError
            raise HealthError(f"no TLS handshake with {where}: {error}") from None
        if not certificate or "notAfter" not in certificate:
            raise HealthError(f"{where} showed no certificate")
        expires = ssl.cert_time_to_seconds(str(certificate["notAfter"]))
        days_left = (expires - time.time()) / _DAY
        on = datetime.datetime.fromtimestamp(expires, datetime.timezone.utc).strftime("%Y-%m-%d %H:%M UTC")
        whole = f"{math.floor(days_left)} days" if days_left >= 1 else "less than a day"
        for window, kind in ((fail, "failure"), (warn, "warning")):
            if days_left <= window:
                raise HealthError(
                    f"the certificate of {where} expires in {whole} (on {on}), "
                    f"within the {window:g}-day {kind} window"
                )
        return True, f"valid for {whole} more (until {on}); handshake in {latency(started)}"

    certificate_is_valid.runs_within = bounded_by(seconds, host=host)  # type: ignore[attr-defined]
    check_options.setdefault("critical", False)
    label = default_name("tls", host.strip("[]"), port, f"/{server_name}" if server_name else "")
    return build_check(certificate_is_valid, name or label, check_options)
