"""Where a webhook may be sent: never into the service's own network unless the operator says so.

A subscription URL is a request the server makes on an integrator's behalf (SSRF): without a check,
`http://169.254.169.254/` or `http://localhost:5432/` would be reachable from outside. The host is
resolved and every address it resolves to must be public; the check runs when the subscription is
made and again before every delivery (DNS can change between the two).
"""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit, urlunsplit


class RefusedAddress(ValueError):
    """The URL may not receive webhooks; the message says why."""


def check_url_shape(url: str, *, allow_private: bool) -> str:
    """The URL's host, if the URL is absolute, has no credentials, and uses https (or http where
    private addresses are allowed, for local receivers)."""
    parts = urlsplit(url)
    allowed = {"https", "http"} if allow_private else {"https"}
    if parts.scheme not in allowed:
        raise RefusedAddress("Webhook URLs must use https.")
    if not parts.hostname:
        raise RefusedAddress("The URL has no host.")
    if parts.username or parts.password:
        raise RefusedAddress("Put no credentials in the URL; verify the signature instead.")
    return parts.hostname


def is_public(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if isinstance(ip, ipaddress.IPv6Address) and ip.ipv4_mapped is not None:
        ip = ip.ipv4_mapped
    return ip.is_global and not ip.is_multicast


async def check_url(url: str, *, allow_private: bool) -> list[str]:
    """The public addresses `url`'s host resolves to now (none are checked, and none returned, where
    private addresses are allowed). Raises `RefusedAddress` unless `url` may receive webhooks."""
    host = check_url_shape(url, allow_private=allow_private)
    if allow_private:
        return []
    port = urlsplit(url).port or 443
    try:
        found = await asyncio.get_running_loop().getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except socket.gaierror as exc:
        raise RefusedAddress(f"The host {host!r} does not resolve.") from exc
    addresses = {info[4][0] for info in found}
    private = sorted(a for a in addresses if not is_public(a))
    if private or not addresses:
        raise RefusedAddress(
            f"The host {host!r} resolves to an address that is not public ({', '.join(private)})."
        )
    return sorted(addresses)


def pinned(url: str, address: str) -> tuple[str, str, str]:
    """`url` sent to `address`, the address just checked, so a second DNS answer (rebinding) cannot
    send the request elsewhere: the URL with the address for its host, the `Host` header, and the
    name TLS must present and verify (SNI)."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    literal = f"[{address}]" if ":" in address else address
    netloc = literal + (f":{parts.port}" if parts.port else "")
    host_header = (f"[{host}]" if ":" in host else host) + (f":{parts.port}" if parts.port else "")
    return urlunsplit(parts._replace(netloc=netloc)), host_header, host
