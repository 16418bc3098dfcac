"""The README's curl examples work as printed: run with the real curl against the app."""

import functools
import json
import os
import pathlib
import re
import subprocess
import sys
import wsgiref.simple_server

import pytest

from tests.support import services

README = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
COMMANDS = re.findall(r"^(curl .*)$", README.replace("\\\n", " "), re.M)


class _Quiet(wsgiref.simple_server.WSGIRequestHandler):
    def log_message(self, *args):
        pass


@pytest.fixture
def served(app):
    with services.serving(
        wsgiref.simple_server.make_server("127.0.0.1", 0, app, handler_class=_Quiet)
    ) as server:
        yield f"http://127.0.0.1:{server.server_port}"


def test_urls_with_brackets_or_braces_turn_curl_globbing_off():
    # curl reads [..] and {..} in a URL as a glob: the request is never sent and -s prints nothing.
    globbed = [
        c
        for c in COMMANDS
        if re.search(r"https?://\S*[\[\]{}]", c) and not re.search(r"\s(-g|--globoff)\s", c)
    ]
    assert COMMANDS and globbed == []


@pytest.mark.parametrize("marker", ["/payments?limit=20", "/audit_events?"])
def test_the_list_examples_list(served, mint, merchant, marker):
    command = next(c for c in COMMANDS if marker in c).replace("http://127.0.0.1:8000", served)
    out = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "TOKEN": mint(merchant)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    assert out.stdout.startswith('{"object":"list"'), (command, out.returncode, out.stderr)


def test_the_search_and_export_examples_answer(served, mint, merchant, tmp_path):
    searched, exported = (
        next(c for c in COMMANDS if marker in c).replace("http://127.0.0.1:8000", served)
        for marker in ("amount[gte]", "/payments/export")
    )
    env = {**os.environ, "TOKEN": mint(merchant)}
    run = functools.partial(subprocess.run, env=env, capture_output=True, text=True, timeout=30, cwd=tmp_path)
    assert run(["bash", "-c", searched]).stdout.startswith('{"object":"list"')
    assert run(["bash", "-c", exported]).returncode == 0
    assert (tmp_path / "payments.csv").read_text().startswith("id,created_at,status,amount,")


@pytest.mark.parametrize(
    ("marker", "method"),
    [('"stripe_payment_method", "id"', "stripe_payment_method"), ('"paypal"}', "paypal")],
)
def test_the_gateway_method_examples_create_payments(served, mint, merchant, marker, method):
    command = next(c for c in COMMANDS if marker in c).replace("http://127.0.0.1:8000", served)
    out = subprocess.run(
        ["bash", "-c", command],
        env={**os.environ, "TOKEN": mint(merchant)},
        capture_output=True,
        text=True,
        timeout=30,
    )
    payment = json.loads(out.stdout)
    assert (payment["object"], payment["method"], payment["card"]) == ("payment", method, None), out.stderr


def test_the_api_key_example_creates_a_key_that_lists_payments(served, mint, merchant):
    created, listed = (
        next(c for c in COMMANDS if marker in c).replace("http://127.0.0.1:8000", served)
        for marker in (
            '"scopes": ["payments:read"',
            'curl -s http://127.0.0.1:8000/payments -H "Authorization: Bearer $KEY"',
        )
    )
    run = functools.partial(subprocess.run, capture_output=True, text=True, timeout=30)
    key = json.loads(run(["bash", "-c", created], env={**os.environ, "TOKEN": mint(merchant)}).stdout)
    assert key["secret"].startswith("sk_test_") and key["scopes"] == ["payments:read", "payments:write"]
    out = run(["bash", "-c", listed], env={**os.environ, "KEY": key["secret"]})
    assert out.stdout.startswith('{"object":"list"'), (listed, out.stderr)


def test_the_compose_token_is_accepted_by_the_compose_ingress():
    """The README's compose token command: ``paywave token`` with ``.env.example``'s settings mints a token
    that an ingress with those settings (issuer, audience, secret) accepts; the host's default one is
    refused."""
    from ingress.auth import Authenticator
    from ingress.errors import Problem
    from shared.config import Config

    assert re.search(r"docker compose exec -T ingress paywave token --merchant acme", README)
    example = (pathlib.Path(__file__).parents[2] / ".env.example").read_text()
    env = dict(line.split("=", 1) for line in example.splitlines() if line.startswith("PAYWAVE_"))
    assert env["PAYWAVE_JWT_ISSUER"] and env["PAYWAVE_JWT_AUDIENCE"]
    base = {k: v for k, v in os.environ.items() if not k.startswith("PAYWAVE_")}

    def mint(extra):
        return subprocess.run(
            [sys.executable, "-m", "cli", "token", "--merchant", "acme"],
            env={**base, **extra},
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()

    ingress = Authenticator(Config.from_env(env))
    claims = ingress.verify(mint(env))
    assert (claims["sub"], claims["iss"], claims["aud"]) == (
        "acme",
        env["PAYWAVE_JWT_ISSUER"],
        env["PAYWAVE_JWT_AUDIENCE"],
    )
    with pytest.raises(Problem):
        ingress.verify(mint({}))


def test_the_onboarding_script_ends_in_a_test_payment(served, config, db, tmp_path):
    """The README's onboarding block, run as printed (the CLI against this run's database): a merchant, its
    owner, a login, a test key, and a first payment made with that key."""
    from store.models import Payment

    script = re.search(r"```sh\n# onboarding\n(.*?)```", README, re.S).group(1)
    script = script.replace("http://127.0.0.1:8000", served).replace(
        ".venv/bin/paywave", f"{sys.executable} -m cli"
    )
    env = {**os.environ, "PAYWAVE_DATABASE_URL": config.database_url}
    out = subprocess.run(["bash", "-ec", script], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 0, out.stderr
    payment = json.loads(out.stdout.splitlines()[-1])  # after the user id create-user prints
    assert (payment["object"], payment["livemode"], payment["status"]) == ("payment", False, "pending")
    assert Payment.get_by_id(payment["id"]).merchant_id.startswith("mer_")


def test_the_radar_examples_create_a_list_an_item_and_a_rule_and_point_at_an_error(served, mint, merchant):
    list_made, item_added, rule_made, refused, threshold_set = (
        next(c for c in COMMANDS if marker in c).replace("http://127.0.0.1:8000", served)
        for marker in (
            '"alias": "blocked_emails"',
            '"value": "Fraud@Example.com"',
            ":email: in @blocked_emails or",
            '":amount_in_usd: > "',
            '{"threshold": 20000}',
        )
    )
    env = {**os.environ, "TOKEN": mint(merchant)}
    run = functools.partial(subprocess.run, env=env, capture_output=True, text=True, timeout=30)
    value_list = json.loads(run(["bash", "-c", list_made]).stdout)
    assert value_list["object"] == "radar_value_list", value_list
    item = json.loads(run(["bash", "-c", item_added.replace("rsl_…", value_list["id"])]).stdout)
    assert item["value"] == "fraud@example.com", item
    rule = json.loads(run(["bash", "-c", rule_made]).stdout)
    assert rule["object"] == "radar_rule" and rule["builtin"] is False, rule
    problem = json.loads(run(["bash", "-c", refused]).stdout)
    assert problem["errors"][0]["field"] == "predicate" and problem["position"] == {"line": 1, "column": 19}
    assert json.loads(run(["bash", "-c", threshold_set]).stdout)["threshold"] == 20000
