"""Bearer JWT: algorithms allow-listed, exp required, scopes gate reads and writes."""

import time

import jwt
import pytest

from tests.support.api import card_payment


def bearer(token):
    return {"Authorization": f"Bearer {token}"}


def assert_401(resp):
    assert resp.status_code == 401
    assert resp.headers["www-authenticate"].startswith('Bearer realm="paywave"')
    assert resp.headers["content-type"] == "application/problem+json"


def test_missing_or_malformed_header_is_401(client):
    assert_401(client.simulate_get("/payments"))
    assert_401(client.simulate_get("/payments", headers={"Authorization": "Basic abc"}))
    assert_401(client.simulate_get("/payments", headers={"Authorization": "Bearer"}))


@pytest.mark.parametrize(
    "make",
    [
        lambda secret: jwt.encode({"sub": "m", "exp": int(time.time()) + 60}, None, algorithm="none"),
        lambda secret: jwt.encode({"sub": "m", "exp": int(time.time()) - 3600}, secret, algorithm="HS256"),
        lambda secret: jwt.encode(
            {"sub": "m", "exp": int(time.time()) + 60}, "another-secret-of-enough-length", algorithm="HS256"
        ),
        lambda secret: jwt.encode({"sub": "m"}, secret, algorithm="HS256"),  # no exp
        lambda secret: jwt.encode({"exp": int(time.time()) + 60}, secret, algorithm="HS256"),  # no sub
        lambda secret: jwt.encode(
            {"sub": "m", "exp": int(time.time()) + 60}, secret, algorithm="HS512"
        ),  # not allowed
        lambda secret: "not.a.token",
    ],
    ids=["alg-none", "expired", "wrong-key", "no-exp", "no-sub", "alg-not-allowed", "garbage"],
)
def test_invalid_tokens_are_401(client, config, make):
    assert_401(client.simulate_get("/payments", headers=bearer(make(config.jwt_secret))))


def test_read_scope_cannot_write(client, mint, merchant):
    token = mint(merchant, scopes=("payments:read",))
    assert client.simulate_get("/payments", headers=bearer(token)).status_code == 200
    resp = client.simulate_post("/payments", json=card_payment(), headers=bearer(token))
    assert resp.status_code == 403 and 'scope="payments:write"' in resp.headers["www-authenticate"]


def test_issuer_and_audience_are_checked_when_configured(config, cache, relay, broker, db):
    import dataclasses

    from falcon import testing

    from ingress.app import create_app
    from ingress.auth import Authenticator
    from store.vault import Vault

    strict = dataclasses.replace(config, jwt_issuer="https://auth.example", jwt_audience="paywave")
    client = testing.TestClient(
        create_app(
            strict, vault=Vault.from_config(strict), cache=cache, relay=relay, broker_check=lambda: True
        )
    )
    good = Authenticator(strict).mint("m1")
    assert client.simulate_get("/payments", headers=bearer(good)).status_code == 200
    assert_401(client.simulate_get("/payments", headers=bearer(Authenticator(config).mint("m1"))))


