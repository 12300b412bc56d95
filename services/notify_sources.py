"""Who may send `/yookassa/notify`, and a log that names each refused source or unknown id once.

A notification is unsigned and re-fetched before anything is believed, so a forged one changes no
money; but each one costs an API call, and 400 of them used to queue a real client's payment link
behind theirs (issue 19). Only YooKassa's published networks get in (PAYMENTS__YOOKASSA_NOTIFY_SOURCES).
Behind a reverse proxy the peer is the proxy: the address is then the last one in the header the
proxy writes (PAYMENTS__YOOKASSA_TRUSTED_PROXY_HEADER), the only one in it a client cannot forge.
"""

from __future__ import annotations

import ipaddress
import logging
from collections import OrderedDict

from aiohttp import web

log = logging.getLogger(__name__)

Network = ipaddress.IPv4Network | ipaddress.IPv6Network


def parse_networks(text: str) -> list[Network]:
    return [ipaddress.ip_network(item.strip(), strict=False) for item in text.split(",") if item.strip()]


class NotifySources:
    def __init__(self, networks: str, proxy_header: str | None = None) -> None:
        self.networks = parse_networks(networks)
        self.proxy_header = proxy_header

    def address(self, request: web.Request) -> str | None:
        if self.proxy_header:
            forwarded = request.headers.get(self.proxy_header, "")
            return forwarded.rsplit(",", 1)[-1].strip() or None
        return request.remote

    def allowed(self, address: str | None) -> bool:
        try:
            ip = ipaddress.ip_address((address or "").strip("[]"))
        except ValueError:
            return False
        if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
            ip = ip.ipv4_mapped  # a dual-stack socket reports IPv4 peers as ::ffff:a.b.c.d
        return any(ip in network for network in self.networks)


class OncePerKey:
    """Remembers the last `size` keys it logged, so a flood of the same one is one line."""

    def __init__(self, size: int = 1024) -> None:
        self._seen: OrderedDict[str, None] = OrderedDict()
        self._size = size

    def first(self, key: str) -> bool:
        if key in self._seen:
            self._seen.move_to_end(key)
            return False
        self._seen[key] = None
        if len(self._seen) > self._size:
            self._seen.popitem(last=False)
        return True
