"""The HTTP side of a webhook attempt, behind the SSRF guard (``shared.ssrf``).

urllib3 directly: no proxies or credentials from the environment, no cookies,
no redirects followed, no retries of its own (the schedule retries), short
timeouts, and at most ``SNIPPET_BYTES`` of an answer read.  Every connection is
opened to an address the policy vetted, resolved once (see ``_Guarded``).
"""

import dataclasses
import socket
import time

import certifi
import urllib3
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.exceptions import ConnectTimeoutError, HTTPError, NewConnectionError
from urllib3.util import connection

from gateways.errors import retry_after_seconds
from shared import ssrf

SNIPPET_BYTES = 1024
ERROR_CHARS = 500


@dataclasses.dataclass(frozen=True)
class Outcome:
    """One attempt: ``result`` is ``succeeded`` (2xx), ``failed`` (another status),
    ``unreachable`` (no answer) or ``refused`` (the SSRF guard).
    ``retry_after`` is set from a ``429``/``503`` answer's ``Retry-After``."""

    result: str
    latency_ms: int
    status_code: int | None = None
    snippet: str | None = None
    error: str | None = None
    retry_after: float | None = None

    @property
    def ok(self) -> bool:
        return self.result == "succeeded"


class _Guarded(HTTPConnection):
    """Connects only to a vetted address: the host is resolved once, every address it
    has must pass the policy, and the socket is opened to that very address, so a DNS
    answer that changes afterwards (rebinding) is never used.  The Host header and TLS
    (SNI, certificate) keep the host name."""

    def __init__(self, *args, policy: ssrf.Policy, **kwargs):
        super().__init__(*args, **kwargs)
        self.policy = policy

    def _new_conn(self) -> socket.socket:
        address = self.policy.resolve(self.host, self.port)[0]
        try:
            return connection.create_connection(
                (address, self.port),
                self.timeout,
                source_address=self.source_address,
                socket_options=self.socket_options,
            )
        except TimeoutError as exc:
            raise ConnectTimeoutError(self, f"connecting to {self.host} timed out") from exc
        except OSError as exc:
            raise NewConnectionError(self, f"cannot connect to {self.host}: {exc}") from exc


class _GuardedHTTPConnection(_Guarded, HTTPConnection):
    pass


class _GuardedHTTPSConnection(_Guarded, HTTPSConnection):
    pass


class _PoolManager(urllib3.PoolManager):
    """Pools whose connections are guarded by ``policy``."""

    CONNECTIONS = {"http": _GuardedHTTPConnection, "https": _GuardedHTTPSConnection}

    def __init__(self, policy: ssrf.Policy, **kwargs):
        super().__init__(**kwargs)
        self.policy = policy

    def _new_pool(self, scheme, host, port, request_context=None):
        pool = super()._new_pool(scheme, host, port, request_context)
        pool.ConnectionCls = self.CONNECTIONS[scheme]
        pool.conn_kw["policy"] = self.policy
        return pool


def _ms(started: float) -> int:
    return int((time.perf_counter() - started) * 1000)


class Sender:
    """Posts webhook bodies; thread-safe, one per worker process (keeps connections alive).

    Parameters:
      policy: ``shared.ssrf.Policy``.
      connect_timeout, read_timeout: Seconds.
      connections_per_host: Kept-alive connections per host (the worker's thread count).
    """

    def __init__(self, policy, connect_timeout, read_timeout, connections_per_host=8):
        self.policy = policy
        self.timeout = urllib3.Timeout(connect=connect_timeout, read=read_timeout)
        self.pools = _PoolManager(
            policy, maxsize=connections_per_host, cert_reqs="CERT_REQUIRED", ca_certs=certifi.where()
        )

    @classmethod
    def from_config(cls, config):
        return cls(
            ssrf.Policy.from_config(config),
            config.webhook_connect_timeout,
            config.webhook_read_timeout,
            config.worker_threads,
        )

    def post(self, url: str, body: bytes, headers: dict) -> Outcome:
        """One POST of ``body`` to ``url`` with ``headers``.

        Returns:
          The ``Outcome``: what the endpoint or the network did is never raised.
        """
        started = time.perf_counter()
        try:
            self.policy.check_url(url)
            response = self.pools.urlopen(
                "POST",
                url,
                body=body,
                headers=headers,
                redirect=False,
                retries=False,
                timeout=self.timeout,
                preload_content=False,
            )
        except ssrf.Refused as exc:
            return Outcome("refused", _ms(started), error=f"refused: {exc}")
        except (HTTPError, OSError, ValueError) as exc:
            return Outcome("unreachable", _ms(started), error=f"{type(exc).__name__}: {exc}"[:ERROR_CHARS])
        snippet = self._snippet(response)
        status = response.status
        return Outcome(
            "succeeded" if 200 <= status < 300 else "failed",
            _ms(started),
            status,
            snippet,
            retry_after=retry_after_seconds(response.headers.get("Retry-After"))
            if status in (429, 503)
            else None,
        )

    @staticmethod
    def _snippet(response) -> str:
        """At most ``SNIPPET_BYTES`` of the answer, undecoded; the rest is never read."""
        try:
            raw = response.read(SNIPPET_BYTES + 1, decode_content=False)
            complete = len(raw) <= SNIPPET_BYTES
        except (HTTPError, OSError):
            raw, complete = b"", False  # the status is the answer; a broken body only costs the snippet
        if not complete:
            response.close()  # drop the connection rather than read on
        response.release_conn()
        return raw[:SNIPPET_BYTES].decode("utf-8", "ignore")