def test_rs256_with_a_public_key(config, cache, relay, db):
    import dataclasses

    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa
    from falcon import testing

    from ingress.app import create_app
    from ingress.auth import Authenticator
    from store.vault import Vault

    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    private = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    ).decode()
    public = (
        key.public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    rs = dataclasses.replace(
        config, jwt_algorithms=("RS256",), jwt_public_key=public, jwt_private_key=private
    )
    client = testing.TestClient(
        create_app(rs, vault=Vault.from_config(rs), cache=cache, relay=relay, broker_check=lambda: True)
    )
    assert client.simulate_get("/payments", headers=bearer(Authenticator(rs).mint("m1"))).status_code == 200
    # HS256 signed with the public key (algorithm confusion) is refused
    forged = jwt.encode({"sub": "m1", "exp": int(time.time()) + 60}, config.jwt_secret, algorithm="HS256")
    assert_401(client.simulate_get("/payments", headers=bearer(forged)))


def test_token_command_prints_the_token_alone(config):
    import subprocess
    import sys

    out = subprocess.run(
        [
            sys.executable,
            "-m",
            "cli",
            "token",
            "--merchant",
            "acme",
            "--scopes",
            "payments:read",
            "--ttl",
            "60",
        ],
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    assert out.count("\n") == 1
    claims = jwt.decode(out.strip(), config.jwt_secret, algorithms=["HS256"])
    assert (
        claims["sub"] == "acme" and claims["scope"] == "payments:read" and claims["exp"] - claims["iat"] == 60
    )


def test_a_token_verified_before_still_expires(client, config, merchant):
    token = jwt.encode(
        {"sub": merchant, "scope": "payments:read", "exp": time.time() + 1.5 - config.jwt_leeway},
        config.jwt_secret,
        algorithm=config.jwt_algorithms[0],
    )
    assert client.simulate_get("/payments", headers=bearer(token)).status_code == 200
    time.sleep(1.6)
    assert_401(client.simulate_get("/payments", headers=bearer(token)))


@pytest.mark.parametrize(
    "exp",
    ["9999999999", "soon", [9999999999], {"at": 1}, None],
    ids=["numeric-string", "word", "list", "object", "null"],
)
def test_an_exp_that_is_not_a_number_is_401(client, config, merchant, exp):
    token = jwt.encode(
        {"sub": merchant, "scope": "payments:read", "exp": exp}, config.jwt_secret, algorithm="HS256"
    )
    assert_401(client.simulate_get("/payments", headers=bearer(token)))


@pytest.mark.parametrize(
    "settings,named",
    [
        ({"jwt_algorithms": ("RS256",), "jwt_public_key": ""}, "PAYWAVE_JWT_PUBLIC_KEY"),
        (
            {
                "jwt_algorithms": ("RS256",),
                "jwt_public_key": "-----BEGIN PUBLIC KEY-----\nnot a key\n-----END PUBLIC KEY-----",
            },
            "PAYWAVE_JWT_PUBLIC_KEY",
        ),
        ({"jwt_secret": ""}, "PAYWAVE_JWT_SECRET"),
        ({"jwt_algorithms": ("HS256", "RS256")}, "PAYWAVE_JWT_ALGORITHMS"),
        ({"jwt_public_key": "-----BEGIN PUBLIC KEY-----"}, "PAYWAVE_JWT_ALGORITHMS"),
    ],
    ids=["rs256-without-key", "rs256-garbage-key", "empty-secret", "hs-and-rs", "hs-with-public-key"],
)
def test_a_bad_algorithm_set_fails_when_the_app_is_built(config, cache, relay, settings, named):
    import dataclasses

    from ingress.app import create_app
    from shared.config import ConfigError
    from store.vault import Vault

    bad = dataclasses.replace(config, **settings)
    with pytest.raises(ConfigError, match=named):
        create_app(bad, vault=Vault.from_config(bad), cache=cache, relay=relay, broker_check=lambda: True)


def test_every_action_a_resource_names_is_granted_by_one_scope():
    """``ingress.permissions`` is the one table: a resource naming an action missing there would be a 500."""
    import importlib
    import pkgutil

    from ingress import resources
    from ingress.permissions import PERMISSIONS

    named = {
        action
        for info in pkgutil.iter_modules(resources.__path__)
        for value in vars(importlib.import_module(f"ingress.resources.{info.name}")).values()
        if isinstance(value, type)
        for action in getattr(value, "actions", {}).values()
    }
    assert {"merchant.read", "merchant.update", "payments.write"} <= named <= set(PERMISSIONS)


def routed_resources(app):
    """Every resource the app routes to (walking Falcon's compiled router)."""
    found, nodes = [], list(app._router._roots)
    while nodes:
        node = nodes.pop()
        nodes += node.children
        if node.resource is not None:
            found.append(node.resource)
    return found


def test_every_routed_responder_is_public_or_names_its_action(app):
    """Closed by default: a responder that no action names would be refused; this keeps none such."""
    methods = ("GET", "POST", "PUT", "PATCH", "DELETE")
    undeclared = [
        f"{type(r).__name__}.on_{m.lower()}"
        for r in routed_resources(app)
        if not getattr(r, "public", False)
        for m in methods
        if hasattr(r, f"on_{m.lower()}") and m not in getattr(r, "actions", {})
    ]
    assert undeclared == []


def test_a_resource_that_declares_nothing_is_closed(config, cache, relay, mint, merchant, db):
    from falcon import testing

    from ingress.app import create_app
    from store.vault import Vault

    class Forgotten:
        def on_get(self, req, resp):
            resp.media = {"secret": True}

    app = create_app(
        config, vault=Vault.from_config(config), cache=cache, relay=relay, broker_check=lambda: True
    )
    app.add_route("/_forgotten", Forgotten())
    client = testing.TestClient(app)
    assert client.simulate_get("/_forgotten").status_code == 401
    resp = client.simulate_get("/_forgotten", headers=bearer(mint(merchant)))
    assert resp.status_code == 403 and "secret" not in resp.text
