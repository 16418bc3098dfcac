"""Our types ↔ PayPal shapes, without the network."""

import pytest

from gateways.base import GatewayRefund, GatewayStatus, PaymentRequest
from gateways.errors import InvalidRequestError
from gateways.paypal import transformers
from shared import money
from shared.cards import Card


@pytest.mark.parametrize(
    "amount, currency, value",
    [
        (1050, "USD", "10.50"),
        (1, "USD", "0.01"),
        (100, "EUR", "1.00"),
        (1050, "JPY", "1050"),
        (1000, "HUF", "10"),
        (250000, "TWD", "2500"),
        (123456789012345, "USD", "1234567890123.45"),
        (99999999999999999, "GBP", "999999999999999.99"),
    ],
)
def test_money_round_trips_exactly(amount, currency, value):
    paypal = transformers.paypal_money(amount, currency)

    assert paypal == {"currency_code": currency, "value": value}
    assert money.from_money(paypal) == amount


@pytest.mark.parametrize("currency", sorted(transformers.DECIMALS))
def test_every_paypal_currency_round_trips(currency):
    step = 10 ** (money.exponent(currency) - transformers.DECIMALS[currency])  # 100 for HUF: whole forints
    for amount in (step, 37 * step, 10**12 * step):
        assert money.from_money(transformers.paypal_money(amount, currency)) == amount


@pytest.mark.parametrize(
    "amount, currency, code",
    [
        (1234, "KWD", "unsupported_currency"),  # three decimals: PayPal does not take it at all
        (1000, "usd", "unsupported_currency"),
        (1050, "HUF", "invalid_amount"),  # 10.50 HUF: PayPal takes whole forints only
        (10.5, "USD", "invalid_amount"),
        (True, "USD", "invalid_amount"),
        (0, "USD", "invalid_amount"),
        (-100, "USD", "invalid_amount"),
    ],
)
def test_amounts_paypal_cannot_take(amount, currency, code):
    with pytest.raises(InvalidRequestError) as exc:
        transformers.paypal_money(amount, currency)

    assert exc.value.code == code


def _request(**changes):
    values = dict(
        payment_id="pay_1",
        amount=1050,
        currency="USD",
        card=Card("4242424242424242", 3, 2031, "123"),
        capture=True,
        idempotency_key="att_1",
        description="Order 42",
        metadata={"order": "42"},
    )
    return PaymentRequest(**{**values, **changes})


def test_order_request():
    assert transformers.order_request(_request(), capture=False) == {
        "intent": "AUTHORIZE",
        "purchase_units": [
            {
                "amount": {"currency_code": "USD", "value": "10.50"},
                "custom_id": "pay_1",
                "description": "Order 42",
            }
        ],
        "payment_source": {
            "card": {"number": "4242424242424242", "expiry": "2031-03", "security_code": "123"}
        },
    }


def test_order_request_leaves_out_what_paypal_would_refuse():
    body = transformers.order_request(
        _request(description="d" * 300, card=Card("4242424242424242", 11, 31), metadata={"k": "v"}),
        capture=True,
    )
    unit = body["purchase_units"][0]

    assert body["intent"] == "CAPTURE"
    assert len(unit["description"]) == transformers.DESCRIPTION_MAX
    assert "invoice_id" not in unit and "metadata" not in unit
    assert body["payment_source"]["card"] == {"number": "4242424242424242", "expiry": "2031-11"}


@pytest.mark.parametrize(
    "return_url, cancel_url",
    [
        ("https://pay.example.com/v1/return/pay_1", "https://pay.example.com/v1/return/pay_1?canceled=1"),
        ("http://127.0.0.1:8000/r?p=pay_1&x=", "http://127.0.0.1:8000/r?p=pay_1&x=&canceled=1"),
    ],
)
def test_wallet_order_request(return_url, cancel_url):
    body = transformers.order_request(
        _request(card=None, method="paypal", return_url=return_url), capture=True
    )

    assert body["intent"] == "CAPTURE" and body["purchase_units"][0]["custom_id"] == "pay_1"
    assert body["payment_source"] == {
        "paypal": {
            "experience_context": {
                "return_url": return_url,
                "cancel_url": cancel_url,
                "user_action": "PAY_NOW",
                "shipping_preference": "NO_SHIPPING",
            }
        }
    }


@pytest.mark.parametrize(
    "changes, code",
    [
        ({"card": None, "method": "paypal"}, "return_url_required"),  # no buyer present to approve
        ({"method": "stripe_payment_method", "method_id": "pm_card_visa"}, "unsupported_method"),
        ({"card": None}, "no_card"),
    ],
)
def test_order_request_refuses_what_paypal_cannot_pay(changes, code):
    with pytest.raises(InvalidRequestError) as exc:
        transformers.order_request(_request(**changes), capture=True)

    assert exc.value.code == code


