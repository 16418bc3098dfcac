"""Driving a sandbox from a test: faults, and what its ledger says was moved."""

import time

import requests

from store.models import Payment


class Sandbox:
    def __init__(self, base):
        self.base = base

    def faults(self, **faults):
        requests.post(self.base + "/_sandbox/faults", json=faults, timeout=5).raise_for_status()

    def ledger(self, payment_id=None):
        entries = requests.get(self.base + "/_sandbox/ledger", timeout=5).json()["data"]
        return [e for e in entries if payment_id is None or e["payment_id"] == payment_id]

    def captured(self, payment_id):
        """Net money moved for ``payment_id``: captures minus refunds."""
        return net(self.ledger(payment_id)).get(payment_id, 0)


def net(entries):
    """``{payment_id: captures - refunds}`` over ledger ``entries``."""
    moved = {}
    for e in entries:
        sign = {"capture": 1, "refund": -1}.get(e["type"], 0)
        moved[e["payment_id"]] = moved.get(e["payment_id"], 0) + sign * e["amount"]
    return moved


def wait_status(payment_id, statuses=("succeeded", "failed", "canceled", "requires_capture"), timeout=30.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        payment = Payment.get_by_id(payment_id)
        if payment.status in statuses and not payment.pending_operation:
            return payment
        time.sleep(0.05)
    raise AssertionError(f"{payment_id} still {Payment.get_by_id(payment_id).status} after {timeout}s")
