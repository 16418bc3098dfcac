"""What the account tells the outside world: money movements to the ledger, Stripe events to a webhook URL."""

import hashlib
import hmac
import logging
import os
import queue
import threading
import time

import orjson
import requests

from sandbox.stripe.wire import API_VERSION, new_id

log = logging.getLogger(__name__)


class Emitter:
    """Records every money movement in ``ledger`` and sends events through ``webhooks`` (when given)."""

    def __init__(self, ledger, webhooks=None):
        self.ledger = ledger
        self.webhooks = webhooks

    def record(self, type, pi, amount, key):
        """A movement of ``amount`` on the PaymentIntent ``pi``, under its id."""
        self.ledger.record(
            type,
            amount=amount,
            currency=pi["currency"],
            payment_id=pi["metadata"].get("payment_id"),
            idempotency_key=key,
            gateway_reference=pi["id"],
        )

    def record_refund(self, refund, pi, key):
        """``refund`` of ``pi``, under the refund's id; its own ``payment_id`` metadata comes first."""
        self.ledger.record(
            "refund",
            amount=refund["amount"],
            currency=refund["currency"],
            payment_id=refund["metadata"].get("payment_id") or pi["metadata"].get("payment_id"),
            idempotency_key=key,
            gateway_reference=refund["id"],
        )

    def notify(self, type, obj, key):
        if self.webhooks:
            self.webhooks.send(type, obj, key)


class Webhooks:
    """Posts Stripe events to ``url``, signed as Stripe does, from one background thread.

    Best effort: a few attempts per event, then it is dropped; an API request never waits.
    """

    RETRY_DELAYS = (0.5, 2.0)

    def __init__(self, url, secret=None):
        self.url = url
        self.secret = secret
        self._queue = queue.SimpleQueue()
        self._lock = threading.Lock()
        self._pid = None  # the app is built before gunicorn forks: start the thread in the worker

    def send(self, type, obj, idempotency_key):
        event = {
            "id": new_id("evt"),
            "object": "event",
            "api_version": API_VERSION,
            "created": int(time.time()),
            "livemode": False,
            "pending_webhooks": 1,
            "request": {"id": None, "idempotency_key": idempotency_key},
            "type": type,
            "data": {"object": obj},
        }
        with self._lock:
            if self._pid != os.getpid():
                self._pid = os.getpid()
                threading.Thread(target=self._deliver, name="stripe-webhooks", daemon=True).start()
        self._queue.put(event)

    def signature(self, payload, timestamp):
        """``Stripe-Signature`` for ``payload`` (bytes): ``t=<ts>,v1=<HMAC-SHA256 of "<ts>.<payload>">``."""
        mac = hmac.new(self.secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256)
        return f"t={timestamp},v1={mac.hexdigest()}"

    def _deliver(self):
        session = requests.Session()
        while True:
            event = self._queue.get()
            try:
                payload = orjson.dumps(event)
                for delay in (*self.RETRY_DELAYS, None):
                    if self._post(session, payload) or delay is None:
                        break
                    time.sleep(delay)
            except Exception:  # one bad event must not end delivery for the rest
                log.exception("webhook %s not delivered", event["id"])

    def _post(self, session, payload):
        headers = {
            "Content-Type": "application/json; charset=utf-8",
            "User-Agent": "Stripe/1.0 (+https://stripe.com/docs/webhooks)",
        }
        if self.secret:
            headers["Stripe-Signature"] = self.signature(payload, int(time.time()))
        try:
            return session.post(self.url, data=payload, headers=headers, timeout=5).ok
        except requests.RequestException as exc:
            log.warning("webhook delivery to %s failed: %s", self.url, exc)
            return False
