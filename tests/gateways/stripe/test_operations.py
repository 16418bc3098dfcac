"""Every StripeGateway operation against the Stripe sandbox, checked against its ledger."""

import dataclasses
import inspect

import pytest
import requests
import stripe

from gateways.base import CardFacts, GatewayStatus
from gateways.errors import InvalidRequestError, SoftDeclineError, UnknownOutcomeError
from gateways.stripe import StripeGateway
from gateways.stripe.client import API_VERSION
from gateways.stripe.transformers import to_payment


def key(request, step):
    """An idempotency key for a follow-up ``step`` of ``request``'s payment."""
    return f"{request.idempotency_key}:{step}"


def kinds(entries):
    return [(e["type"], e["amount"]) for e in entries]


def card_form(card):
    return {
        "type": "card",
        "card[number]": card.number,
        "card[exp_month]": card.exp_month,
        "card[exp_year]": card.exp_year,
        "card[cvc]": card.cvc,
    }


def test_charge_captures_once(gateway, new_request, ledger):
    request = new_request(amount=1250, currency="EUR", description="order 7")

    payment = gateway.charge(request)

    assert payment.reference.startswith("pi_")
    assert (payment.status, payment.amount, payment.amount_captured, payment.currency) == (
        GatewayStatus.CAPTURED,
        1250,
        1250,
        "EUR",
    )
    assert payment.vendor_status == "succeeded"
    entries = ledger(request.payment_id)
    assert kinds(entries) == [("authorization", 1250), ("capture", 1250)]
    assert {(e["gateway_reference"], e["idempotency_key"], e["currency"]) for e in entries} == {
        (payment.reference, request.idempotency_key, "EUR")
    }


def test_charge_is_one_call_creating_the_payment_method_from_the_card(
    make_gateway, new_request, ledger, sandbox, api_key, forward_proxy, proxy_environment
):
    proxy_environment(forward_proxy.url)  # the proxy sees every call
    request = new_request("5555555555554444")

    payment = make_gateway().charge(request)

    assert forward_proxy.seen == [("POST", f"{sandbox}/v1/payment_intents")]
    auth = {"Authorization": f"Bearer {api_key}"}
    pi = requests.get(
        f"{sandbox}/v1/payment_intents/{payment.reference}",
        params={"expand[]": "payment_method"},
        headers=auth,
    ).json()
    card = pi["payment_method"]["card"]
    assert pi["payment_method"]["id"].startswith("pm_") and (card["brand"], card["last4"]) == (
        "mastercard",
        "4444",
    )
    # The key the two-call flow gave its PaymentMethod was never used: it answers afresh.
    pm_key = requests.post(
        f"{sandbox}/v1/payment_methods",
        data=card_form(request.card),
        headers={**auth, "Idempotency-Key": key(request, "pm")},
    )
    assert pm_key.status_code == 200 and "Idempotent-Replayed" not in pm_key.headers
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 1000)]


def test_authorize_then_full_capture(gateway, new_request, ledger):
    request = new_request(capture=False)

    held = gateway.authorize(request)
    assert (held.status, held.amount, held.amount_captured) == (GatewayStatus.AUTHORIZED, 1000, 0)
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000)]

    captured = gateway.capture(held.reference, 1000, "USD", key(request, "cap"))
    assert (captured.reference, captured.status, captured.amount_captured) == (
        held.reference,
        GatewayStatus.CAPTURED,
        1000,
    )
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 1000)]


def test_partial_capture_releases_the_rest(gateway, new_request, ledger):
    request = new_request(capture=False)
    held = gateway.authorize(request)

    captured = gateway.capture(held.reference, 600, "USD", key(request, "cap-1"))
    assert (captured.status, captured.amount, captured.amount_captured) == (GatewayStatus.CAPTURED, 1000, 600)
    with pytest.raises(InvalidRequestError) as second:  # the other 400 was released
        gateway.capture(held.reference, 400, "USD", key(request, "cap-2"))
    assert second.value.vendor_code == "payment_intent_unexpected_state"
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 600)]


