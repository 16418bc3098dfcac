"""/webhook_endpoints: creation with the secret shown once, listing, isolation, rotation,
the SSRF guard at creation, and no secret in clear anywhere in the database."""

import dataclasses
import io

import pytest
from falcon import testing

from ingress.app import create_app
from shared.logging import configure
from store.models import WebhookEndpoint
from store.vault import Vault
from tests.support import services
from tests.support.api import PUBLIC, conforms, create_endpoint


@pytest.fixture(scope="module")
def local_client(config, cache, relay):
    """The ingress of a development setup: http allowed, loopback allow-listed."""
    cfg = dataclasses.replace(
        config, webhook_allow_http=True, webhook_allowed_hosts=("127.0.0.1/32", "localhost")
    )
    return testing.TestClient(
        create_app(cfg, vault=Vault.from_config(cfg), cache=cache, relay=relay, broker_check=lambda: True)
    )


def test_create_answers_201_with_the_secret_once(client, auth):
    resp = create_endpoint(
        client, auth, description="orders", events=("payment.succeeded", "payment.refunded")
    )
    assert resp.status_code == 201, resp.text
    body = resp.json
    conforms(body, "WebhookEndpoint")
    assert resp.headers["location"] == f"/webhook_endpoints/{body['id']}"
    assert body["id"].startswith("we_") and body["secret"].startswith("whsec_")
    assert (body["url"], body["status"], body["disabled_reason"], body["description"]) == (
        PUBLIC,
        "enabled",
        None,
        "orders",
    )
    assert body["enabled_events"] == ["payment.succeeded", "payment.refunded"]
    got = client.simulate_get(resp.headers["location"], headers=auth)
    assert got.status_code == 200 and "secret" not in got.json
    assert got.json == {k: v for k, v in body.items() if k != "secret"}


def test_list_is_newest_first_with_cursor_pagination(client, auth):
    ids = [create_endpoint(client, auth).json["id"] for _ in range(3)]
    first = client.simulate_get("/webhook_endpoints", params={"limit": 2}, headers=auth).json
    assert [e["id"] for e in first["data"]] == ids[::-1][:2] and first["has_more"] is True
    assert all("secret" not in e for e in first["data"])
    rest = client.simulate_get(
        "/webhook_endpoints", params={"limit": 2, "starting_after": ids[1]}, headers=auth
    ).json
    assert [e["id"] for e in rest["data"]] == [ids[0]] and rest["has_more"] is False
    bad = client.simulate_get("/webhook_endpoints", params={"starting_after": "we_" + "x" * 24}, headers=auth)
    assert bad.status_code == 422 and bad.json["errors"][0]["field"] == "starting_after"


def test_delete_then_404_and_other_merchants_get_404(client, auth, mint):
    endpoint = create_endpoint(client, auth).json
    path = f"/webhook_endpoints/{endpoint['id']}"
    other = {"Authorization": f"Bearer {mint('someone_else')}"}
    for method, suffix in (("GET", ""), ("DELETE", ""), ("POST", "/rotate_secret")):
        resp = client.simulate_request(method, path + suffix, headers=other)
        assert resp.status_code == 404 and resp.headers["content-type"] == "application/problem+json", (
            method,
            suffix,
        )
    assert client.simulate_get("/webhook_endpoints", headers=other).json["data"] == []
    assert client.simulate_delete(path, headers=auth).status_code == 204
    assert client.simulate_get(path, headers=auth).status_code == 404
    assert client.simulate_delete(path, headers=auth).status_code == 404


def test_reading_needs_read_scope_and_writing_write_scope(client, mint, merchant):
    reader = {"Authorization": f"Bearer {mint(merchant, scopes=('payments:read',))}"}
    assert client.simulate_get("/webhook_endpoints", headers=reader).status_code == 200
    resp = create_endpoint(client, reader)
    assert resp.status_code == 403 and resp.json["type"] == "/problems/insufficient-scope"
    assert client.simulate_get("/webhook_endpoints").status_code == 401


@pytest.mark.parametrize(
    "url",
    [
        "https://127.0.0.1/hooks",
        "https://10.0.0.1/hooks",
        "https://169.254.169.254/latest/meta-data",
        "https://[::1]/hooks",
        "https://localhost/hooks",
        "https://[::ffff:10.0.0.1]/",
        "https://0.0.0.0/",
        "https://224.0.0.1/",
        "https://[fe80::1]/",
        "https://[fd00::1]/",
        "https://172.16.5.4/",
        "https://192.168.1.1/",
    ],
)
def test_urls_leading_to_non_public_addresses_are_refused(client, auth, url):
    resp = create_endpoint(client, auth, url)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert [e["field"] for e in resp.json["errors"]] == ["url"]
    assert "non-public address" in resp.json["errors"][0]["reason"]