@pytest.mark.parametrize(
    "status, links, action_url",
    [
        (
            "PAYER_ACTION_REQUIRED",
            [("self", "/o"), ("payer-action", "/checkoutnow?token=ORDER1")],
            "/checkoutnow?token=ORDER1",
        ),
        ("CREATED", [("self", "/o"), ("approve", "/checkoutnow?token=ORDER1")], "/checkoutnow?token=ORDER1"),
        ("APPROVED", [("self", "/o"), ("capture", "/o/capture")], None),
    ],
)
def test_action_url_is_where_the_buyer_approves(status, links, action_url):
    order = {**_order(status=status), "links": [{"rel": rel, "href": href} for rel, href in links]}

    assert transformers.to_payment(order).action_url == action_url


def test_description_patch_adds_or_replaces():
    order = {"id": "O", "purchase_units": [{"reference_id": "default"}]}
    [add] = transformers.description_patch(order, "new")
    order["purchase_units"][0]["description"] = "old"
    [replace] = transformers.description_patch(order, "new")

    assert add == {
        "op": "add",
        "path": "/purchase_units/@reference_id=='default'/description",
        "value": "new",
    }
    assert replace["op"] == "replace"


def _money(value):
    return {"currency_code": "USD", "value": value}


def _order(status="COMPLETED", captures=(), authorizations=()):
    payments = {}
    if captures:
        payments["captures"] = [
            {"id": f"C{i}", "status": s, "amount": _money(v)} for i, (s, v) in enumerate(captures)
        ]
    if authorizations:
        payments["authorizations"] = [
            {"id": f"A{i}", "status": s, "amount": _money("20.00")} for i, s in enumerate(authorizations)
        ]
    return {
        "id": "ORDER1",
        "status": status,
        "purchase_units": [{"amount": _money("20.00"), "payments": payments}],
    }


@pytest.mark.parametrize(
    "order, status, captured, vendor_status",
    [
        (_order(captures=[("COMPLETED", "20.00")]), GatewayStatus.CAPTURED, 2000, "capture:COMPLETED"),
        (
            _order(captures=[("PARTIALLY_REFUNDED", "20.00")]),
            GatewayStatus.CAPTURED,
            2000,
            "capture:PARTIALLY_REFUNDED",
        ),
        (_order(captures=[("PENDING", "20.00")]), GatewayStatus.PROCESSING, 0, "capture:PENDING"),
        (_order(captures=[("DECLINED", "20.00")]), GatewayStatus.DECLINED, 0, "capture:DECLINED"),
        (_order(authorizations=["CREATED"]), GatewayStatus.AUTHORIZED, 0, "authorization:CREATED"),
        (
            _order(authorizations=["CAPTURED"], captures=[("COMPLETED", "15.00")]),
            GatewayStatus.CAPTURED,
            1500,
            "capture:COMPLETED",
        ),
        (_order(authorizations=["VOIDED"]), GatewayStatus.CANCELED, 0, "authorization:VOIDED"),
        (_order(authorizations=["DENIED"]), GatewayStatus.DECLINED, 0, "authorization:DENIED"),
        (_order(status="CREATED"), GatewayStatus.REQUIRES_ACTION, 0, "order:CREATED"),
        (_order(status="APPROVED"), GatewayStatus.PROCESSING, 0, "order:APPROVED"),
        (_order(status="VOIDED"), GatewayStatus.DECLINED, 0, "order:VOIDED"),
        (
            _order(status="PAYER_ACTION_REQUIRED"),
            GatewayStatus.REQUIRES_ACTION,
            0,
            "order:PAYER_ACTION_REQUIRED",
        ),
        (_order(captures=[("SOMETHING_NEW", "20.00")]), GatewayStatus.PROCESSING, 0, "capture:SOMETHING_NEW"),
    ],
)
def test_payment_status(order, status, captured, vendor_status):
    payment = transformers.to_payment(order)

    assert (payment.reference, payment.amount, payment.currency) == ("ORDER1", 2000, "USD")
    assert (payment.status, payment.amount_captured, payment.vendor_status) == (
        status,
        captured,
        vendor_status,
    )


def test_a_replayed_capture_is_not_counted_twice():
    order = _order(authorizations=["CAPTURED"], captures=[("COMPLETED", "15.00")])

    again = transformers.with_payment(
        order, "capture", {"id": "C0", "status": "COMPLETED", "amount": _money("15.00")}
    )
    more = transformers.with_payment(
        order, "capture", {"id": "C9", "status": "COMPLETED", "amount": _money("1.00")}
    )

    assert transformers.to_payment(again).amount_captured == 1500
    assert transformers.to_payment(more).amount_captured == 1600
    assert order["purchase_units"][0]["payments"]["captures"] == [
        {"id": "C0", "status": "COMPLETED", "amount": _money("15.00")}
    ]  # the order read is left as it was


def test_missing_authorization_is_invalid():
    with pytest.raises(InvalidRequestError) as exc:
        transformers.payment_of(_order(captures=[("COMPLETED", "20.00")]), "authorization")

    assert exc.value.code == "no_authorization"


def test_refunds():
    refund = {"id": "R1", "status": "PENDING", "amount": _money("1.25")}

    assert transformers.to_refund(refund) == GatewayRefund("R1", 125, "USD", False, "PENDING")
    with pytest.raises(InvalidRequestError):
        transformers.to_refund({**refund, "status": "FAILED"})