def test_capture_above_authorized_amount_is_refused(gateway, new_request, ledger):
    request = new_request(capture=False)
    held = gateway.authorize(request)

    with pytest.raises(InvalidRequestError) as refused:
        gateway.capture(held.reference, 1001, "USD", key(request, "cap-1"))
    assert refused.value.vendor_code == "amount_too_large"
    assert gateway.retrieve(request, held.reference).status is GatewayStatus.AUTHORIZED
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000)]


def test_void_releases_the_authorization(gateway, new_request, ledger):
    request = new_request(capture=False)
    held = gateway.authorize(request)

    voided = gateway.void(held.reference, key(request, "void"))

    assert (voided.status, voided.amount_captured, voided.vendor_status) == (
        GatewayStatus.CANCELED,
        0,
        "canceled",
    )
    with pytest.raises(InvalidRequestError):
        gateway.capture(held.reference, 1000, "USD", key(request, "cap-after-void"))
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("void", 1000)]


def test_void_after_capture_is_refused(gateway, new_request):
    request = new_request()
    payment = gateway.charge(request)
    with pytest.raises(InvalidRequestError) as refused:
        gateway.void(payment.reference, key(request, "void"))
    assert refused.value.vendor_code == "payment_intent_unexpected_state"


def test_partial_then_full_refund_then_over_refund(gateway, new_request, ledger):
    request = new_request()
    payment = gateway.charge(request)

    first = gateway.refund(payment.reference, 300, "USD", key(request, "ref-1"), request.payment_id)
    rest = gateway.refund(payment.reference, 700, "USD", key(request, "ref-2"), request.payment_id)

    assert first.reference.startswith("re_") and first.reference != rest.reference
    assert (first.amount, first.currency, first.succeeded, first.vendor_status) == (
        300,
        "USD",
        True,
        "succeeded",
    )
    assert rest.amount == 700
    with pytest.raises(InvalidRequestError) as refused:
        gateway.refund(payment.reference, 1, "USD", key(request, "ref-3"), request.payment_id)
    assert refused.value.vendor_code == "charge_already_refunded"
    refunds = [e for e in ledger(request.payment_id) if e["type"] == "refund"]
    assert [(e["amount"], e["gateway_reference"]) for e in refunds] == [
        (300, first.reference),
        (700, rest.reference),
    ]


def test_refund_above_captured_amount_is_refused(gateway, new_request, ledger):
    request = new_request(capture=False)
    held = gateway.authorize(request)
    gateway.capture(held.reference, 500, "USD", key(request, "cap-1"))

    with pytest.raises(InvalidRequestError) as refused:
        gateway.refund(held.reference, 501, "USD", key(request, "ref-1"), request.payment_id)

    assert refused.value.vendor_code == "amount_too_large"
    assert "refund" not in [e["type"] for e in ledger(request.payment_id)]


def test_refund_replayed_under_its_key_refunds_once(gateway, new_request, ledger):
    request = new_request()
    payment = gateway.charge(request)

    first = gateway.refund(payment.reference, 400, "USD", key(request, "ref-1"), request.payment_id)
    again = gateway.refund(payment.reference, 400, "USD", key(request, "ref-1"), request.payment_id)

    assert again == first
    assert [e["type"] for e in ledger(request.payment_id)].count("refund") == 1


def test_retrieve_by_reference_follows_the_payment(gateway, new_request):
    request = new_request(capture=False)
    held = gateway.authorize(request)

    assert gateway.retrieve(request, held.reference) == held
    gateway.capture(held.reference, 250, "USD", key(request, "cap-1"))
    later = gateway.retrieve(request, held.reference)
    assert (later.status, later.amount_captured) == (GatewayStatus.CAPTURED, 250)


@pytest.mark.parametrize(
    "number, facts",
    [
        ("4242424242424242", CardFacts("US", "credit")),
        ("4000056655665556", CardFacts("US", "debit")),
        ("5105105105105100", CardFacts("US", "prepaid")),
        ("4000000760000002", CardFacts("BR", "credit")),
        ("4000001240000000", CardFacts("CA", "credit")),
    ],
)
def test_card_facts_are_read_from_the_payments_charge(gateway, new_request, number, facts):
    request = new_request(number)
    payment = gateway.charge(request)
    assert gateway.card_facts(payment.reference) == facts
    held = gateway.authorize(new_request(number, capture=False))
    assert gateway.card_facts(held.reference) == facts  # an authorization's charge tells them too


