"""TLS servers for the check tests: a test CA, a TLS server showing its certificates, a TLS forwarder.

A local CA (:class:`Authority`, made with the cryptography package) issues
server certificates as PEM files; :class:`TLSServer` shows one on a loopback
thread, and :class:`TLSForwarder` puts TLS in front of a plain TCP server.
Used by the TLS, SMTP, MQTT and fault tests.
"""

from __future__ import annotations

import contextlib
import datetime
import ipaddress
import select
import socket
import ssl
import threading
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

DAY = datetime.timedelta(days=1)


def _now() -> datetime.datetime:
    return datetime.datetime.now(datetime.timezone.utc)


def _write_pem(path: Path, *blobs: bytes) -> Path:
    path.write_bytes(b"".join(blobs))
    return path


class Authority:
    """A certificate authority that issues server certificates for tests, as PEM files in ``folder``."""

    def __init__(self, folder: Path, label: str) -> None:
        self.folder, self.label = folder, label
        self.key = ec.generate_private_key(ec.SECP256R1())
        name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, f"skiesish test CA {label}")])
        self.name = name
        self.certificate = (
            x509.CertificateBuilder()
            .subject_name(name)
            .issuer_name(name)
            .public_key(self.key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() - DAY)
            .not_valid_after(_now() + 365 * DAY)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .add_extension(
                x509.KeyUsage(
                    digital_signature=True,
                    content_commitment=False,
                    key_encipherment=False,
                    data_encipherment=False,
                    key_agreement=False,
                    key_cert_sign=True,
                    crl_sign=True,
                    encipher_only=False,
                    decipher_only=False,
                ),
                critical=True,
            )
            .add_extension(x509.SubjectKeyIdentifier.from_public_key(self.key.public_key()), critical=False)
            .sign(self.key, hashes.SHA256())
        )
        self.ca_file = _write_pem(
            folder / f"ca-{label}.pem", self.certificate.public_bytes(serialization.Encoding.PEM)
        )

    def issue(
        self,
        stem: str,
        names: tuple[str, ...] = ("localhost",),
        valid_from: datetime.timedelta = -DAY,
        valid_until: datetime.timedelta = 90 * DAY,
    ) -> tuple[Path, Path]:
        """A server certificate for ``names`` (and 127.0.0.1), valid from/until these offsets from now.

        Returns the paths of its PEM certificate and key.
        """
        key = ec.generate_private_key(ec.SECP256R1())
        alternatives: list[x509.GeneralName] = [x509.DNSName(name) for name in names]
        if names == ("localhost",):
            alternatives.append(x509.IPAddress(ipaddress.ip_address("127.0.0.1")))
        certificate = (
            x509.CertificateBuilder()
            .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, names[0])]))
            .issuer_name(self.name)
            .public_key(key.public_key())
            .serial_number(x509.random_serial_number())
            .not_valid_before(_now() + valid_from)
            .not_valid_after(_now() + valid_until)
            .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
            .add_extension(x509.SubjectAlternativeName(alternatives), critical=False)
            .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
            .add_extension(
                x509.AuthorityKeyIdentifier.from_issuer_public_key(self.key.public_key()), critical=False
            )
            .sign(self.key, hashes.SHA256())
        )
        certificate_file = _write_pem(
            self.folder / f"{self.label}-{stem}.pem", certificate.public_bytes(serialization.Encoding.PEM)
        )
        key_file = _write_pem(
            self.folder / f"{self.label}-{stem}.key",
            key.private_bytes(
                serialization.Encoding.PEM,
                serialization.PrivateFormat.PKCS8,
                serialization.NoEncryption(),
            ),
        )
        return certificate_file, key_file


def server_context(certificate: tuple[Path, Path]) -> ssl.SSLContext:
    """A server-side TLS context showing ``certificate`` (its PEM certificate and key files)."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*certificate)
    return context


class TLSServer:
    """A TLS server on 127.0.0.1 that completes each handshake, then reads until the client leaves.

    Each connection gets a daemon thread of its own; :meth:`close` stops
    accepting.
    """

    #: The name of the thread accepting connections.
    thread_name = "test-tls-server"

    def __init__(self, certificate: tuple[Path, Path]) -> None:
        self.context = server_context(certificate)
        self.listener = socket.create_server(("127.0.0.1", 0))
        self.port = int(self.listener.getsockname()[1])
        self.handshakes = 0
        threading.Thread(target=self._accept, name=self.thread_name, daemon=True).start()

    def _accept(self) -> None:
        while True:
            try:
                connection, _ = self.listener.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(connection,), daemon=True).start()

    def _serve(self, connection: socket.socket) -> None:
        connection.settimeout(10)
        with (
            contextlib.suppress(OSError),
            connection,
            self.context.wrap_socket(connection, server_side=True) as tls,
        ):
            self._handle(tls)

    def _handle(self, tls: ssl.SSLSocket) -> None:
        """Serve one connection once its handshake is done: read until the client leaves."""
        self.handshakes += 1
        while tls.recv(1024):
            pass

    def close(self) -> None:
        """Stop accepting connections."""
        self.listener.close()


class TLSForwarder(TLSServer):
    """TLS in front of a plain TCP server: each connection is decrypted and forwarded, both ways."""

    thread_name = "test-tls-forwarder"

    def __init__(self, certificate: tuple[Path, Path], target_port: int) -> None:
        self.target_port = target_port
        super().__init__(certificate)

    def _handle(self, tls: ssl.SSLSocket) -> None:
        """Forward one connection to the target port."""
        with socket.create_connection(("127.0.0.1", self.target_port), timeout=10) as upstream:
            self._pump(tls, upstream)

    @staticmethod
    def _pump(tls: ssl.SSLSocket, upstream: socket.socket) -> None:
        """Copy both ways on this one thread (a TLS socket must not read and write on two at once)."""
        while True:
            ready = [tls] if tls.pending() else select.select([tls, upstream], [], [], 10)[0]
            if not ready:
                return
            for source in ready:
                data = source.recv(65536)
                if not data:
                    return
                (upstream if source is tls else tls).sendall(data)