@pytest.mark.parametrize(
    "url,reason",
    [
        ("https://user:pass@93.184.215.14/hooks", "credentials"),
        ("https://token@93.184.215.14/hooks", "credentials"),
        ("http://93.184.215.14/hooks", "scheme must be https"),
        ("ftp://93.184.215.14/hooks", "scheme"),
        ("https:///no-host", "host"),
        ("https://exa mple.com/", "spaces"),
        ("https://[::1/", "malformed"),
        ("https://93.184.215.14:99999/", "port"),
    ],
)
def test_bad_urls_are_refused_naming_the_url(client, auth, url, reason):
    resp = create_endpoint(client, auth, url)
    assert resp.status_code == 422, resp.text
    [error] = resp.json["errors"]
    assert error["field"] == "url" and reason in error["reason"]


def test_invalid_fields_are_reported_together(client, auth):
    resp = client.simulate_post(
        "/webhook_endpoints",
        json={"enabled_events": ["payment.nope"], "colour": "red", "description": 7},
        headers=auth,
    )
    assert resp.status_code == 422
    assert {e["field"] for e in resp.json["errors"]} == {"url", "enabled_events", "colour", "description"}
    for events in ([], ["*", "payment.succeeded"], "payment.succeeded", [None]):
        assert create_endpoint(client, auth, events=events).status_code == 422, events


def test_allow_listed_hosts_and_http_in_development(local_client, auth):
    for url in ("http://127.0.0.1:9/hooks", "http://localhost:9/hooks"):
        resp = create_endpoint(local_client, auth, url)
        assert resp.status_code == 201, (url, resp.text)
    assert create_endpoint(local_client, auth, "http://10.0.0.1/").status_code == 422  # only what is listed
    assert create_endpoint(local_client, auth, "http://u:p@127.0.0.1:9/").status_code == 422


def test_a_merchant_has_at_most_16_endpoints(client, auth):
    for _ in range(16):
        assert create_endpoint(client, auth).status_code == 201
    resp = create_endpoint(client, auth)
    assert resp.status_code == 409 and resp.json["type"] == "/problems/too-many-endpoints"


def test_rotation_answers_a_new_secret_once(client, auth):
    endpoint = create_endpoint(client, auth).json
    resp = client.simulate_post(f"/webhook_endpoints/{endpoint['id']}/rotate_secret", headers=auth)
    assert resp.status_code == 200
    conforms(resp.json, "WebhookEndpoint")
    assert resp.json["secret"].startswith("whsec_") and resp.json["secret"] != endpoint["secret"]
    row = WebhookEndpoint.get_by_id(endpoint["id"])
    assert row.previous_secret_ciphertext and row.previous_secret_expires_at


def test_idempotent_replay_never_reveals_the_secret(client, auth):
    headers = {**auth, "Idempotency-Key": "hook-1"}
    body = {"url": PUBLIC, "enabled_events": ["*"]}
    first = client.simulate_post("/webhook_endpoints", json=body, headers=headers)
    again = client.simulate_post("/webhook_endpoints", json=body, headers=headers)
    assert first.status_code == again.status_code == 201 and again.headers["idempotent-replayed"] == "true"
    assert "secret" in first.json and again.json == {k: v for k, v in first.json.items() if k != "secret"}
    assert client.simulate_get("/webhook_endpoints", headers=auth).json["data"] == [again.json]


def test_no_secret_in_clear_in_the_database_or_the_logs(client, auth, config):
    logs = io.StringIO()
    configure("debug", stream=logs)
    try:
        created = create_endpoint(client, auth).json
        headers = {**auth, "Idempotency-Key": "rotate-1"}
        rotated = client.simulate_post(
            f"/webhook_endpoints/{created['id']}/rotate_secret", headers=headers
        ).json
    finally:
        configure("info")
    secrets = [created["secret"], rotated["secret"]]
    dump = services.dump_database(config.database_url)
    assert created["id"] in dump
    for secret in secrets:
        key = secret.removeprefix("whsec_")
        assert key not in dump and key not in logs.getvalue()
    vault = Vault.from_config(config)
    row = WebhookEndpoint.get_by_id(created["id"])
    assert vault.secrets.decrypt(row.secret_ciphertext, row.secret_key_id, row.id) == rotated["secret"]
    assert (
        vault.secrets.decrypt(row.previous_secret_ciphertext, row.previous_secret_key_id, row.id)
        == created["secret"]
    )


