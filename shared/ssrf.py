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

_UNSAFE = re.compile(r"[\x00-\x20\x7f]")
_HOST = re.compile(r"[a-z0-9._:-]+")
#: Address kinds never called unless allow-listed.
FORBIDDEN = ("is_loopback", "is_link_local", "is_private", "is_multicast", "is_unspecified", "is_reserved")


class Refused(Exception):
    """The URL or the address it leads to may not be called."""


def _network(entry: str):
    try:
        return ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return None


def _address(text: str):
    ip = ipaddress.ip_address(text)
    return getattr(ip, "ipv4_mapped", None) or ip  # ::ffff:10.0.0.1 is 10.0.0.1


class Policy:
    """Parameters:
      allow_http: Also accept ``http`` URLs (development).
      allowed_hosts: Host names and CIDRs (``127.0.0.1/32``, ``localhost``) that may be
        reached even at a non-public address.
    """

    def __init__(self, allow_http=False, allowed_hosts=()):
        self.schemes = ("https", "http") if allow_http else ("https",)
        self.networks = [n for n in map(_network, allowed_hosts) if n is not None]
        self.hosts = {h.lower().rstrip(".") for h in allowed_hosts if _network(h) is None}

    @classmethod
    def from_config(cls, config):
        return cls(config.webhook_allow_http, config.webhook_allowed_hosts)

    def check_url(self, url: str) -> tuple[str, int]:
        """The checks that need no network.

        Returns:
          ``(host, port)`` of ``url``.

        Raises:
          Refused: another scheme, credentials, no host or a bad port.
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
            raise Refused("the URL needs a host name in ASCII (punycode for international names) or an IP address")
        try:
            return parts.hostname, parts.port or (443 if parts.scheme == "https" else 80)
        except ValueError:
            raise Refused("the port is invalid") from None

    def check_address(self, host: str, address: str):
        """Raises:
          Refused: ``address`` (of ``host``) is not public and neither is allow-listed.
        """
        ip = _address(address)
        if host.lower().rstrip(".") in self.hosts or any(ip in n for n in self.networks):
            return
        kind = next((kind[3:] for kind in FORBIDDEN if getattr(ip, kind)), None if ip.is_global else "not global")
        if kind:
            raise Refused(f"{host} leads to a non-public address ({address}: {kind.replace('_', '-')})")

    def resolve(self, host: str, port: int) -> list[str]:
        """Every address of ``host``, each checked: one forbidden address refuses them all.

        Raises:
          Refused: see ``check_address``.
          socket.gaierror: the name does not resolve.
        """
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        addresses = list(dict.fromkeys(info[4][0] for info in infos))
        for address in addresses:
            self.check_address(host, address)
        return addresses
