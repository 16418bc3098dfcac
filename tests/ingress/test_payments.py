"""POST/GET/PUT /payments and the actions, against real Postgres, Redis and RabbitMQ."""

import concurrent.futures
import time

import pytest

from shared.cache import mode
from store.models import OutboxJob, Payment
from tests.support.api import card_payment, conforms, new_customer


def create(client, auth, body=None, **headers):
    return client.simulate_post("/payments", json=body or card_payment(), headers={**auth, **headers})


def test_create_answers_202_with_location_and_a_pending_payment(client, auth, db):
    resp = create(
        client,
        auth,
        card_payment(
            amount=1999,
            currency="eur",
            description="order 42",
            metadata={"order": "42"},
            customer=new_customer(client, auth),
        ),
    )
    assert resp.status_code == 202
    body = resp.json
    conforms(body, "Payment")
    assert resp.headers["location"] == f"/payments/{body['id']}"
    assert body["status"] == "pending" and body["amount"] == 1999 and body["currency"] == "EUR"
    assert body["card"] == {"brand": "visa", "last4": "4242", "exp_month": 12, "exp_year": 2031}
    assert body["metadata"] == {"order": "42"} and body["capture"] == "automatic"
    job = OutboxJob.get(OutboxJob.args.contains(body["id"]))
    assert (job.queue_name, job.actor_name, job.args) == (
        "payments.stripe",
        "process_payment",
        [body["id"], "stripe"],
    )


def test_gateway_preference_picks_the_first_queue(client, auth, db):
    body = create(client, auth, card_payment(gateway="paypal")).json
    assert Payment.get_by_id(body["id"]).route == "paypal,stripe"
    assert OutboxJob.get(OutboxJob.args.contains(body["id"])).queue_name == "payments.paypal"


@pytest.mark.parametrize("currency,amount", [("JPY", 1050), ("KWD", 1050), ("USD", 1)])
def test_amounts_are_integers_in_minor_units_for_any_exponent(client, auth, currency, amount):
    resp = create(client, auth, card_payment(amount=amount, currency=currency))
    assert resp.status_code == 202 and resp.json["amount"] == amount


def test_get_reads_back_and_other_merchants_get_404(client, auth, mint):
    created = create(client, auth).json
    got = client.simulate_get(f"/payments/{created['id']}", headers=auth)
    assert got.status_code == 200 and got.json["id"] == created["id"]
    other = {"Authorization": f"Bearer {mint('someone_else')}"}
    for method, path in (
        ("GET", ""),
        ("PUT", ""),
        ("POST", "/capture"),
        ("POST", "/cancel"),
        ("POST", "/refunds"),
    ):
        resp = client.simulate_request(
            method,
            f"/payments/{created['id']}{path}",
            headers=other,
            json={"description": "x"} if method == "PUT" else None,
        )
        assert resp.status_code == 404, (method, path)
        assert resp.headers["content-type"] == "application/problem+json"


def test_get_unknown_payment_is_404(client, auth):
    assert client.simulate_get("/payments/pay_doesnotexist", headers=auth).status_code == 404


def test_get_after_create_reads_through_then_serves_from_cache(client, auth, cache, merchant):
    created = create(client, auth).json
    assert cache.get_payment(merchant, True, created["id"]) is None  # the POST leaves the cache alone
    assert client.simulate_get(f"/payments/{created['id']}", headers=auth).json == created
    assert cache.get_payment(merchant, True, created["id"]) is not None  # the first read filled it
    cache.client.delete(cache.key("payment", merchant, mode(True), created["id"]))
    assert cache.get_payment(merchant, True, created["id"]) is None
    assert client.simulate_get(f"/payments/{created['id']}", headers=auth).json["id"] == created["id"]
    assert cache.get_payment(merchant, True, created["id"]) is not None  # read-through filled it again


def test_a_cache_read_cut_off_by_redis_is_a_miss_then_reconnects(client, auth, cache, merchant):
    created = create(client, auth).json
    path = f"/payments/{created['id']}"
    assert client.simulate_get(path, headers=auth).json == created  # fills the cache
    assert cache.get_payment(merchant, True, created["id"]) is not None
    # the server closes this thread's own connection (shared.cache.RedisCache._hget)
    host, port = cache._own.connection._sock.getsockname()[:2]
    assert cache.client.client_kill(f"{host}:{port}")
    assert client.simulate_get(path, headers=auth).json == created  # a miss: read from Postgres
    time.sleep(cache.PAUSE_AFTER_ERROR)  # the cache is left alone for a moment after an error
    assert cache.get_payment(merchant, True, created["id"]) is not None  # a new connection


