"""ldap_server as host:port or as an ldap:// / ldaps:// URL."""

from __future__ import annotations

import pytest
from semaphore_auth_ldap.address import ServerAddress, parse_server

from semaphore.plugin_api.errors import ServiceUnavailable


@pytest.mark.parametrize(("value", "needtls", "expected"), [
    ("ldap.example.test:389", False, ServerAddress("ldap.example.test", 389, False)),
    ("ldap.example.test", False, ServerAddress("ldap.example.test", 389, False)),
    ("ldap.example.test", True, ServerAddress("ldap.example.test", 636, True)),
    ("ldap.example.test:3269", True, ServerAddress("ldap.example.test", 3269, True)),
    ("ldap://ldap.example.test:1389/", False, ServerAddress("ldap.example.test", 1389, False)),
    ("ldaps://ldap.example.test", False, ServerAddress("ldap.example.test", 636, True)),
    ("[::1]:389", False, ServerAddress("::1", 389, False)),
])
def test_server_addresses(value, needtls, expected):
    assert parse_server(value, needtls) == expected


def test_an_address_prints_as_a_url():
    assert str(ServerAddress("::1", 636, True)) == "ldaps://[::1]:636"


@pytest.mark.parametrize(("value", "message"), [
    ("", "ldap_server is not set"),
    ("http://ldap.example.test", "not host:port"),
    ("ldap.example.test:port", "no valid port"),
    ("ldap://ldap.example.test/dc=example", "not host:port"),
])
def test_bad_addresses_are_named(value, message):
    with pytest.raises(ServiceUnavailable, match=message):
        parse_server(value, False)
