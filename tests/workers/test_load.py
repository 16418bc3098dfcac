"""500 payments through both pools with injected errors and latency: every one
terminal in bounded time, and the gateways' ledgers equal our books, payment by payment."""

import time

from store.models import Payment
from tests.support.api import card_payment
from tests.support.sandbox import net

TERMINAL = ("succeeded", "failed")


def test_500_payments_with_20_percent_errors_reconcile(api, auth, merchant, stripe, paypal):
    for sandbox in (stripe, paypal):
        sandbox.faults(error_rate=0.2, error_status=503, latency_ms=10)
    ids = []
    for i in range(500):
        resp = api.simulate_post(
            "/payments", json=card_payment(amount=100 + i, gateway=("stripe", "paypal")[i % 2]), headers=auth
        )
        assert resp.status_code == 202
        ids.append(resp.json["id"])
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if Payment.select().where(Payment.id.in_(ids) & Payment.status.not_in(TERMINAL)).count() == 0:
            break
        time.sleep(0.5)
    payments = {p.id: p for p in Payment.select().where(Payment.id.in_(ids))}
    stuck = [p.id for p in payments.values() if p.status not in TERMINAL]
    assert not stuck, f"{len(stuck)} payments not terminal"
    moved = {}
    for sandbox in (stripe, paypal):
        for pid, amount in net(sandbox.ledger()).items():
            moved.setdefault(pid, []).append(amount)
    for pid, payment in payments.items():
        charges = [a for a in moved.get(pid, []) if a]
        assert sum(charges) == payment.amount_captured, pid
        assert len(charges) <= 1, f"{pid} charged at two gateways"
        if payment.status == "succeeded":
            assert payment.amount_captured == payment.amount
    assert sum(p.status == "succeeded" for p in payments.values()) >= 495