def test_a_cache_read_with_redis_unreachable_is_a_miss():
    from shared.cache import RedisCache

    assert RedisCache("redis://127.0.0.1:1/0").get_payment("m", True, "pay_x") is None


def test_put_updates_description_metadata_and_amount_before_any_attempt(client, auth):
    pid = create(client, auth).json["id"]
    resp = client.simulate_put(
        f"/payments/{pid}", json={"description": "new", "metadata": {"a": "b"}, "amount": 2000}, headers=auth
    )
    assert resp.status_code == 200
    assert (resp.json["description"], resp.json["metadata"], resp.json["amount"]) == ("new", {"a": "b"}, 2000)
    assert client.simulate_get(f"/payments/{pid}", headers=auth).json["description"] == "new"


def test_put_amount_is_refused_once_processing(client, auth, db):
    pid = create(client, auth).json["id"]
    Payment.update(status="processing").where(Payment.id == pid).execute()
    resp = client.simulate_put(f"/payments/{pid}", json={"amount": 5}, headers=auth)
    assert resp.status_code == 409 and resp.json["type"] == "/problems/amount-locked"


def test_concurrent_puts_never_leave_a_stale_cache_entry(client, auth, cache, merchant):
    pid = create(client, auth).json["id"]

    def put(i):
        return client.simulate_put(
            f"/payments/{pid}", json={"description": f"d{i}"}, headers=auth
        ).status_code

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        assert set(pool.map(put, range(40))) == {200}
    stored = Payment.get_by_id(pid)
    import orjson

    cached = orjson.loads(cache.get_payment(merchant, True, pid))
    assert cached["description"] == stored.description
    assert client.simulate_get(f"/payments/{pid}", headers=auth).json["description"] == stored.description


def test_capture_cancel_and_refund_follow_the_state_rules(client, auth, db):
    pid = create(client, auth).json["id"]
    assert client.simulate_post(f"/payments/{pid}/capture", headers=auth).status_code == 409
    assert (
        client.simulate_post(f"/payments/{pid}/refunds", json={"amount": 10}, headers=auth).status_code == 409
    )
    canceled = client.simulate_post(f"/payments/{pid}/cancel", headers=auth)
    assert canceled.status_code == 202 and canceled.json["status"] == "canceled"
    assert client.simulate_post(f"/payments/{pid}/cancel", headers=auth).status_code == 409


def test_capture_queues_a_job_and_refuses_a_second_or_an_excess(client, auth, db):
    pid = create(client, auth, card_payment(capture="manual")).json["id"]
    Payment.update(status="requires_capture", gateway="stripe", gateway_reference="pi_x").where(
        Payment.id == pid
    ).execute()
    assert (
        client.simulate_post(f"/payments/{pid}/capture", json={"amount": 5000}, headers=auth).status_code
        == 422
    )
    resp = client.simulate_post(f"/payments/{pid}/capture", json={"amount": 500}, headers=auth)
    assert resp.status_code == 202
    assert Payment.get_by_id(pid).amount_to_capture == 500
    assert (
        OutboxJob.select()
        .where((OutboxJob.actor_name == "capture_payment") & OutboxJob.args.contains(pid))
        .count()
        == 1
    )
    again = client.simulate_post(f"/payments/{pid}/capture", headers=auth)
    assert again.status_code == 409 and again.json["type"] == "/problems/operation-in-progress"


def test_cancel_of_a_payment_waiting_for_its_customer_queues_the_gateways_cancel_once(client, auth, db):
    pid = create(client, auth, card_payment(return_url="https://shop.example/done")).json["id"]
    Payment.update(status="requires_action", gateway="stripe", gateway_reference="pi_x").where(
        Payment.id == pid
    ).execute()

    def jobs():
        return [
            (j.actor_name, j.queue_name)
            for j in OutboxJob.select().where(OutboxJob.args.contains(pid)).order_by(OutboxJob.id)
        ]

    created = jobs()

    resp = client.simulate_post(f"/payments/{pid}/cancel", headers=auth)

    # The worker that reads the customer's outcome cancels at the gateway first: the payment still waits.
    assert resp.status_code == 202 and resp.json["status"] == "requires_action"
    assert Payment.get_by_id(pid).pending_operation == "cancel"
    assert jobs() == [*created, ("process_payment", "payments.stripe")]
    again = client.simulate_post(f"/payments/{pid}/cancel", headers=auth)
    assert again.status_code == 409 and again.json["type"] == "/problems/operation-in-progress"
    assert client.simulate_post(f"/payments/{pid}/capture", headers=auth).status_code == 409


