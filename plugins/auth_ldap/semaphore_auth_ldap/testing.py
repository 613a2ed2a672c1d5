"""A throwaway OpenLDAP server for tests: the system's real ``slapd`` in a temporary directory.

:class:`Slapd` writes a ``slapd.conf``, loads the base entries with ``slapadd``, starts ``slapd`` in
the foreground on free loopback ports (plain ``ldap://`` with StartTLS, and ``ldaps://``) and adds
groups online, so that the ``memberof`` overlay fills in the members' ``memberOf``.
:class:`Certificates` makes the self-signed CA and the server certificate it listens with.

Used by this plugin's tests and by the end-to-end test of the server; not imported by the plugin.
"""

from __future__ import annotations

import datetime
import ipaddress
import shutil
import socket
import subprocess
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

SUFFIX = "dc=example,dc=test"
ROOT_DN = f"cn=admin,{SUFFIX}"
ROOT_PASSWORD = "root-secret"
PEOPLE = f"ou=people,{SUFFIX}"
GROUPS = f"ou=groups,{SUFFIX}"
SCHEMAS = ("core", "cosine", "nis", "inetorgperson")
MODULE_PATH = "/usr/lib/ldap"
START_TIMEOUT = 10.0


def slapd_installed() -> bool:
    return shutil.which("slapd") is not None or Path("/usr/sbin/slapd").exists()


def _binary(name: str) -> str:
    return shutil.which(name) or f"/usr/sbin/{name}"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass(frozen=True)
class Person:
    uid: str
    password: str
    cn: str
    mail: str | None = None


@dataclass(frozen=True)
class Group:
    cn: str
    members: tuple[str, ...]  # uids

    @property
    def dn(self) -> str:
        return f"cn={self.cn},{GROUPS}"


def person_dn(uid: str) -> str:
    return f"uid={uid},{PEOPLE}"


class Certificates:
    """A self-signed CA and a server certificate for ``localhost`` / 127.0.0.1 that it signed, as
    PEM files in ``directory``; ``other_ca`` is a second CA that signed nothing (a wrong CA)."""

    def __init__(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        self.ca_file = directory / "ca.pem"
        self.other_ca_file = directory / "other-ca.pem"
        self.cert_file = directory / "server.pem"
        self.key_file = directory / "server-key.pem"
        ca_key, ca_cert = self._authority("Semaphore test CA")
        _, other_cert = self._authority("Some other CA")
        server_key, server_cert = self._server(ca_key, ca_cert)
        self.ca_file.write_bytes(_pem(ca_cert))
        self.other_ca_file.write_bytes(_pem(other_cert))
        self.cert_file.write_bytes(_pem(server_cert))
        self.key_file.write_bytes(_key_pem(server_key))

    @staticmethod
    def _authority(name: str) -> tuple[Any, Any]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        subject = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, name)])
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder().subject_name(subject).issuer_name(subject)
                .public_key(key.public_key()).serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.BasicConstraints(ca=True, path_length=0), critical=True)
                .add_extension(x509.KeyUsage(digital_signature=True, key_cert_sign=True, crl_sign=True,
                                             content_commitment=False, key_encipherment=False,
                                             data_encipherment=False, key_agreement=False,
                                             encipher_only=False, decipher_only=False), critical=True)
                .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
                .sign(key, hashes.SHA256()))
        return key, cert

    @staticmethod
    def _server(ca_key: Any, ca_cert: Any) -> tuple[Any, Any]:
        from cryptography import x509
        from cryptography.hazmat.primitives import hashes
        from cryptography.hazmat.primitives.asymmetric import ec
        from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

        key = ec.generate_private_key(ec.SECP256R1())
        now = datetime.datetime.now(datetime.UTC)
        cert = (x509.CertificateBuilder()
                .subject_name(x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "localhost")]))
                .issuer_name(ca_cert.subject).public_key(key.public_key())
                .serial_number(x509.random_serial_number())
                .not_valid_before(now - datetime.timedelta(minutes=5))
                .not_valid_after(now + datetime.timedelta(days=1))
                .add_extension(x509.SubjectAlternativeName([
                    x509.DNSName("localhost"), x509.IPAddress(ipaddress.ip_address("127.0.0.1"))]), critical=False)
                .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
                .add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.SERVER_AUTH]), critical=False)
                .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(ca_key.public_key()),
                               critical=False)
                .sign(ca_key, hashes.SHA256()))
        return key, cert


