"""Which network addresses paygate may send a merchant's webhooks to: one rule, used twice.

When the URL is set (its host is a literal address, or a name that is local by definition) and
again when each delivery is sent (every address the name resolves to). An address is public only
when it is globally routable and none of private, loopback, link-local, multicast, reserved or
unspecified; an IPv4 address mapped into IPv6 is judged as the IPv4 address it carries.
"""

from __future__ import annotations

from ipaddress import ip_address

_LOCAL_NAMES = ("localhost", "localhost.localdomain")


def is_public_address(addr: str) -> bool:
    """True for a globally routable address; ``ValueError`` when ``addr`` is not an address."""
    ip = ip_address(addr.split("%", 1)[0].strip("[]"))
    if getattr(ip, "ipv4_mapped", None):
        ip = ip.ipv4_mapped
    return ip.is_global and not (ip.is_private or ip.is_loopback or ip.is_link_local or ip.is_multicast or ip.is_reserved or ip.is_unspecified)


def is_private_host(host: str) -> bool:
    """True when a URL's host is known to be non-public without a lookup (a name is checked when sent)."""
    name = host.lower()
    if name in _LOCAL_NAMES or name.endswith(".localhost"):
        return True
    try:
        return not is_public_address(host)
    except ValueError:
        return False  # a name: resolved and checked at delivery time
