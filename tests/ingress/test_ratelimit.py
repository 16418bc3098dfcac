"""Rate limits (OWASP API4) against the run's real Redis: a budget per merchant for reads and one for writes,
one per source address for the gateway webhooks, and one per event for redelivery."""

import dataclasses
import secrets
import threading

import pytest
import redis
import structlog
from falcon import testing

from ingress.app import create_app
from shared.net import free_port
from store.vault import Vault
from tests.support.api import canceled_payment, event_of
from tests.support.gateway_events import WEBHOOK_ID, paypal_delivery


def build(config, cache, relay, **limits):
    cfg = dataclasses.replace(config, **limits)
    return testing.TestClient(
        create_app(cfg, vault=Vault.from_config(cfg), cache=cache, relay=relay, broker_check=lambda: True)
    )


@pytest.fixture
def limited(config, cache, relay, db):
    return build(config, cache, relay, rate_limit_read=3, rate_limit_write=2)


def assert_throttled(resp, policy):
    assert resp.status_code == 429, resp.text
    assert (
        resp.headers["content-type"] == "application/problem+json"
        and resp.json["type"] == "/problems/rate-limited"
    )
    assert int(resp.headers["Retry-After"]) >= 1
    assert resp.headers["RateLimit-Policy"] == policy
    assert resp.headers["RateLimit"].endswith(";r=0;t=1")


def test_writes_past_the_budget_get_429_with_retry_after_and_both_headers(limited, auth):
    answers = [limited.simulate_post("/payments", json={}, headers=auth) for _ in range(3)]

    assert [a.status_code for a in answers[:2]] == [422, 422]  # counted, whatever the answer
    assert [a.headers["RateLimit"] for a in answers[:2]] == ['"write";r=1;t=1', '"write";r=0;t=1']
    assert_throttled(answers[2], '"write";q=2;w=1')


def test_reads_and_writes_are_counted_apart_and_every_answer_carries_the_headers(limited, auth):
    for _ in range(2):
        limited.simulate_post("/payments", json={}, headers=auth)
    assert limited.simulate_post("/payments", json={}, headers=auth).status_code == 429

    reads = [limited.simulate_get("/payments", headers=auth) for _ in range(4)]
    assert [r.status_code for r in reads] == [200, 200, 200, 429]
    assert {r.headers["RateLimit-Policy"] for r in reads} == {'"read";q=3;w=1'}
    assert [r.headers["RateLimit"] for r in reads[:3]] == [
        '"read";r=2;t=1',
        '"read";r=1;t=1',
        '"read";r=0;t=1',
    ]
    assert limited.simulate_get("/payments/pay_unknown", headers=auth).status_code == 429  # any read route
    assert "RateLimit" not in limited.simulate_get("/healthz").headers  # not authenticated: not counted


def test_another_merchant_has_its_own_budget_and_an_override_its_own_limits(
    config, cache, relay, db, mint, auth
):
    special = "m_" + secrets.token_hex(6)
    client = build(
        config, cache, relay, rate_limit_read=1, rate_limit_write=1, rate_limit_overrides=(f"{special}:5:1",)
    )
    special_auth = {"Authorization": f"Bearer {mint(special)}"}

    assert [client.simulate_get("/payments", headers=auth).status_code for _ in range(2)] == [200, 429]
    reads = [client.simulate_get("/payments", headers=special_auth) for _ in range(6)]
    assert [r.status_code for r in reads] == [200] * 5 + [429]
    assert reads[0].headers["RateLimit-Policy"] == '"read";q=5;w=1'


def evalshas_on_limits(config, prefix, requests):
    """The round trips of ``requests()`` to the limiter's keys (under ``prefix``) in Redis, seen with
    MONITOR."""
    seen, end = [], f"{prefix}end"
    watcher = redis.Redis.from_url(config.redis_url)
    with watcher.monitor() as monitor:

        def read():
            while end not in (command := monitor.next_command())["command"]:
                if command["client_type"] != "lua":  # what the script runs inside Redis is no round trip
                    seen.append(command["command"])

        thread = threading.Thread(target=read, daemon=True)
        thread.start()
        requests()
        watcher.get(end)
        thread.join(10)
    return [c for c in seen if f"{prefix}rl:" in c]


def limited_client(config, cache, relay, quota):
    prefix = f"{config.cache_prefix}own-{secrets.token_hex(3)}:"
    client = build(config, cache, relay, rate_limit_read=quota, rate_limit_write=quota, cache_prefix=prefix)
    return client, prefix