def test_replayed_attempt_returns_the_same_payment_and_charges_once(gateway, new_request, ledger):
    request = new_request()
    payment = gateway.charge(request)

    assert gateway.charge(request) == payment  # a worker's retry of the same job
    assert gateway.retrieve(request, None) == payment
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 1000)]


def test_retrieve_by_replay_of_a_declined_attempt_declines_again(gateway, new_request, ledger):
    request = new_request("4000000000009995")
    with pytest.raises(SoftDeclineError):
        gateway.charge(request)

    with pytest.raises(SoftDeclineError) as replayed:
        gateway.retrieve(request, None)

    assert replayed.value.code == "insufficient_funds"
    assert ledger(request.payment_id) == []


def test_same_key_with_other_params_is_an_invalid_request(gateway, new_request, ledger):
    request = new_request()
    gateway.charge(request)
    with pytest.raises(InvalidRequestError) as refused:
        gateway.charge(dataclasses.replace(request, amount=2000))

    assert refused.value.code == "idempotency_error"
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 1000)]


def two_call_attempt(sandbox, api_key, request, send_intent=True):
    """``request``'s attempt as the adapter made it before its one-call flow, with the SDK: a
    PaymentMethod under ``<key>:pm``, then (``send_intent``) the PaymentIntent under ``<key>``.

    Returns:
      The PaymentIntent as a dict, the one in the 402 for a decline; None without one.
    """
    v1 = stripe.StripeClient(
        api_key, base_addresses={"api": sandbox}, stripe_version=API_VERSION, max_network_retries=0
    ).v1
    card = request.card
    pm = v1.payment_methods.create(
        params={
            "type": "card",
            "card": {
                "number": card.number,
                "exp_month": card.exp_month,
                "exp_year": card.exp_year,
                "cvc": card.cvc,
            },
        },
        options={"idempotency_key": key(request, "pm")},
    )
    if not send_intent:
        return None
    params = {
        "amount": request.amount,
        "currency": request.currency.lower(),
        "payment_method": pm.id,
        "payment_method_types": ["card"],
        "confirm": True,
        "error_on_requires_action": True,
        "capture_method": "automatic" if request.capture else "manual",
        "description": request.description,
        "metadata": {**request.metadata, "payment_id": request.payment_id},
    }
    try:
        return v1.payment_intents.create(
            params=params, options={"idempotency_key": request.idempotency_key}
        ).to_dict()
    except stripe.CardError as exc:
        return exc.json_body["error"]["payment_intent"]


@pytest.mark.parametrize(
    "capture, expected",
    [
        (True, [("authorization", 1000), ("capture", 1000)]),
        (False, [("authorization", 1000)]),
    ],
)
def test_retrieve_of_a_two_call_attempt_replays_its_two_calls(
    gateway, new_request, ledger, sandbox, api_key, capture, expected
):
    """Deployed mid-attempt: the one-call replay meets the two-call flow's key, Stripe's saved answers
    tell."""
    request = new_request(capture=capture, description="order 9", metadata={"order": "o-9"})
    earlier = two_call_attempt(sandbox, api_key, request)  # its answer was lost: no PaymentIntent id

    payment = gateway.retrieve(request, None)

    assert payment == to_payment(earlier)
    assert gateway.retrieve(request, None) == payment
    entries = ledger(request.payment_id)
    assert kinds(entries) == expected
    assert {e["gateway_reference"] for e in entries} == {earlier["id"]}


def test_retrieve_of_a_declined_two_call_attempt_declines(gateway, new_request, ledger, sandbox, api_key):
    request = new_request("4000000000009995")
    earlier = two_call_attempt(sandbox, api_key, request)
    assert earlier["status"] == "requires_payment_method"

    with pytest.raises(SoftDeclineError) as declined:
        gateway.retrieve(request, None)

    assert declined.value.code == "insufficient_funds"
    assert ledger(request.payment_id) == []


