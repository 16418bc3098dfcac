"""The webhook sender against real local servers: the SSRF guard on the connection itself
(DNS rebinding included), no redirects, bounded reads, timeouts, TLS with the host name."""

import datetime
import http.server
import socket
import ssl
import threading
import time

import pytest
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from shared import ssrf
from workers.actors.deliveries import retry_in
from workers.delivery_http import SNIPPET_BYTES, Outcome, Sender

REAL_GETADDRINFO = socket.getaddrinfo


class Server:
    """Answers POSTs per path; records the requests (headers) it got."""

    def __init__(self, tls_context=None):
        self.seen = []
        server = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):
                self.rfile.read(int(self.headers["content-length"]))
                server.seen.append(dict(self.headers.items()))
                status, headers, body = {
                    "/big": (200, {}, b"x" * 10_000),
                    "/moved": (301, {"Location": "http://127.0.0.1:1/"}, b""),
                    "/busy": (429, {"Retry-After": "7"}, b"slow down"),
                    "/slow": (200, {}, b""),
                }.get(self.path, (200, {}, b"ok"))
                if self.path == "/slow":
                    time.sleep(1.5)
                self.send_response(status)
                for name, value in {"content-length": str(len(body)), **headers}.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args):
                pass

        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        if tls_context:
            self.httpd.socket = tls_context.wrap_socket(self.httpd.socket, server_side=True)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, args=(0.05,), daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


@pytest.fixture
def server():
    s = Server()
    yield s
    s.close()


@pytest.fixture
def resolve_as(monkeypatch):
    """Make host names resolve to given addresses (what a DNS server could answer)."""
    answers = {}

    def getaddrinfo(host, port, *args, **kwargs):
        if host in answers:
            return [
                (socket.AF_INET6 if ":" in a else socket.AF_INET, socket.SOCK_STREAM, 6, "", (a, port))
                for a in answers[host]
            ]
        return REAL_GETADDRINFO(host, port, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", getaddrinfo)
    return answers


def sender(*allowed, read_timeout=2.0):
    return Sender(ssrf.Policy(allow_http=True, allowed_hosts=allowed), 1.0, read_timeout)


def test_an_allow_listed_address_is_reached_and_answers_are_read_within_1_kib(server):
    s = sender("127.0.0.1/32")
    ok = s.post(f"http://127.0.0.1:{server.port}/", b"{}", {"webhook-id": "evt_1"})
    assert (ok.result, ok.status_code, ok.snippet, ok.ok) == ("succeeded", 200, "ok", True)
    assert server.seen[0]["webhook-id"] == "evt_1"
    big = s.post(f"http://127.0.0.1:{server.port}/big", b"{}", {})
    assert big.ok and big.snippet == "x" * SNIPPET_BYTES
    after = s.post(f"http://127.0.0.1:{server.port}/", b"{}", {})  # the dropped connection is replaced
    assert after.ok and after.snippet == "ok"


def test_redirects_are_failures_never_followed_and_retry_after_is_read(server):
    s = sender("127.0.0.1/32")
    moved = s.post(f"http://127.0.0.1:{server.port}/moved", b"{}", {})
    assert (moved.result, moved.status_code, moved.ok) == ("failed", 301, False)
    busy = s.post(f"http://127.0.0.1:{server.port}/busy", b"{}", {})
    assert (busy.status_code, busy.retry_after, busy.snippet) == (429, 7.0, "slow down")
    assert len(server.seen) == 2


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:{port}/",
        "http://localhost:{port}/",
        "http://10.0.0.1:{port}/",
        "http://169.254.169.254:{port}/",
        "http://[::1]:{port}/",
        "http://[::ffff:127.0.0.1]:{port}/",
    ],
)
def test_non_public_addresses_are_refused_before_connecting(server, url):
    outcome = sender().post(url.format(port=server.port), b"{}", {})
    assert outcome.result == "refused" and "non-public" in outcome.error and outcome.status_code is None
    assert server.seen == []


def test_a_host_with_any_forbidden_address_is_refused(server, resolve_as):
    resolve_as["rebind.example"] = ["93.184.215.14", "127.0.0.1"]
    outcome = sender().post(f"http://rebind.example:{server.port}/", b"{}", {})
    assert outcome.result == "refused" and server.seen == []


def test_the_connection_goes_to_the_vetted_address_with_the_host_name_kept(server, resolve_as):
    """Resolved once: whatever the name resolves to afterwards (rebinding), the socket goes to
    the address that was checked, and the Host header still names the host."""
    resolve_as["hooks.example"] = ["127.0.0.1"]
    s = sender("127.0.0.1/32")
    assert s.post(f"http://hooks.example:{server.port}/", b"{}", {}).ok
    assert server.seen[-1]["Host"] == f"hooks.example:{server.port}"
    resolve_as["hooks.example"] = ["10.0.0.1"]  # rebound: a new connection is refused
    s.pools.clear()
    assert s.post(f"http://hooks.example:{server.port}/", b"{}", {}).result == "refused"


def test_an_allow_listed_name_may_lead_anywhere(server):
    assert sender("localhost").post(f"http://localhost:{server.port}/", b"{}", {}).ok


def test_a_slow_endpoint_times_out(server):
    started = time.monotonic()
    outcome = sender("127.0.0.1/32", read_timeout=0.3).post(f"http://127.0.0.1:{server.port}/slow", b"{}", {})
    assert outcome.result == "unreachable" and "timed out" in outcome.error.lower()
    assert time.monotonic() - started < 1.4


def test_https_is_verified_against_the_host_name_sent_in_sni(resolve_as, tmp_path):
    """A TLS endpoint is reached at the vetted address, with SNI naming the host; a certificate
    no public authority signed is refused (no attempt is made without verification)."""
    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, "hooks.example")])
    now = datetime.datetime.now(datetime.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(1)
        .not_valid_before(now)
        .not_valid_after(now + datetime.timedelta(days=1))
        .add_extension(x509.SubjectAlternativeName([x509.DNSName("hooks.example")]), critical=False)
        .sign(key, hashes.SHA256())
    )
    (tmp_path / "cert.pem").write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    (tmp_path / "key.pem").write_bytes(
        key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )
    )
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(tmp_path / "cert.pem", tmp_path / "key.pem")
    names = []
    context.sni_callback = lambda sock, server_name, ctx: names.append(server_name)
    tls = Server(context)
    try:
        resolve_as["hooks.example"] = ["127.0.0.1"]
        outcome = sender("127.0.0.1/32").post(f"https://hooks.example:{tls.port}/", b"{}", {})
    finally:
        tls.close()
    assert outcome.result == "unreachable" and "CERTIFICATE_VERIFY_FAILED" in outcome.error
    assert names == ["hooks.example"] and tls.seen == []


class _Config:
    webhook_retry_schedule = (5, 300)


def test_retry_delays_follow_the_schedule_with_jitter_and_retry_after():
    assert all(4.5 <= retry_in(_Config, 1, Outcome("failed", 1)) <= 5.5 for _ in range(50))
    assert 270 <= retry_in(_Config, 2, Outcome("failed", 1)) <= 330
    assert retry_in(_Config, 3, Outcome("failed", 1)) is None  # the schedule is spent
    assert retry_in(_Config, 1, Outcome("failed", 1, 503, retry_after=60)) == 60
    assert (
        retry_in(_Config, 1, Outcome("failed", 1, 429, retry_after=10**9)) == 300
    )  # up to the longest delay
