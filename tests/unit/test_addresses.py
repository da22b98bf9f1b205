"""One rule for webhook destinations, at set time and at send time (``paygate.addresses``)."""

import pytest

from paygate.addresses import is_private_host, is_public_address


@pytest.mark.parametrize(
    "addr",
    ["127.0.0.1", "10.1.2.3", "192.168.0.9", "172.16.5.5", "169.254.169.254", "100.64.0.1", "0.0.0.0", "224.0.0.1",
     "::1", "fe80::1%eth0", "fc00::1", "::ffff:127.0.0.1", "[::1]", "240.0.0.1"],
)
def test_non_public_addresses_are_refused_at_both_points(addr):
    assert not is_public_address(addr)
    assert is_private_host(addr)


@pytest.mark.parametrize("addr", ["93.184.216.34", "8.8.8.8", "2606:4700:4700::1111", "::ffff:93.184.216.34"])
def test_public_addresses_pass(addr):
    assert is_public_address(addr)
    assert not is_private_host(addr)


def test_names():
    assert is_private_host("localhost") and is_private_host("LOCALHOST") and is_private_host("shop.localhost")
    assert not is_private_host("shop.example")  # a name is checked when the delivery resolves it
    with pytest.raises(ValueError):
        is_public_address("shop.example")
