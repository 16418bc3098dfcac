"""Every money movement a sandbox performed, for reconciliation by tests and audits."""

import contextvars
import threading
import time

#: Who the request being served authenticated as, set by each sandbox's authentication: the last four
#: characters of a Stripe key, a PayPal client id.  Never a whole secret.
CREDENTIAL: contextvars.ContextVar[str | None] = contextvars.ContextVar("sandbox_credential", default=None)


class Ledger:
    """Append-only, thread-safe list of money movements.

    Each entry: ``type`` (authorization, capture, refund, void), ``amount``,
    ``currency``, ``payment_id`` (ours), ``idempotency_key``,
    ``gateway_reference``, ``credential`` (``CREDENTIAL`` of the request that moved it: which of
    PayPal's test and live credentials did) and ``created`` (unix seconds).
    """

    TYPES = ("authorization", "capture", "refund", "void")

    def __init__(self):
        self._lock = threading.Lock()
        self._entries = []

    def record(self, type, *, amount, currency, payment_id, idempotency_key, gateway_reference):
        if type not in self.TYPES:
            raise ValueError(f"unknown ledger entry type {type!r}")
        entry = {
            "type": type,
            "amount": int(amount),
            "currency": currency.upper(),
            "payment_id": payment_id,
            "idempotency_key": idempotency_key,
            "gateway_reference": gateway_reference,
            "credential": CREDENTIAL.get(),
            "created": int(time.time()),
        }
        with self._lock:
            self._entries.append(entry)
        return entry

    def entries(self):
        with self._lock:
            return list(self._entries)

    def clear(self):
        with self._lock:
            self._entries.clear()


class LedgerResource:
    """``GET /_sandbox/ledger`` → ``{"data": [...]}``; ``DELETE`` empties it."""

    def __init__(self, ledger: Ledger):
        self.ledger = ledger

    def on_get(self, req, resp):
        resp.media = {"data": self.ledger.entries()}

    def on_delete(self, req, resp):
        self.ledger.clear()
        resp.media = {"data": []}