def test_refunds_never_exceed_captured_minus_refunded(client, auth, db):
    pid = create(client, auth).json["id"]
    Payment.update(status="succeeded", gateway="stripe", amount_captured=1050).where(
        Payment.id == pid
    ).execute()
    first = client.simulate_post(
        f"/payments/{pid}/refunds", json={"amount": 1000, "reason": "damaged"}, headers=auth
    )
    assert first.status_code == 202 and first.json["status"] == "pending" and first.json["amount"] == 1000
    conforms(first.json, "Refund")
    over = client.simulate_post(f"/payments/{pid}/refunds", json={"amount": 51}, headers=auth)
    assert over.status_code == 422 and over.json["errors"][0]["field"] == "amount"
    rest = client.simulate_post(f"/payments/{pid}/refunds", headers=auth)
    assert rest.status_code == 202 and rest.json["amount"] == 50
    assert client.simulate_post(f"/payments/{pid}/refunds", headers=auth).status_code == 409
    listed = client.simulate_get(f"/payments/{pid}/refunds", headers=auth).json
    assert [r["amount"] for r in listed["data"]] == [1000, 50]


def test_a_refund_is_served_at_its_location_to_its_merchant_only(client, auth, mint, db):
    pid = create(client, auth).json["id"]
    Payment.update(status="succeeded", gateway="stripe", amount_captured=1050).where(
        Payment.id == pid
    ).execute()
    created = client.simulate_post(f"/payments/{pid}/refunds", json={"amount": 300}, headers=auth)
    got = client.simulate_get(created.headers["location"], headers=auth)
    assert got.status_code == 200 and got.json == created.json, got.text
    conforms(got.json, "Refund")
    other = {"Authorization": f"Bearer {mint('m_other')}"}
    unknown = f"/payments/{pid}/refunds/re_{'x' * 24}"
    other_payment = create(client, auth).json["id"]
    for path, headers in (
        (created.headers["location"], other),
        (unknown, auth),
        (f"/payments/{other_payment}/refunds/{created.json['id']}", auth),
        (f"/payments/{pid}/refunds/nonsense%00", auth),
    ):
        resp = client.simulate_get(path, headers=headers)
        assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json", (
            path,
            resp.text,
        )


def test_list_is_newest_first_with_cursor_pagination_and_filters(client, auth):
    c1, c2 = new_customer(client, auth), new_customer(client, auth)
    ids = [create(client, auth, card_payment(customer=c1 if i % 2 else c2)).json["id"] for i in range(5)]
    page = client.simulate_get("/payments", params={"limit": 2}, headers=auth).json
    assert page["object"] == "list" and page["has_more"] is True
    assert [p["id"] for p in page["data"]] == ids[::-1][:2]
    rest = client.simulate_get(
        "/payments", params={"limit": 10, "starting_after": page["data"][-1]["id"]}, headers=auth
    ).json
    assert [p["id"] for p in rest["data"]] == ids[::-1][2:] and rest["has_more"] is False
    of_c1 = client.simulate_get("/payments", params={"customer": c1}, headers=auth).json
    assert {p["id"] for p in of_c1["data"]} == {ids[1], ids[3]}
    assert client.simulate_get("/payments", params={"status": "succeeded"}, headers=auth).json["data"] == []
    assert client.simulate_get("/payments", params={"limit": 1000}, headers=auth).status_code == 422


def test_request_id_is_echoed_or_generated(client, auth):
    resp = client.simulate_get("/payments", headers={**auth, "X-Request-Id": "req-123"})
    assert resp.headers["x-request-id"] == "req-123"
    assert len(client.simulate_get("/payments", headers=auth).headers["x-request-id"]) == 32


def test_return_url_is_kept_and_must_be_https(client, auth, db):
    kept = create(client, auth, card_payment(return_url="https://shop.example/done?order=7"))
    assert kept.status_code == 202 and kept.json["return_url"] == "https://shop.example/done?order=7"
    assert kept.json["next_action"] is None
    conforms(kept.json, "Payment")
    local = create(client, auth, card_payment(return_url="http://localhost:8000/back"))
    assert local.status_code == 202  # the test suite runs as development
    for bad in ("http://shop.example/done", "javascript:alert(1)", "https://", "https://a/" + "x" * 2048, 7):
        refused = create(client, auth, card_payment(return_url=bad))
        assert refused.status_code == 422, bad
        assert refused.json["errors"][0]["field"] == "return_url"