def test_a_request_under_a_small_budget_costs_one_redis_round_trip(config, cache, relay, db, auth):
    client, prefix = limited_client(config, cache, relay, 100)  # under 2 * PREFETCH_SHARE: counted exactly
    client.simulate_get("/payments", headers=auth)  # loads the script once

    def requests():
        client.simulate_get("/payments", headers=auth)
        client.simulate_post("/payments", json={}, headers=auth)

    ours = evalshas_on_limits(config, prefix, requests)
    assert len(ours) == 2 and all(c.startswith("EVALSHA ") for c in ours), ours


def test_a_large_budget_is_taken_from_redis_a_few_tokens_per_round_trip(config, cache, relay, db, auth):
    client, prefix = limited_client(config, cache, relay, 1000)  # 10 tokens per round trip
    client.simulate_post("/payments", json={}, headers=auth)  # loads the script once (the write budget)
    answers = []

    def requests():
        answers.extend(client.simulate_get("/payments", headers=auth) for _ in range(10))

    ours = evalshas_on_limits(config, prefix, requests)
    assert len(ours) == 1 and ours[0].startswith("EVALSHA "), ours
    remaining = [int(a.headers["RateLimit"].split(";r=")[1].split(";")[0]) for a in answers]
    assert remaining == list(range(999, 989, -1))  # each request spends one token, held or not
    assert {a.status_code for a in answers} == {200}


def test_with_redis_down_reads_pass_and_writes_are_limited_in_the_process(config, cache, relay, db, auth):
    client = build(
        config,
        cache,
        relay,
        rate_limit_read=1,
        rate_limit_write=2,
        redis_url=f"redis://127.0.0.1:{free_port()}/0",
    )

    with structlog.testing.capture_logs() as logs:
        reads = [client.simulate_get("/payments", headers=auth).status_code for _ in range(3)]
        writes = [client.simulate_post("/payments", json={}, headers=auth) for _ in range(3)]

    assert reads == [200, 200, 200]  # fail open
    assert [w.status_code for w in writes[:2]] == [422, 422]
    assert_throttled(writes[2], '"write";q=2;w=1')
    assert [e["event"] for e in logs].count("rate_limit_redis_unavailable") == 1


@pytest.fixture
def webhooks(config, cache, relay, db):
    return build(config, cache, relay, paypal_webhook_id=WEBHOOK_ID, rate_limit_webhooks_per_ip=2)


def deliver(client, headers=None, remote_addr="203.0.113.7"):
    _, body, signed = paypal_delivery()
    return client.simulate_post(
        "/webhooks/paypal", body=body, headers={**signed, **(headers or {})}, remote_addr=remote_addr
    )


def test_gateway_webhooks_are_limited_per_source_address(webhooks):
    address = f"203.0.113.{secrets.randbelow(250)}"
    answers = [deliver(webhooks, remote_addr=address) for _ in range(3)]

    assert [a.status_code for a in answers[:2]] == [202, 202]
    assert_throttled(answers[2], '"webhook";q=2;w=1')
    assert (
        deliver(webhooks, {"X-Forwarded-For": "198.51.100.1"}, remote_addr=address).status_code == 429
    )  # not trusted
    assert deliver(webhooks, remote_addr=f"198.51.100.{secrets.randbelow(250)}").status_code == 202


def test_x_forwarded_for_names_the_client_only_behind_a_trusted_proxy(config, cache, relay, db):
    proxy = "10.9.8.7"
    client = build(
        config,
        cache,
        relay,
        paypal_webhook_id=WEBHOOK_ID,
        rate_limit_webhooks_per_ip=1,
        trusted_proxies=("10.9.8.0/24",),
    )
    first, second = (f"198.51.100.{n}, {proxy}" for n in secrets.SystemRandom().sample(range(250), 2))

    assert deliver(client, {"X-Forwarded-For": first}, remote_addr=proxy).status_code == 202
    assert (
        deliver(client, {"X-Forwarded-For": second}, remote_addr=proxy).status_code == 202
    )  # another client
    assert (
        deliver(client, {"X-Forwarded-For": "192.0.2.1, " + first}, remote_addr=proxy).status_code == 429
    )  # spoofed left part


def test_redeliver_is_refused_past_ten_per_event_per_hour(config, cache, relay, db, auth):
    client = build(config, cache, relay)
    event = event_of(canceled_payment(client, auth), "payment.canceled")

    answers = [client.simulate_post(f"/events/{event.id}/redeliver", headers=auth) for _ in range(11)]

    assert [a.status_code for a in answers[:10]] == [202] * 10
    assert answers[11 - 1].status_code == 429 and answers[10].json["type"] == "/problems/rate-limited"
    assert int(answers[10].headers["Retry-After"]) > 60
    assert answers[10].headers["RateLimit-Policy"] == '"write";q=100000;w=1, "redeliver";q=10;w=3600'
    other = event_of(canceled_payment(client, auth), "payment.canceled")
    assert client.simulate_post(f"/events/{other.id}/redeliver", headers=auth).status_code == 202
