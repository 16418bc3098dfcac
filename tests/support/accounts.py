"""Users for a test: created in the store as an operator would, logged in through the API."""

import secrets

from store import users
from store.passwords import Passwords

PASSWORD = "correct-horse-battery-42"


def member(config, merchant_id, role="owner", email=None, password=PASSWORD) -> tuple[str, str]:
    """A new user who is ``role`` of the merchant.  Returns ``(user id, email)``."""
    email = email or f"u{secrets.token_hex(6)}@example.test"
    user = users.find(email) or users.create(email, Passwords.from_config(config).hash(password))
    users.join(user, merchant_id, role)
    return user.id, email


def login(client, email, password=PASSWORD, **extra):
    return client.simulate_post("/auth/login", json={"email": email, "password": password, **extra})


def bearer(tokens) -> dict:
    return {"Authorization": f"Bearer {tokens['access_token']}"}


def session(client, config, merchant_id, role="owner") -> tuple[str, dict]:
    """A logged-in ``role`` of the merchant: ``(user id, headers)``."""
    user_id, email = member(config, merchant_id, role)
    resp = login(client, email)
    assert resp.status_code == 200, resp.text
    return user_id, bearer(resp.json)
