"""The dashboard app against this run's services, and a browser-like client that keeps its cookies."""

import re
import urllib.parse

import pytest
from falcon import testing

from dashboard.app import create_app
from shared.broker import build_broker, publisher
from shared.cache import RedisCache
from shared.ids import new_id
from store.models import Attempt, Customer, Payment, utcnow
from store.outbox import Relay
from store.vault import Vault
from tests.support.accounts import PASSWORD, member

CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')


@pytest.fixture(scope="session")
def cache(config):
    return RedisCache(config.redis_url, config.cache_prefix, config.cache_ttl_seconds)


@pytest.fixture(scope="session")
def relay(config, database_url):
    """Not started: the jobs a page writes stay in the outbox, where the tests read them."""
    return Relay(publisher(build_broker(config), config.queue_prefix))


@pytest.fixture(scope="session")
def dashboard(config, cache, relay):
    return create_app(config, vault=Vault.from_config(config), cache=cache, relay=relay)


class Browser:
    """A falcon test client with a cookie jar, as a browser on ``host`` would hold it."""

    def __init__(self, app, host="localhost"):
        self.client = testing.TestClient(app)
        self.host = host
        self.cookies: dict[str, str] = {}
        self.last = None

    def request(self, method, path, form=None, **kwargs):
        headers = dict(kwargs.pop("headers", {}))
        if self.cookies:
            headers["Cookie"] = "; ".join(f"{k}={v}" for k, v in self.cookies.items())
        if form is not None:
            kwargs["body"] = urllib.parse.urlencode(form, doseq=True)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        result = self.client.simulate_request(method, path, headers=headers, host=self.host, **kwargs)
        for name, cookie in result.cookies.items():
            if cookie.max_age == 0 or cookie.value == "":
                self.cookies.pop(name, None)
            else:
                self.cookies[name] = cookie.value
        self.last = result
        return result

    def get(self, path, **kwargs):
        return self.request("GET", path, **kwargs)

    def post(self, path, form=None, **kwargs):
        return self.request("POST", path, form=form or {}, **kwargs)

    def csrf(self, path) -> str:
        """The CSRF token of the forms on ``path``."""
        return CSRF.search(self.get(path).text).group(1)

    def submit(self, page, action, fields=None):
        """POST ``fields`` to ``action`` with the CSRF token of the forms on ``page``, as a browser would."""
        return self.post(action, {"csrf_token": self.csrf(page), **(fields or {})})

    def sign_in(self, email, password=PASSWORD, mode="live", **extra):
        token = self.csrf("/dashboard/login")
        return self.post(
            "/dashboard/login",
            {"csrf_token": token, "email": email, "password": password, "mode": mode, **extra},
        )


@pytest.fixture
def browser(dashboard, db):
    return Browser(dashboard)


@pytest.fixture
def signed_in(dashboard, db, config, merchant):
    """``signed_in(role, mode="live") -> (Browser, user id)``: a member of the test's merchant, signed in."""

    def sign_in(role="owner", mode="live"):
        user_id, email = member(config, merchant, role)
        browser = Browser(dashboard)
        assert browser.sign_in(email, mode=mode).status_code == 303, browser.last.text
        return browser, user_id

    return sign_in


def payment(merchant_id, livemode=True, status="succeeded", amount=2500, email=None, **columns):
    """A payment as the workers leave it (captured when succeeded), with its one attempt at stripe."""
    now = utcnow()
    pay_id = new_id("pay")
    if email:
        customer = Customer.create(
            id=new_id("cus"),
            merchant_id=merchant_id,
            livemode=livemode,
            email=email,
            created_at=now,
            updated_at=now,
        )
        columns["customer"] = customer.id
    captured = amount if status == "succeeded" else 0
    row = Payment.create(
        id=pay_id,
        merchant_id=merchant_id,
        livemode=livemode,
        status=status,
        amount=amount,
        amount_captured=captured,
        currency="USD",
        capture="automatic",
        route="stripe,paypal",
        gateway="stripe",
        card_brand="visa",
        card_last4="4242",
        customer_details={"email": email} if email else None,
        risk={
            "score": 12,
            "level": "normal",
            "rule": None,
            "reasons": ["new card"],
            "missing": [],
            "signals": {},
        },
        created_at=now,
        updated_at=now,
        **columns,
    )
    Attempt.create(
        id=new_id("att"),
        payment_id=pay_id,
        number=1,
        gateway="stripe",
        operation="authorize",
        idempotency_key=f"{pay_id}-1",
        status="succeeded",
        amount=amount,
        latency_ms=42,
        created_at=now,
        updated_at=now,
    )
    return row