def test_disable_cancels_pending_deliveries_and_enable_sends_again(client, auth):
    from store.models import WebhookDelivery
    from tests.support.api import canceled_payment, event_of

    endpoint = create_endpoint(client, auth).json["id"]
    WebhookEndpoint.update(failing_since=WebhookEndpoint.created_at).where(
        WebhookEndpoint.id == endpoint
    ).execute()
    pending = event_of(canceled_payment(client, auth), "payment.canceled")
    resp = client.simulate_patch(f"/webhook_endpoints/{endpoint}", json={"status": "disabled"}, headers=auth)
    assert resp.status_code == 200
    conforms(resp.json, "WebhookEndpoint")
    assert (resp.json["status"], resp.json["disabled_reason"]) == ("disabled", "disabled by the merchant")
    assert WebhookDelivery.get(WebhookDelivery.event_id == pending.id).status == "canceled"
    meanwhile = event_of(canceled_payment(client, auth), "payment.canceled")
    assert not WebhookDelivery.select().where(WebhookDelivery.event_id == meanwhile.id).exists()

    resp = client.simulate_patch(f"/webhook_endpoints/{endpoint}", json={"status": "enabled"}, headers=auth)
    assert (resp.status_code, resp.json["status"], resp.json["disabled_reason"]) == (200, "enabled", None)
    assert WebhookEndpoint.get_by_id(endpoint).failing_since is None  # a new failure streak
    after = event_of(canceled_payment(client, auth), "payment.canceled")
    assert WebhookDelivery.get(WebhookDelivery.event_id == after.id).endpoint_id == endpoint


@pytest.mark.parametrize(
    "body", [{}, {"status": "paused"}, {"status": "enabled", "url": "https://x.example"}]
)
def test_an_update_names_the_bad_field(client, auth, body):
    endpoint = create_endpoint(client, auth).json["id"]
    resp = client.simulate_patch(f"/webhook_endpoints/{endpoint}", json=body, headers=auth)
    assert resp.status_code == 422 and resp.headers["content-type"] == "application/problem+json"
    assert {e["field"] for e in resp.json["errors"]} == ({"url"} if "url" in body else {"status"})
    assert WebhookEndpoint.get_by_id(endpoint).status == "enabled"


def test_a_test_event_goes_to_that_endpoint_only_and_redelivers_there(client, auth):
    from store.models import OutboxJob, WebhookDelivery

    tested = create_endpoint(client, auth, events=("payment.succeeded",)).json
    everything = create_endpoint(client, auth).json["id"]
    resp = client.simulate_post(f"/webhook_endpoints/{tested['id']}/test", headers=auth)
    assert resp.status_code == 202, resp.text
    conforms(resp.json, "Event")
    assert (resp.json["type"], resp.json["data"]["id"]) == ("webhook_endpoint.test", tested["id"])
    assert "secret" not in resp.json["data"]
    [delivery] = WebhookDelivery.select().where(WebhookDelivery.event_id == resp.json["id"])
    assert (delivery.endpoint_id, delivery.status) == (tested["id"], "pending")
    job = OutboxJob.get(OutboxJob.args.contains(delivery.id))
    assert (job.actor_name, job.args) == ("deliver_webhook", [delivery.id])
    listed = client.simulate_get("/events", params={"type": "webhook_endpoint.test"}, headers=auth).json
    assert [e["id"] for e in listed["data"]] == [resp.json["id"]]

    again = client.simulate_post(f"/events/{resp.json['id']}/redeliver", headers=auth)
    assert [d["endpoint_id"] for d in again.json["data"]] == [tested["id"]]  # not to `everything`
    assert everything not in {d.endpoint_id for d in WebhookDelivery.select()}


def test_a_disabled_or_unknown_endpoint_gets_no_test_event(client, auth, mint):
    endpoint = create_endpoint(client, auth).json["id"]
    client.simulate_patch(f"/webhook_endpoints/{endpoint}", json={"status": "disabled"}, headers=auth)
    resp = client.simulate_post(f"/webhook_endpoints/{endpoint}/test", headers=auth)
    assert (resp.status_code, resp.json["type"]) == (409, "/problems/endpoint-disabled")
    other = {"Authorization": f"Bearer {mint('someone_else')}"}
    assert client.simulate_post(f"/webhook_endpoints/{endpoint}/test", headers=other).status_code == 404
