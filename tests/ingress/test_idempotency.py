"""Idempotency-Key: replay, conflict, concurrency, scope."""

import concurrent.futures
import hashlib

import pytest

from store import idempotency
from store.models import Payment
from tests.support import services
from tests.support.api import card_payment


def post(client, auth, key, body=None):
    return client.simulate_post(
        "/payments", json=body or card_payment(), headers={**auth, "Idempotency-Key": key}
    )


def test_replay_with_the_same_body_returns_the_first_response_and_writes_once(client, auth, merchant, db):
    first = post(client, auth, "order-1")
    again = post(client, auth, "order-1")
    assert again.status_code == 202 and again.headers["idempotent-replayed"] == "true"
    assert again.json == first.json and again.headers["location"] == first.headers["location"]
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 1


def test_same_key_with_another_body_is_422(client, auth):
    post(client, auth, "order-2")
    other = post(client, auth, "order-2", card_payment(amount=1))
    assert other.status_code == 422 and other.json["type"] == "/problems/idempotency-key-reused"


def test_a_concurrent_request_with_the_same_key_is_409(client, auth, merchant, db):
    import hashlib

    import orjson

    body = card_payment()
    fingerprint = hashlib.sha256(
        b"POST /payments\n" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    held = idempotency.claim(
        merchant, "order-3", fingerprint, livemode=True
    )  # the first request, still running
    resp = post(client, auth, "order-3", body)
    assert resp.status_code == 409 and resp.headers["retry-after"] == "1"
    idempotency.release(held)
    assert post(client, auth, "order-3", body).status_code == 202


def test_racing_requests_create_exactly_one_payment(client, auth, merchant, db):
    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        codes = list(pool.map(lambda _: post(client, auth, "order-race").status_code, range(16)))
    assert set(codes) <= {202, 409} and 202 in codes
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 1


def test_keys_are_scoped_per_merchant(client, auth, mint, db):
    mine = post(client, auth, "shared-key").json
    theirs = post(client, {"Authorization": f"Bearer {mint('other_merchant_x')}"}, "shared-key").json
    assert mine["id"] != theirs["id"]


def test_an_error_answer_frees_the_key(client, auth):
    bad = post(client, auth, "order-4", {"amount": -1})
    assert bad.status_code == 422
    assert post(client, auth, "order-4").status_code == 202


def test_put_and_actions_are_idempotent_too(client, auth):
    pid = post(client, auth, "order-5").json["id"]
    headers = {**auth, "Idempotency-Key": "put-1"}
    first = client.simulate_put(f"/payments/{pid}", json={"description": "a"}, headers=headers)
    client.simulate_put(f"/payments/{pid}", json={"description": "b"}, headers=auth)
    replay = client.simulate_put(f"/payments/{pid}", json={"description": "a"}, headers=headers)
    assert replay.headers.get("idempotent-replayed") == "true" and replay.json == first.json
    cancel = {**auth, "Idempotency-Key": "cancel-1"}
    assert client.simulate_post(f"/payments/{pid}/cancel", headers=cancel).status_code == 202
    assert (
        client.simulate_post(f"/payments/{pid}/cancel", headers=cancel).status_code == 202
    )  # replayed, not 409


def test_a_claim_whose_process_died_is_taken_over_at_once(client, auth, merchant, database_url, db):
    import hashlib

    import orjson
    import psycopg2

    body = card_payment()
    fingerprint = hashlib.sha256(
        b"POST /payments\n" + orjson.dumps(body, option=orjson.OPT_SORT_KEYS)
    ).hexdigest()
    dead = psycopg2.connect(database_url)  # another process's connection, which took the key and then died
    with dead, dead.cursor() as cur:
        cur.execute(
            "INSERT INTO idempotency_record (merchant_id, key, request_hash, state, claimer_pid, created_at,"
            " expires_at) VALUES (%s, encode(sha256('order-dead'), 'hex'), %s, 'in_progress',"
            " pg_backend_pid(), now() at time zone 'utc', now() at time zone 'utc' + interval '1 day')",
            (merchant, fingerprint),
        )
    assert (
        post(client, auth, "order-dead", body).status_code == 409
    )  # its backend is alive: still in progress
    dead.close()
    import time

    deadline = time.monotonic() + 5
    while (resp := post(client, auth, "order-dead", body)).status_code == 409 and time.monotonic() < deadline:
        time.sleep(0.05)  # the backend takes a moment to exit
    assert resp.status_code == 202 and "idempotent-replayed" not in resp.headers
    assert Payment.select().where(Payment.merchant_id == merchant).count() == 1


@pytest.mark.parametrize("key", ["order-4242424242424242", "4242.4242.4242.4242", "1796106166123456789"])
def test_a_key_is_kept_only_as_its_digest_whatever_it_holds(client, auth, merchant, db, database_url, key):
    """A key holding a card number (or a nanosecond timestamp, which passes the card-number check one time
    in ten) works as any key, and nothing but its digest is stored."""
    from store.models import IdempotencyRecord

    first, again = post(client, auth, key), post(client, auth, key)
    assert first.status_code == 202 and again.status_code == 202, first.text
    assert again.json["id"] == first.json["id"] and again.headers.get("Idempotent-Replayed") == "true"
    [record] = IdempotencyRecord.select().where(IdempotencyRecord.merchant_id == merchant)
    assert record.key == hashlib.sha256(key.encode()).hexdigest()
    assert key not in services.dump_database(database_url)
