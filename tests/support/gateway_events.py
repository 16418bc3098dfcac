"""Gateway webhook deliveries built as Stripe and PayPal send them: ``(event id, body, headers)``."""

import datetime
import secrets
import time
import uuid

import orjson
import stripe

SECRET = "whsec_" + secrets.token_hex(16)  # the Stripe endpoint secret these deliveries are signed with
WEBHOOK_ID = "WH-TEST-" + secrets.token_hex(
    4
)  # the PayPal webhook id the ingress under test is configured with


def stripe_delivery(secret=SECRET, age=0, **event):
    event = {
        "id": "evt_" + secrets.token_hex(12),
        "object": "event",
        "type": "payment_intent.succeeded",
        "data": {"object": {"id": "pi_1", "object": "payment_intent"}},
        **event,
    }
    body = orjson.dumps(event)
    signature = stripe.WebhookSignature.generate_signature_header(
        body.decode(), secret, int(time.time()) - age
    )
    return (
        event["id"],
        body,
        {"Content-Type": "application/json; charset=utf-8", "Stripe-Signature": signature},
    )


def paypal_delivery(sent_ago=0, transmission_id=None, **event):
    event = {
        "id": "WH-" + secrets.token_hex(8).upper(),
        "event_type": "PAYMENT.CAPTURE.COMPLETED",
        "resource": {"id": "CAPTURE1"},
        **event,
    }
    sent = datetime.datetime.now(datetime.UTC) - datetime.timedelta(seconds=sent_ago)
    headers = {
        "Content-Type": "application/json",
        "PAYPAL-TRANSMISSION-ID": transmission_id or str(uuid.uuid4()),
        "PAYPAL-TRANSMISSION-TIME": sent.strftime("%Y-%m-%dT%H:%M:%SZ"),
        "PAYPAL-TRANSMISSION-SIG": "c2lnbmF0dXJl",
        "PAYPAL-CERT-URL": "https://api.paypal.com/v1/notifications/certs/CERT-1",
        "PAYPAL-AUTH-ALGO": "SHA256withRSA",
    }
    return event["id"], orjson.dumps(event), headers
