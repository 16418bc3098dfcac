"""Card numbers and CVCs never appear in clear in the database, the cache, the queue or the logs."""

import io

import pika
import redis

from shared.broker import publisher
from shared.logging import configure
from store.models import OutboxJob
from tests.support import services
from tests.support.api import card_payment

PAN, CVC = "4000056655665556", "987"


def test_no_pan_or_cvc_anywhere(client, auth, config, broker, db):
    logs = io.StringIO()
    configure("debug", stream=logs)
    try:
        body = card_payment(number=PAN)
        body["payment_method"]["card"]["cvc"] = CVC
        resp = client.simulate_post("/payments", json=body, headers=auth)
        assert resp.status_code == 202
        client.simulate_get(resp.headers["location"], headers=auth)
    finally:
        configure("info")
    pid = resp.json["id"]
    assert PAN not in resp.text and f'"{CVC}"' not in resp.text

    # the whole database, every table, every row, as text
    dump = services.dump_database(config.database_url)
    assert pid in dump
    assert PAN not in dump and f'"{CVC}"' not in dump

    # the cache
    r = redis.Redis.from_url(config.redis_url)
    cached = b"".join(
        str(r.hgetall(k)).encode() for k in r.scan_iter(config.cache_prefix + "*") if r.type(k) == b"hash"
    )
    assert pid.encode() in cached and PAN.encode() not in cached

    # the queued message: this payment's job, published as the relay publishes it, to a queue of its own
    prefix = f"secrets{pid[-6:]}."
    publisher(broker, prefix)([OutboxJob.get(OutboxJob.args.contains(pid))])
    connection = pika.BlockingConnection(pika.URLParameters(config.broker_url))
    method, _, message = connection.channel().basic_get(prefix + "payments.stripe", auto_ack=True)
    connection.close()
    services.delete_queues(config.broker_url, [prefix + "payments.stripe"])
    assert method is not None and pid.encode() in message
    assert PAN.encode() not in message and f'"{CVC}"'.encode() not in message

    # the logs
    text = logs.getvalue()
    assert pid in text and PAN not in text


def test_card_numbers_in_free_text_are_refused(client, auth):
    for path, body in (
        ("/payments", card_payment(description=f"card {PAN}")),
        ("/payments", card_payment(metadata={"note": PAN})),
        ("/customers", {"email": "a@example.test", "name": PAN}),
    ):
        resp = client.simulate_post(path, json=body, headers=auth)
        assert resp.status_code == 422 and "card number" in resp.text and PAN not in resp.text


def test_the_log_scrubber_masks_card_numbers():
    from shared.logging import scrub

    assert (
        scrub(f"x {PAN} y 4242 4242 4242 4242 z 1234567890123")
        == "x [card redacted] y [card redacted] z 1234567890123"
    )
