"""Which URLs PayWave may call on a merchant's behalf (OWASP API7, server-side request forgery).

A merchant chooses its webhook URL, so without this guard it could make PayWave
call the cloud metadata service, the database or anything else on our network.
Allowed: ``https`` (``http`` only when configured), no credentials in the URL,
and a host whose every address is public, unless the host name, or the network
of an address, is allow-listed (``PAYWAVE_WEBHOOK_ALLOWED_HOSTS``).

The check is made when an endpoint is created and again on every connection:
``resolve`` vets the addresses once and the caller connects to the vetted one,
so a DNS answer that changes in between (rebinding) cannot bypass it.
"""

import ipaddress
import re
import socket
import urllib.parse
from collections.abc import Collection
from typing import Self

from shared.config import Config

_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_HOST = re.compile(r"[a-z0-9._:-]+")
#: Address kinds never called unless allow-listed.
FORBIDDEN = ("is_loopback", "is_link_local", "is_private", "is_multicast", "is_unspecified", "is_reserved")


class Refused(Exception):
    """The URL or the address it leads to may not be called."""


def _network(entry: str) -> ipaddress.IPv4Network | ipaddress.IPv6Network | None:
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


_NAT64 = (ipaddress.ip_network("64:ff9b::/96"), ipaddress.ip_network("64:ff9b:1::/48"))
_COMPATIBLE = ipaddress.ip_network("::/96")


def _addresses(text: str) -> list[ipaddress.IPv4Address | ipaddress.IPv6Address]:
    """``text`` as an address, followed by any IPv4 address an IPv6 form carries to (6to4, Teredo's client,
    NAT64, IPv4-compatible): each must pass, so a private IPv4 cannot hide in a public-looking IPv6
    address."""
    ip = ipaddress.ip_address(text)
    if ip.version == 4:
        return [ip]
    if ip.ipv4_mapped:
        return [ip.ipv4_mapped]  # ::ffff:10.0.0.1 is 10.0.0.1
    last32 = ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF)
    embedded = [
        ip.sixtofour,
        ip.teredo and ip.teredo[1],
        last32 if any(ip in n for n in _NAT64) or (ip in _COMPATIBLE and int(ip) > 1) else None,
    ]
    return [ip, *(a for a in embedded if a is not None)]


class Policy:
    """Parameters:
    allow_http: Also accept ``http`` URLs (development).
    allowed_hosts: Host names and CIDRs (``127.0.0.1/32``, ``localhost``) that may be
      reached even at a non-public address.
    """

    def __init__(self, allow_http: bool = False, allowed_hosts: Collection[str] = ()) -> None:
        self.schemes = ("https", "http") if allow_http else ("https",)
        self.networks = [n for n in map(_network, allowed_hosts) if n is not None]
        self.hosts = {h.lower().rstrip(".") for h in allowed_hosts if _network(h) is None}

    @classmethod
    def from_config(cls, config: Config) -> Self:
        return cls(config.webhook_allow_http, config.webhook_allowed_hosts)

    def check_url(self, url: str) -> tuple[str, int]:
        """The checks that need no network.

        Returns:
          ``(host, port)`` of ``url``.

        Raises:
          Refused: another scheme, credentials, no host or a bad port (0, beyond 65535 or not a number).
        """
        if _UNSAFE.search(url):
            raise Refused("the URL must not contain spaces or control characters")
        try:
            parts = urllib.parse.urlsplit(url)
        except ValueError:
            raise Refused("the URL is malformed") from None
        if parts.scheme not in self.schemes:
            raise Refused(f"the scheme must be {' or '.join(self.schemes)}")
        if parts.username is not None or parts.password is not None:
            raise Refused("credentials in the URL are not allowed")
        if not parts.hostname or not _HOST.fullmatch(parts.hostname):
            raise Refused(
                "the URL needs a host name in ASCII (punycode for international names) or an IP address"
            )
        try:
            port = parts.port
        except ValueError:  # not a number, or beyond 65535
            port = 0
        if port is None:
            return parts.hostname, 443 if parts.scheme == "https" else 80
        if not 0 < port <= 65535:
            raise Refused("the port is invalid")
        return parts.hostname, port

    def check_address(self, host: str, address: str) -> None:
        """Raises:
        Refused: ``address`` (of ``host``) is not public and neither is allow-listed.
        """
        if host.lower().rstrip(".") in self.hosts:
            return
        for ip in _addresses(address):
            if any(ip in n for n in self.networks):
                continue
            kind = next(
                (kind[3:] for kind in FORBIDDEN if getattr(ip, kind)), None if ip.is_global else "not global"
            )
            if kind:
                via = "" if str(ip) == address else f" carries {ip}"
                raise Refused(
                    f"{host} leads to a non-public address ({address}{via}: {kind.replace('_', '-')})"
                )

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address of ``host``, each checked: one forbidden address refuses them all.

        Raises:
          Refused: see ``check_address``.
          socket.gaierror: the name does not resolve.
        """
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(
            dict.fromkeys(str(info[4][0]) for info in infos)
        )  # an IP address, never an int: SOCK_STREAM
        for address in addresses:
            self.check_address(host, address)
        return addresses
