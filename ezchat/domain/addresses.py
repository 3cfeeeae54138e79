"""Which addresses a request to a URL the server was given may go to: public ones only,
unless the deployment allows private ones (``OUTBOUND_ALLOW_PRIVATE``)."""

from __future__ import annotations

import ipaddress

IpAddress = ipaddress.IPv4Address | ipaddress.IPv6Address
_NAT64 = ipaddress.ip_network("64:ff9b::/96")


def embedded_ipv4(address: IpAddress) -> ipaddress.IPv4Address | None:
    """The IPv4 address an IPv6 one stands for (mapped, 6to4, Teredo, NAT64), if any: they
    reach the IPv4 address, so they are judged by it."""
    if isinstance(address, ipaddress.IPv4Address):
        return None
    if address.ipv4_mapped is not None:
        return address.ipv4_mapped
    if address.sixtofour is not None:
        return address.sixtofour
    if address.teredo is not None:
        return address.teredo[1]
    if address in _NAT64:
        return ipaddress.IPv4Address(int(address) & 0xFFFFFFFF)
    return None


def refused(address: str, *, allow_private: bool) -> str | None:
    """Why a request may not go to ``address`` (an IP literal), or None when it may. Loopback,
    private, link-local, unspecified, shared (CGNAT), reserved and documentation addresses are
    refused unless ``allow_private``; multicast and unparsable addresses always are."""
    try:
        ip: IpAddress = ipaddress.ip_address(address.split("%", 1)[0])
    except ValueError:
        return f"{address!r} is not an IP address"
    inner = embedded_ipv4(ip)
    judged = inner if inner is not None else ip
    if judged.is_multicast:
        return f"{address} is a multicast address"
    if allow_private or judged.is_global:
        return None
    return f"{address} is not a public address (OUTBOUND_ALLOW_PRIVATE is off)"


def known_private(host: str) -> bool:
    """Whether ``host`` is known without a lookup to be no public address: a name of this
    machine, or an IP literal the policy refuses (other names are checked when connected)."""
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        ipaddress.ip_address(host.split("%", 1)[0])
    except ValueError:
        return False
    return refused(host, allow_private=False) is not None
