"""The leak scanner finds card data planted in each place it scans (so a clean run means
something), and nothing in what the run legitimately leaves there, a card token and the payment it paid
included."""

import itertools
import uuid

import pika
import psycopg2
import redis

from shared.cards import luhn_ok
from shared.queues import POOLS
from store.models import CardToken
from tests.support import leakscan
from tests.support.sandbox import wait_status

PAN = "4000056655665556"  # a test card
OTHER = "6011000990139424"  # Luhn-valid, not one of ours
MILLIS = next(str(t) for t in itertools.count(1795840119888) if luhn_ok(str(t)))  # a Luhn-valid timestamp


def test_find_reports_card_numbers_and_cvc_fields_and_nothing_else():
    assert leakscan.find(f'{{"number": "{PAN}", "cvc": "123"}} note {OTHER} card[security_code]=4567') == [
        "CVC in a cvc field",
        "CVC in a security_code field",
        "card number 400005…5556",
        "card number 601100…9424",
    ]
    assert (
        leakscan.find(
            f'{{"message_timestamp": {MILLIS}, "id": "{uuid.uuid4().hex}", "ref": "ab{OTHER}cd", '
            f'"cvc_ciphertext": "123x", "amount": 99999999999, "last4": "5556", "cvc": null}}'
        )
        == []
    )


def test_scanners_find_a_planted_card_in_each_place_and_leave_it_there(database_url, config, tmp_path):
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute("CREATE TABLE leakscan_probe (note text)")
        cur.execute("INSERT INTO leakscan_probe VALUES (%s)", (f"card {PAN}",))
    try:
        assert "table leakscan_probe, column note: card number 400005…5556" in leakscan.scan_database(
            database_url
        )
    finally:
        with conn, conn.cursor() as cur:
            cur.execute("DROP TABLE leakscan_probe")
        conn.close()

    client, key = redis.Redis.from_url(config.redis_url), config.cache_prefix + "leakscan-probe"
    client.hset(key, "b", '{"card": {"cvc": "123"}}')
    try:
        assert leakscan.scan_redis(config.redis_url, config.cache_prefix) == [
            f"key {key}: CVC in a cvc field"
        ]
    finally:
        client.delete(key)

    queue = config.queue_prefix + "leakscan-probe"
    connection = pika.BlockingConnection(pika.URLParameters(config.broker_url))
    channel = connection.channel()
    channel.queue_declare(queue)
    channel.basic_publish("", queue, f'{{"args": ["{PAN}"]}}'.encode())
    try:
        assert leakscan.scan_queues(config.broker_url, [queue]) == [f"queue {queue}: card number 400005…5556"]
        assert channel.queue_declare(queue, passive=True).method.message_count == 1  # peeked, not taken
    finally:
        channel.queue_delete(queue)
        connection.close()

    log = tmp_path / "worker.jsonl"
    log.write_text(f'{{"event": "ok"}}\n{{"event": "gateway_call", "number": "{PAN}"}}\n')
    assert leakscan.scan_logs([log]) == ["worker.jsonl line 2: card number 400005…5556"]


def test_a_scan_that_cannot_run_is_a_finding(monkeypatch):
    monkeypatch.setattr(leakscan, "FINDINGS", [])
    leakscan.record("database nowhere", leakscan.scan_database, "postgresql://nobody@127.0.0.1:1/none")
    assert leakscan.FINDINGS[0].startswith("database nowhere: could not be scanned (OperationalError")


def test_a_token_and_the_payment_it_paid_leave_no_card_data_and_a_card_planted_in_a_token_is_found(
    chaos_config, chaos_api, mint, merchant, stripe, workers
):
    """Tokenized, paid with through a worker process (its logs scanned at the session's end), then every
    row, cache key and queued message of the run is clean; the card_token table is scanned as any other."""
    workers("stripe")
    test_auth = {"Authorization": f"Bearer {mint(merchant, livemode=False)}"}
    key = chaos_api.simulate_post(
        "/api_keys", json={"name": "page", "mode": "test", "type": "publishable"}, headers=test_auth
    ).json["secret"]
    card = {"number": PAN, "exp_month": 12, "exp_year": 2031, "cvc": "123"}
    token = chaos_api.simulate_post(
        "/tokens", json={"card": card}, headers={"Authorization": f"Bearer {key}"}
    )
    assert token.status_code == 201, token.text
    body = {"amount": 990, "currency": "USD", "payment_method": {"type": "token", "token": token.json["id"]}}
    paid = chaos_api.simulate_post("/payments", json=body, headers=test_auth)
    assert paid.status_code == 202, paid.text
    assert wait_status(paid.json["id"], timeout=60).status == "succeeded"
    assert stripe.captured(paid.json["id"]) == 990

    assert leakscan.scan_database(chaos_config.database_url) == []
    assert leakscan.scan_redis(chaos_config.redis_url, chaos_config.cache_prefix) == []
    queues = [chaos_config.queue_prefix + q for pool in POOLS.values() for q in pool]
    assert leakscan.scan_queues(chaos_config.broker_url, queues) == []

    planted = CardToken.update(card_fingerprint=PAN).where(CardToken.id == token.json["id"])
    assert planted.execute() == 1
    try:
        assert leakscan.scan_database(chaos_config.database_url) == [
            "table card_token, column card_fingerprint: card number 400005…5556"
        ]
    finally:
        CardToken.delete().where(CardToken.id == token.json["id"]).execute()