def _pem(cert: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding

    return bytes(cert.public_bytes(Encoding.PEM))


def _key_pem(key: Any) -> bytes:
    from cryptography.hazmat.primitives.serialization import Encoding, NoEncryption, PrivateFormat

    return bytes(key.private_bytes(Encoding.PEM, PrivateFormat.TraditionalOpenSSL, NoEncryption()))


@dataclass
class Slapd:
    """One slapd process serving ``SUFFIX`` with ``people`` and ``groups``."""

    directory: Path
    people: tuple[Person, ...]
    groups: tuple[Group, ...] = ()
    port: int = 0
    tls_port: int = 0
    certificates: Certificates | None = None
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def server(self) -> str:
        """``ldap_server`` for the plain listener (StartTLS works on it)."""
        return f"127.0.0.1:{self.port}"

    @property
    def tls_server(self) -> str:
        """``ldap_server`` for the LDAPS listener."""
        return f"127.0.0.1:{self.tls_port}"

    def start(self) -> Slapd:
        self.directory.mkdir(parents=True, exist_ok=True)
        (self.directory / "db").mkdir(exist_ok=True)
        self.certificates = self.certificates or Certificates(self.directory / "tls")
        conf = self.directory / "slapd.conf"
        conf.write_text(self._config())
        base = self.directory / "base.ldif"
        base.write_text(self._base_ldif())
        loaded = subprocess.run([_binary("slapadd"), "-q", "-f", str(conf), "-l", str(base)],
                                capture_output=True, text=True, check=False)
        if loaded.returncode != 0:
            raise RuntimeError(f"slapadd failed: {loaded.stderr}")
        self.run()
        self._add_groups()
        return self

    def run(self) -> None:
        """Start (or restart, after :meth:`stop`) the process on the same ports and data."""
        self.port, self.tls_port = self.port or free_port(), self.tls_port or free_port()
        # 127.0.0.2 is a name the certificate does not carry, for host name checks.
        urls = (f"ldap://127.0.0.1:{self.port}/ ldaps://127.0.0.1:{self.tls_port}/ "
                f"ldap://127.0.0.2:{self.port}/")
        log = (self.directory / "slapd.log").open("ab")
        # -d 0: stay in the foreground, so the pid is slapd's and stop() ends it.
        self.process = subprocess.Popen([_binary("slapd"), "-f", str(self.directory / "slapd.conf"),
                                         "-h", urls, "-d", "0"], stdout=log, stderr=log)
        log.close()
        deadline = time.monotonic() + START_TIMEOUT
        while not all(_listening(port) for port in (self.port, self.tls_port)):
            if self.process.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"slapd did not start: {(self.directory / 'slapd.log').read_text()}")
            time.sleep(0.02)

    def stop(self) -> None:
        if self.process is not None and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=10)
        self.process = None

    def _config(self) -> str:
        assert self.certificates is not None
        schemas = "".join(f"include /etc/ldap/schema/{name}.schema\n" for name in SCHEMAS)
        return (f"{schemas}"
                f"pidfile {self.directory / 'slapd.pid'}\n"
                f"argsfile {self.directory / 'slapd.args'}\n"
                f"modulepath {MODULE_PATH}\n"
                "moduleload back_mdb\n"
                "moduleload memberof\n"
                f"TLSCACertificateFile {self.certificates.ca_file}\n"
                f"TLSCertificateFile {self.certificates.cert_file}\n"
                f"TLSCertificateKeyFile {self.certificates.key_file}\n"
                "database mdb\n"
                f"suffix \"{SUFFIX}\"\n"
                f"rootdn \"{ROOT_DN}\"\n"
                f"rootpw {ROOT_PASSWORD}\n"
                f"directory {self.directory / 'db'}\n"
                "maxsize 10485760\n"
                "overlay memberof\n")

    def _base_ldif(self) -> str:
        entries = [
            f"dn: {SUFFIX}\nobjectClass: dcObject\nobjectClass: organization\ndc: example\no: Example\n",
            f"dn: {PEOPLE}\nobjectClass: organizationalUnit\nou: people\n",
            f"dn: {GROUPS}\nobjectClass: organizationalUnit\nou: groups\n",
        ]
        for person in self.people:
            entry = (f"dn: {person_dn(person.uid)}\nobjectClass: inetOrgPerson\nuid: {person.uid}\n"
                     f"cn: {person.cn}\nsn: {person.cn.split()[-1]}\nuserPassword: {person.password}\n")
            if person.mail:
                entry += f"mail: {person.mail}\n"
            entries.append(entry)
        return "\n".join(entries)

    def _add_groups(self) -> None:
        """Added over the protocol, not with slapadd: only then does memberof set ``memberOf``."""
        from ldap3 import Connection, Server

        connection = Connection(Server("127.0.0.1", port=self.port), ROOT_DN, ROOT_PASSWORD,
                                auto_bind=True, raise_exceptions=True)
        try:
            for group in self.groups:
                connection.add(group.dn, ["groupOfNames"],
                               {"cn": group.cn, "member": [person_dn(uid) for uid in group.members]})
        finally:
            connection.unbind()  # not left to "with": it keeps a connection bound before it open


def _listening(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.2):
            return True
    except OSError:
        return False
