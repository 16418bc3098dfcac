"""Fixtures shared by the gateway adapters' tests."""

import http.server

import pytest
import requests

from tests.support import services

#: Headers not relayed as they are: hop-by-hop ones, and those describing a body requests decoded.
NOT_RELAYED = {
    "connection",
    "keep-alive",
    "proxy-connection",
    "proxy-authorization",
    "te",
    "trailer",
    "transfer-encoding",
    "upgrade",
    "content-length",
    "content-encoding",
}


class ForwardProxy(http.server.ThreadingHTTPServer):
    """A plain-HTTP forward proxy: relays each request to the absolute URL it names, keeps
    ``(method, url)`` of every request it relayed."""

    def __init__(self):
        super().__init__(("127.0.0.1", 0), _ProxyHandler)
        self.seen = []
        self.upstream = requests.Session()
        self.upstream.trust_env = False  # the proxy itself goes straight to the server

    @property
    def url(self):
        return f"http://127.0.0.1:{self.server_address[1]}"


class _ProxyHandler(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def _relay(self):
        length = int(self.headers.get("Content-Length") or 0)
        body = self.rfile.read(length) if length else None
        self.server.seen.append((self.command, self.path))  # the absolute URL: only a proxy gets one
        headers = {k: v for k, v in self.headers.items() if k.lower() not in NOT_RELAYED | {"host"}}
        answer = self.server.upstream.request(
            self.command, self.path, data=body, headers=headers, timeout=10, allow_redirects=False
        )
        self.send_response(answer.status_code)
        for name, value in answer.headers.items():
            if name.lower() not in NOT_RELAYED:
                self.send_header(name, value)
        self.send_header("Content-Length", str(len(answer.content)))
        self.end_headers()
        self.wfile.write(answer.content)

    do_GET = do_POST = do_PATCH = do_DELETE = _relay

    def log_message(self, *args):
        pass


@pytest.fixture
def forward_proxy():
    """A running ``ForwardProxy``, shut down after the test."""
    with services.serving(ForwardProxy()) as proxy:
        yield proxy


@pytest.fixture
def proxy_environment(monkeypatch):
    """``proxy_environment(url, no_proxy=None)`` sets the proxy for plain HTTP and the hosts that
    bypass it, in both spellings; ``proxy_environment(None)`` clears every proxy variable."""

    def set_proxy(url, no_proxy=None):
        for name in ("http_proxy", "https_proxy", "all_proxy", "no_proxy"):
            for spelling in (name, name.upper()):
                monkeypatch.delenv(spelling, raising=False)
        for name, value in (("http_proxy", url), ("no_proxy", no_proxy)):
            if value:
                monkeypatch.setenv(name, value)
                monkeypatch.setenv(name.upper(), value)

    return set_proxy
