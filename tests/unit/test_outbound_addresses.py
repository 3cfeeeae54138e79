"""The address policy of requests to URLs the server was given: public addresses only unless
private ones are allowed, an IPv6 address that stands for an IPv4 one judged by it."""

from __future__ import annotations

import ipaddress

from hypothesis import given
from hypothesis import strategies as st

from ezchat.domain.addresses import known_private, refused

PRIVATE_V4 = [
    ipaddress.ip_network(n)
    for n in (
        "127.0.0.0/8",
        "10.0.0.0/8",
        "172.16.0.0/12",
        "192.168.0.0/16",
        "169.254.0.0/16",
        "100.64.0.0/10",
        "0.0.0.0/8",
    )
]


def in_network(network: ipaddress.IPv4Network) -> st.SearchStrategy[ipaddress.IPv4Address]:
    low, high = int(network.network_address), int(network.broadcast_address)
    return st.integers(low, high).map(ipaddress.IPv4Address)


private_v4 = st.sampled_from(PRIVATE_V4).flatmap(lambda n: in_network(ipaddress.IPv4Network(n)))


@given(private_v4)
def test_loopback_private_link_local_and_shared_addresses_are_refused(address):
    assert refused(str(address), allow_private=False) is not None
    assert refused(str(address), allow_private=True) is None


@given(private_v4, st.sampled_from(["::ffff:{}", "64:ff9b::{}"]))
def test_an_ipv6_address_standing_for_a_private_ipv4_one_is_refused(address, form):
    v6 = ipaddress.IPv6Address(form.format(address))
    assert refused(str(v6), allow_private=False) is not None


@given(private_v4)
def test_a_6to4_address_of_a_private_ipv4_one_is_refused(address):
    v6 = ipaddress.IPv6Address((0x2002 << 112) | (int(address) << 80))
    assert refused(str(v6), allow_private=False) is not None


@given(st.sampled_from(["::1", "::", "fe80::1", "fe80::1%eth0", "fc00::1", "fd12:3456::1"]))
def test_ipv6_loopback_unspecified_link_local_and_unique_local_are_refused(address):
    assert refused(address, allow_private=False) is not None


@given(st.integers(0, 2**32 - 1).map(ipaddress.IPv4Address))
def test_any_ipv4_address_is_allowed_exactly_when_it_is_global(address):
    allowed = refused(str(address), allow_private=False) is None
    assert allowed == (address.is_global and not address.is_multicast)


def test_multicast_is_refused_even_when_private_addresses_are_allowed():
    assert refused("224.0.0.1", allow_private=True) is not None
    assert refused("ff02::1", allow_private=True) is not None


def test_public_addresses_pass():
    for address in ("93.184.216.34", "2606:2800:220:1:248:1893:25c8:1946", "8.8.8.8"):
        assert refused(address, allow_private=False) is None


def test_names_of_this_machine_and_private_literals_are_known_without_a_lookup():
    for host in ("localhost", "api.localhost", "127.0.0.1", "::1", "10.1.2.3", "[::1]"[1:-1]):
        assert known_private(host), host
    for host in ("push.example.com", "8.8.8.8"):
        assert not known_private(host), host


def test_a_push_endpoint_on_a_private_literal_is_refused_at_subscribe_time():
    import pytest

    from ezchat.domain.errors import InvalidRequest
    from ezchat.services.push import check_endpoint

    for endpoint in (
        "http://127.0.0.1:2375/containers",
        "http://[::1]:2375/x",
        "https://10.0.0.5/push",
        "https://169.254.169.254/latest/meta-data",
        "http://localhost:8080/",
    ):
        with pytest.raises(InvalidRequest):
            check_endpoint(endpoint)
    assert check_endpoint("http://127.0.0.1:9/push", allow_private=True)
    assert check_endpoint("https://push.example.com/abc")


def test_a_webhook_on_a_private_literal_needs_the_setting():
    import pytest

    from ezchat.config import ConfigError, load_config

    env = {"NOTIFY_WEBHOOK_URL": "http://127.0.0.1:9000/hook", "NOTIFY_WEBHOOK_SECRET": "s"}
    with pytest.raises(ConfigError, match="OUTBOUND_ALLOW_PRIVATE"):
        load_config(environ=env)
    assert load_config(environ={**env, "OUTBOUND_ALLOW_PRIVATE": "true"}).notify_webhook_url
