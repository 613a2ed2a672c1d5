"""A real SMTP server for e-mail alert tests: aiosmtpd on loopback, optionally with STARTTLS (a
self-signed certificate for 127.0.0.1, made here) and AUTH."""

from __future__ import annotations

import datetime
import ipaddress
import ssl
from dataclasses import dataclass, field
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from aiosmtpd.controller import Controller
from aiosmtpd.smtp import AuthResult, LoginPassword
from process_helpers import free_port

USERNAME, PASSWORD = "alerts@example.test", "smtp-pass-w0rd"


@dataclass
class Delivery:
    mail_from: str
    rcpt_tos: list[str]
    message: EmailMessage
    tls: bool
    login: str | None


@dataclass
class MailServer:
    port: int
    deliveries: list[Delivery] = field(default_factory=list)
    logins: list[tuple[str, bool]] = field(default_factory=list)  # (login, accepted)

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        message = message_from_bytes(envelope.content, policy=policy.default)
        login = session.auth_data.login.decode() if isinstance(session.auth_data, LoginPassword) else None
        self.deliveries.append(Delivery(envelope.mail_from, list(envelope.rcpt_tos), message,  # type: ignore[arg-type]
                                        session.ssl is not None, login))
        return "250 OK"

    def authenticate(self, server: Any, session: Any, envelope: Any, mechanism: str, auth_data: Any) -> AuthResult:
        accepted = (isinstance(auth_data, LoginPassword)
                    and (auth_data.login.decode(), auth_data.password.decode()) == (USERNAME, PASSWORD))
        self.logins.append((auth_data.login.decode() if isinstance(auth_data, LoginPassword) else "", accepted))
        return AuthResult(success=accepted, handled=False, auth_data=auth_data if accepted else None)


def self_signed_certificate(directory: Path) -> tuple[Path, Path]:
    """A certificate for IP 127.0.0.1 and its key, as PEM files."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "127.0.0.1")])
    now = datetime.datetime.now(datetime.UTC)
    certificate = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
                   .serial_number(x509.random_serial_number())
                   .not_valid_before(now - datetime.timedelta(minutes=5))
                   .not_valid_after(now + datetime.timedelta(days=1))
                   .add_extension(x509.SubjectAlternativeName([x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]),
                                  critical=False)
                   .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
                   .sign(key, hashes.SHA256()))
    cert_path, key_path = directory / "smtp-cert.pem", directory / "smtp-key.pem"
    cert_path.write_bytes(certificate.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    return cert_path, key_path


def start_mail_server(tls_files: tuple[Path, Path] | None = None) -> tuple[MailServer, Controller]:
    """Plain SMTP without AUTH, or (with ``tls_files``) STARTTLS required and AUTH required after it."""
    mail = MailServer(free_port())
    options: dict[str, Any] = {}
    if tls_files is not None:
        context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
        context.load_cert_chain(*map(str, tls_files))
        options = {"tls_context": context, "require_starttls": True, "authenticator": mail.authenticate,
                   "auth_required": True, "auth_require_tls": True}
    controller = Controller(mail, hostname="127.0.0.1", port=mail.port, **options)
    controller.start()
    return mail, controller
