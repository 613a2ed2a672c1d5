"""Which address a request comes from behind reverse proxies (the ``trusted_proxies`` setting)."""

from __future__ import annotations

import pytest

from semaphore.errors import ConfigError
from semaphore.testing import make_config
from semaphore.trusted_proxies import client_address, parse_networks

TRUSTED = parse_networks(["10.0.0.2", "192.168.50.0/24", "fd00::/8"])


@pytest.mark.parametrize(("peer", "forwarded_for", "client"), [
    ("203.0.113.5", "198.51.100.1", "203.0.113.5"),  # not from a proxy: the header is the client's say
    ("10.0.0.2", "198.51.100.1", "198.51.100.1"),
    ("10.0.0.2", "198.51.100.1, 192.168.50.7", "198.51.100.1"),  # through two proxies
    ("10.0.0.2", "6.6.6.6, 198.51.100.1, 192.168.50.7", "198.51.100.1"),  # the client's forged hop is left of it
    ("10.0.0.2", " 198.51.100.1 ,, 192.168.50.7 ", "198.51.100.1"),
    ("10.0.0.2", "192.168.50.3, 192.168.50.7", "192.168.50.3"),  # only proxies: the farthest
    ("10.0.0.2", "", "10.0.0.2"),
    ("fd00::1", "2001:db8::9", "2001:db8::9"),
    ("10.0.0.2", "not-an-address, 192.168.50.7", "not-an-address"),  # what the proxy saw, even if odd
])
def test_the_right_most_address_that_is_no_trusted_proxy_is_the_client(peer, forwarded_for, client):
    assert client_address(peer, forwarded_for, TRUSTED) == client


def test_without_trusted_proxies_the_peer_is_the_client():
    assert client_address("10.0.0.2", "198.51.100.1", ()) == "10.0.0.2"


@pytest.mark.parametrize("value", ["10.0.0.0/33", "proxy.example.test", "10.0.0.2;10.0.0.3"])
def test_a_bad_entry_is_a_config_error_naming_the_setting(tmp_path, value):
    with pytest.raises(ConfigError, match="trusted_proxies"):
        make_config(tmp_path, {"SEMAPHORE_TRUSTED_PROXIES": value})


def test_the_setting_takes_a_list_or_a_json_array(tmp_path):
    assert make_config(tmp_path, {"SEMAPHORE_TRUSTED_PROXIES": "10.0.0.2, 10.1.0.0/16"}).trusted_proxies == [
        "10.0.0.2", "10.1.0.0/16"]
    assert make_config(tmp_path, {"SEMAPHORE_TRUSTED_PROXIES": '["::1"]'}).trusted_proxies == ["::1"]
