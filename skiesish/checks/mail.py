"""A check of an SMTP server: a session opened, greeted, EHLO, optionally STARTTLS, NOOP and QUIT."""

from __future__ import annotations

import smtplib
import socket
import ssl
import time
from typing import Any

from ..exceptions import ConfigurationError, HealthError
from ..health import Check
from ..text import bounded
from .base import (
    DEFAULT_SOCKET_TIMEOUT,
    Deadline,
    bounded_by,
    build_check,
    check_timeout,
    default_name,
    latency,
    network_url,
)

__all__ = ["smtp"]

_DEFAULT_PORTS = {"smtp": 25, "smtps": 465}


class _Session(smtplib.SMTP):
    """An SMTP client whose every wait takes what is left of one :class:`Deadline`.

    smtplib gives connecting, the TLS handshake of ``smtps://`` and the
    greeting one timeout each; this connects in :meth:`_get_socket` (the
    hook ``SMTP_SSL`` overrides too) with the time left, so that the whole
    session, not each of its steps, keeps the check's ``timeout``.
    """

    def __init__(
        self, host: str, port: int, deadline: Deadline, context: ssl.SSLContext | None, local_hostname: str
    ) -> None:
        self._deadline = deadline
        self._implicit_tls = context
        # Connects, and raises SMTPConnectError unless the greeting is 220.
        super().__init__(host, port, local_hostname=local_hostname, timeout=deadline.seconds)

    def _get_socket(self, host: str, port: int, timeout: float) -> socket.socket:
        sock = socket.create_connection((host, port), self._deadline.left("connecting"), self.source_address)
        try:
            if self._implicit_tls is not None:
                sock.settimeout(self._deadline.left("in the TLS handshake"))
                sock = self._implicit_tls.wrap_socket(sock, server_hostname=host)
            sock.settimeout(self._deadline.left("waiting for the greeting"))
        except BaseException:
            sock.close()
            raise
        return sock

    def step(self, what: str) -> None:
        """Give the next command what is left of the deadline."""
        if self.sock is not None:
            self.sock.settimeout(self._deadline.left(what))


def smtp(
    url: str,
    timeout: float = DEFAULT_SOCKET_TIMEOUT,
    starttls: bool = False,
    ca_file: str | None = None,
    name: str | None = None,
    **check_options: Any,
) -> Check:
    """Open an SMTP session at ``url``: the greeting, ``EHLO`` (``STARTTLS`` if asked), ``NOOP``, ``QUIT``.

    ``url`` is ``smtp://host[:port]`` (port 25) or ``smtps://host[:port]``
    (TLS from the start, port 465). With ``starttls=True`` the session
    upgrades to TLS after ``EHLO`` and says ``EHLO`` again; the check fails
    when the server does not offer it. Certificates are verified, name
    included, against the system's CAs or only those in ``ca_file``. No
    credentials are sent (a URL holding some is refused) and no mail.

    Each probe opens a session of its own and closes it with ``QUIT``: the
    greeting is what shows that the server takes new sessions, and servers
    drop idle ones after a few minutes (RFC 5321 suggests 5) and count them
    against their connection limits, so a session is not kept between
    probes. ``timeout`` bounds the whole session. When the host is an IP
    address and ``timeout`` falls within the engine's deadline, the engine
    may run the check on the thread that asks for the report (see
    ``runs_within`` in :func:`~skiesish.checks.base.bounded_by`).

    Example:
        >>> smtp("smtp://127.0.0.1:25")
        >>> smtp("smtp://mail.internal:587", starttls=True)
        >>> smtp("smtps://mail.internal", ca_file="/etc/ssl/internal-ca.pem")
    """
    seconds = check_timeout("smtp", timeout)
    parts = network_url(url, _DEFAULT_PORTS)
    if parts is None:
        raise ConfigurationError(
            f"smtp(): url must be smtp://host[:port] or smtps://host[:port], got {url!r}"
        )
    if parts.username is not None or parts.password is not None:
        raise ConfigurationError("smtp(): url must not hold credentials: the check logs in to nothing")
    if not isinstance(starttls, bool):
        raise ConfigurationError(f"smtp(): starttls must be True or False, got {starttls!r}")
    if starttls and parts.scheme == "smtps":
        raise ConfigurationError("smtp(): starttls=True is for smtp:// URLs; smtps:// is TLS from the start")
    is_tls = starttls or parts.scheme == "smtps"
    if ca_file is not None and (not isinstance(ca_file, str) or not is_tls):
        raise ConfigurationError(
            f"smtp(): ca_file must be a file name, with smtps:// or starttls=True, got {ca_file!r}"
        )
    try:
        context = ssl.create_default_context(cafile=ca_file) if is_tls else None
    except (OSError, ValueError) as error:  # a missing or unreadable file, or one holding no certificate
        raise ConfigurationError(f"smtp(): cannot load ca_file {ca_file!r}: {error}") from None
    host, port = str(parts.hostname), parts.port or _DEFAULT_PORTS[parts.scheme]
    # smtplib would otherwise look this machine's name up (getfqdn), with no timeout, on every probe.
    local_hostname = socket.gethostname() or "localhost"
    where = f"{host}:{port}"

    def server_takes_sessions() -> tuple[bool, str]:
        started = time.perf_counter()
        try:
            session = _Session(
                host, port, Deadline(seconds), context if parts.scheme == "smtps" else None, local_hostname
            )
        except smtplib.SMTPConnectError as error:
            said = error.smtp_error
            greeting = bounded(said.decode("utf-8", "replace") if isinstance(said, bytes) else str(said), 120)
            raise HealthError(f"{where} greeted with {error.smtp_code} {greeting}") from None
        except (OSError, smtplib.SMTPException) as error:
            raise HealthError(f"cannot open an SMTP session with {where}: {error}") from None
        try:
            _exchange(session, context if starttls else None, where)
            session.step("waiting for the answer to QUIT")
            session.quit()
        except (OSError, smtplib.SMTPException) as error:
            raise HealthError(f"the SMTP session with {where} failed: {error}") from None
        finally:
            session.close()
        steps = "EHLO, STARTTLS, NOOP" if starttls else "EHLO, NOOP"
        return True, f"{steps} in {latency(started)}"

    server_takes_sessions.runs_within = bounded_by(seconds, host=host)  # type: ignore[attr-defined]
    return build_check(server_takes_sessions, name or default_name(parts.scheme, host, port), check_options)


def _exchange(session: _Session, starttls: ssl.SSLContext | None, where: str) -> None:
    """EHLO, then STARTTLS and EHLO again if asked, then NOOP; each answer judged."""
    session.step("waiting for the answer to EHLO")
    code, _ = session.ehlo()
    if code != 250:
        raise HealthError(f"{where} answered EHLO with {code}")
    if starttls is not None:
        if not session.has_extn("starttls"):
            raise HealthError(f"{where} does not offer STARTTLS")
        session.step("in STARTTLS")
        code, _ = session.starttls(context=starttls)
        if code != 220:
            raise HealthError(f"{where} answered STARTTLS with {code}")
        session.step("waiting for the answer to EHLO")
        code, _ = session.ehlo()
        if code != 250:
            raise HealthError(f"{where} answered EHLO after STARTTLS with {code}")
    session.step("waiting for the answer to NOOP")
    code, _ = session.noop()
    if code != 250:
        raise HealthError(f"{where} answered NOOP with {code}")
