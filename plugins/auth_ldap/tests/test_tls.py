"""LDAPS and StartTLS with the fixture's self-signed CA: the certificate is checked against
ldap_ca_file when it is set (a wrong CA is a clear 503), and not checked when it is empty."""

from __future__ import annotations

import pytest


def transports(slapd):
    """ldap_* settings for each way of speaking TLS to the fixture's slapd."""
    return {
        "ldaps": {"SERVER": slapd.tls_server, "NEEDTLS": "true"},
        "ldaps url": {"SERVER": f"ldaps://{slapd.tls_server}"},
        "starttls": {"SERVER": slapd.server, "STARTTLS": "true"},
    }


@pytest.fixture(params=["ldaps", "ldaps url", "starttls"])
def tls(request, slapd):
    return transports(slapd)[request.param]


def log_in(app):
    return app.test_client().post("/api/auth/login", json={"auth": "ann", "password": "ann's password"})


def test_tls_with_the_certificate_checked_against_the_ca(ldap_app, slapd, tls):
    response = log_in(ldap_app(**tls, CA_FILE=str(slapd.certificates.ca_file)))
    assert response.status_code == 204, response.get_json()


def test_a_certificate_from_another_ca_is_a_clear_503(ldap_app, slapd, tls, caplog):
    other = str(slapd.certificates.other_ca_file)
    response = log_in(ldap_app(**tls, CA_FILE=other))
    assert response.status_code == 503
    error = response.get_json()["error"]
    assert f"its TLS certificate does not verify against ldap_ca_file {other!r}" in error
    assert "CERTIFICATE_VERIFY_FAILED" in caplog.text


def test_a_host_name_the_certificate_does_not_name_is_refused(ldap_app, slapd):
    # The certificate names localhost and 127.0.0.1; 127.0.0.2 is the same slapd under another name.
    response = log_in(ldap_app(SERVER=f"127.0.0.2:{slapd.port}", STARTTLS="true",
                               CA_FILE=str(slapd.certificates.ca_file)))
    assert response.status_code == 503
    assert "does not verify against ldap_ca_file" in response.get_json()["error"]
    assert "127.0.0.2" in response.get_json()["error"]


def test_the_name_localhost_from_the_certificate_is_accepted(ldap_app, slapd):
    response = log_in(ldap_app(SERVER=f"localhost:{slapd.port}", STARTTLS="true",
                               CA_FILE=str(slapd.certificates.ca_file)))
    assert response.status_code == 204, response.get_json()


def test_without_a_ca_file_the_certificate_is_not_checked_as_in_the_original(ldap_app, tls):
    assert log_in(ldap_app(**tls)).status_code == 204


def test_a_ca_file_that_cannot_be_read_is_named(ldap_app, slapd, tmp_path):
    missing = str(tmp_path / "no-such-ca.pem")
    response = log_in(ldap_app(SERVER=slapd.tls_server, NEEDTLS="true", CA_FILE=missing))
    assert response.status_code == 503
    assert f"ldap_ca_file {missing!r} cannot be used" in response.get_json()["error"]


def test_starttls_on_the_ldaps_port_is_not_tried(ldap_app, slapd):
    """Both set: the connection is LDAPS from the start, StartTLS is not sent on top of it."""
    response = log_in(ldap_app(SERVER=slapd.tls_server, NEEDTLS="true", STARTTLS="true",
                               CA_FILE=str(slapd.certificates.ca_file)))
    assert response.status_code == 204


def test_plain_ldap_to_the_ldaps_port_fails_clearly(ldap_app, slapd):
    response = log_in(ldap_app(SERVER=slapd.tls_server, TIMEOUT="2"))
    assert response.status_code == 503
    assert "LDAP server ldap://" in response.get_json()["error"]
