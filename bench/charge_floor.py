"""The charge floor: what charging a payment cannot avoid. A Dramatiq actor on the same broker as the
workers (RabbitMQ, publisher confirms) that, per message, makes the Stripe SDK call a PayWave charge makes (a
PaymentIntent created and confirmed with the card, under an idempotency key) to the same sandbox, then one
UPDATE of the payment's row, committed. ``make bench`` drains a backlog of these with the processes and
threads of a PayWave pool; the rows are in ``floor_charge`` (like ``payment``), ``processing`` until
charged.
"""

import os
import threading

import dramatiq
import psycopg2
import requests
import stripe
from dramatiq.brokers.rabbitmq import RabbitmqBroker

QUEUE = os.environ.get("BENCH_QUEUE", "bench.charge_floor")
UPDATE = (
    "UPDATE floor_charge SET status = 'succeeded', gateway = 'stripe', gateway_reference = %s,"
    " amount_captured = %s, version = version + 1, updated_at = now() WHERE id = %s"
)

broker = RabbitmqBroker(url=os.environ["PAYWAVE_BROKER_URL"], confirm_delivery=True)
dramatiq.set_broker(broker)
_session = requests.Session()
_session.trust_env = False
_session.mount("http://", requests.adapters.HTTPAdapter(pool_maxsize=32, max_retries=0))
_stripe = stripe.StripeClient(
    os.environ.get("PAYWAVE_STRIPE_API_KEY", "sk_test_paywave_sandbox"),
    base_addresses={"api": os.environ["PAYWAVE_STRIPE_API_BASE"]},
    max_network_retries=0,
    http_client=stripe.RequestsClient(timeout=(3.05, 30), session=_session),
).v1
_local = threading.local()


def _cursor():
    if getattr(_local, "cursor", None) is None:
        connection = psycopg2.connect(os.environ["PAYWAVE_DATABASE_URL"])
        connection.autocommit = True
        _local.cursor = connection.cursor()
    return _local.cursor


@dramatiq.actor(queue_name=QUEUE, max_retries=0)
def charge(payment_id, amount):
    intent = _stripe.payment_intents.create(
        params={
            "amount": amount,
            "currency": "usd",
            "payment_method_data": {
                "type": "card",
                "card": {"number": "4242424242424242", "exp_month": 12, "exp_year": 2031, "cvc": "123"},
            },
            "payment_method_types": ["card"],
            "confirm": True,
            "error_on_requires_action": True,
            "capture_method": "automatic",
            "metadata": {"payment_id": payment_id},
        },
        options={"idempotency_key": f"floor_{payment_id}_1"},
    )
    _cursor().execute(UPDATE, (intent.id, intent.amount_received, payment_id))