def test_retrieve_of_a_two_call_attempt_that_never_sent_its_intent_charges_once(
    gateway, new_request, ledger, sandbox, api_key
):
    request = new_request()
    two_call_attempt(sandbox, api_key, request, send_intent=False)

    payment = gateway.retrieve(request, None)

    assert payment.status is GatewayStatus.CAPTURED
    assert gateway.retrieve(request, None) == payment
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 1000)]


def test_retrieve_of_a_key_neither_flow_matches_is_an_unknown_outcome(gateway, new_request, ledger):
    """Never final, never a decline: the key holds a request that may have charged."""
    request = new_request()
    payment = gateway.charge(request)

    with pytest.raises(UnknownOutcomeError) as unknown:
        gateway.retrieve(dataclasses.replace(request, amount=2000), None)

    assert unknown.value.code == "idempotency_conflict"
    assert gateway.retrieve(request, None) == payment
    assert kinds(ledger(request.payment_id)) == [("authorization", 1000), ("capture", 1000)]


def test_update_merges_metadata_and_sets_description(gateway, new_request, sandbox, api_key):
    request = new_request(description="first", metadata={"order": "o-1", "channel": "web"})
    payment = gateway.charge(request)

    gateway.update(payment.reference, "second", {"channel": "app", "note": "gift"}, key(request, "upd-1"))

    pi = requests.get(
        f"{sandbox}/v1/payment_intents/{payment.reference}", headers={"Authorization": f"Bearer {api_key}"}
    ).json()
    assert pi["description"] == "second"
    assert pi["metadata"] == {
        "order": "o-1",
        "channel": "app",
        "note": "gift",
        "payment_id": request.payment_id,
    }


def test_our_payment_id_wins_over_any_in_the_merchants_metadata(gateway, new_request, sandbox, api_key):
    """Stripe's events are cross-checked against ``metadata.payment_id``: metadata stored before the
    key was refused must not replace ours, on creation nor on update (nor remove it with an empty value)."""
    request = new_request(metadata={"payment_id": "pay_someone_else", "order": "o-2"})
    payment = gateway.charge(request)
    gateway.update(
        payment.reference, None, {"payment_id": "pay_someone_else", "order": "o-3"}, key(request, "upd-1")
    )
    gateway.update(payment.reference, None, {"payment_id": ""}, key(request, "upd-2"))

    pi = requests.get(
        f"{sandbox}/v1/payment_intents/{payment.reference}", headers={"Authorization": f"Bearer {api_key}"}
    ).json()
    assert pi["metadata"] == {"order": "o-3", "payment_id": request.payment_id}


def test_authorize_and_charge_refuse_a_request_saying_otherwise(gateway, new_request):
    with pytest.raises(ValueError):
        gateway.authorize(new_request(capture=True))
    with pytest.raises(ValueError):
        gateway.charge(new_request(capture=False))


def test_proxy_from_the_environment_at_construction(
    make_gateway, new_request, sandbox, forward_proxy, proxy_environment
):
    proxy_environment(forward_proxy.url)
    proxied = make_gateway()
    proxy_environment(forward_proxy.url, no_proxy="127.0.0.1")
    direct = make_gateway()
    proxy_environment(None)  # read at construction only: the calls below still honour it

    proxied.charge(new_request())
    direct.charge(new_request())

    assert forward_proxy.seen == [("POST", f"{sandbox}/v1/payment_intents")]


def test_configuration_alone_points_the_adapter_at_a_sandbox(start_sandbox, new_request):
    """A sandbox of its own on a random port: only ``api_base`` tells the adapter where it is."""
    assert inspect.signature(StripeGateway).parameters["api_base"].default == "https://api.stripe.com"
    url = start_sandbox("stripe")
    assert not url.endswith((":80", ":443", ":12111"))
    request = new_request()

    payment = StripeGateway("sk_test_configuration_proven", api_base=url).charge(request)

    entries = requests.get(url + "/_sandbox/ledger").json()["data"]
    assert [(e["type"], e["gateway_reference"], e["payment_id"]) for e in entries] == [
        ("authorization", payment.reference, request.payment_id),
        ("capture", payment.reference, request.payment_id),
    ]
