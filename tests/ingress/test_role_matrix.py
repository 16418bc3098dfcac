"""Every role against every endpoint: a user's session is refused (403) exactly where its role lacks the scope
of the endpoint's action, and let through everywhere else, whatever the endpoint then answers."""

import re
import secrets

import pytest

from ingress import permissions
from ingress.openapi import document
from tests.support.accounts import session

#: A well-formed id for each path parameter, naming nothing: an allowed request gets past the door (404).
IDS = {
    "payment_id": "pay_" + "0" * 24,
    "refund_id": "re_" + "0" * 24,
    "event_id": "evt_" + "0" * 24,
    "endpoint_id": "we_" + "0" * 24,
    "customer_id": "cus_" + "0" * 24,
    "key_id": "key_" + "0" * 24,
    "user_id": "usr_" + "0" * 24,
    "audit_event_id": "aev_999999999",
    "rule_id": "rule_" + "0" * 24,
    "value_list_id": "rsl_" + "0" * 24,
    "item_id": "rsli_" + "0" * 24,
    "review_id": "rev_" + "0" * 24,
}
#: Last: answering them ends the session or the merchant, which the other calls need.
LAST = {("POST", "/auth/logout"), ("POST", "/auth/switch"), ("DELETE", "/merchant")}


def endpoints():
    """``(method, path)`` of every documented operation, with those in ``LAST`` last."""
    found = [
        (method.upper(), path)
        for path, item in document()["paths"].items()
        for method in item
        if method in ("get", "post", "put", "patch", "delete")
    ]
    return sorted(found, key=lambda ep: ep in LAST)


def action_of(app, method, path):
    """The action the resource names for ``method``, or None for a public resource."""
    resource, *_ = app._router.find(path)
    if getattr(resource, "public", False):
        return None
    return resource.actions[method]  # KeyError: a documented responder no action names


@pytest.mark.parametrize("role", list(permissions.ROLES))
def test_each_role_is_refused_exactly_where_its_scopes_end(client, app, config, db, role):
    merchant = "m_matrix_" + secrets.token_hex(4)
    _, headers = session(client, config, merchant, role)
    wrong = []
    for method, template in endpoints():
        action = action_of(app, method, template)
        if action is None:
            continue
        path = re.sub(r"\{(\w+)\}", lambda m: IDS[m.group(1)], template)
        body = {} if method in ("POST", "PUT", "PATCH") else None
        resp = client.simulate_request(method, path, json=body, headers=headers)
        allowed = permissions.PERMISSIONS[action] in permissions.ROLES[role]
        refused = resp.status_code == 403 and resp.json["type"].endswith("insufficient-scope")
        if allowed == refused or resp.status_code in (401, 500):
            wrong.append(f"{method} {template} ({action}): {resp.status_code}")
    assert wrong == [], f"{role}: " + "; ".join(wrong)


@pytest.mark.parametrize(
    ("role", "method", "path", "allowed"),
    [  # the issue's words, independently of the tables: what each role may do beyond the one before it
        ("viewer", "GET", "/payments", True),
        ("viewer", "GET", "/payments/export", False),
        ("viewer", "POST", "/payments", False),
        ("analyst", "GET", "/payments/export", True),
        ("viewer", "GET", "/radar/rules", False),
        ("analyst", "GET", "/radar/rules", True),
        ("analyst", "POST", "/radar/rules", False),
        ("developer", "POST", "/radar/value_lists", False),
        ("admin", "POST", "/radar/rules", True),
        ("admin", "POST", "/radar/value_lists", True),
        ("viewer", "GET", "/reviews", False),
        ("analyst", "GET", "/reviews", True),
        ("developer", "POST", f"/reviews/{IDS['review_id']}/approve", False),
        ("admin", "POST", f"/reviews/{IDS['review_id']}/reject", True),
        ("analyst", "POST", "/api_keys", False),
        ("developer", "POST", "/api_keys", True),
        ("developer", "POST", "/webhook_endpoints", True),
        ("developer", "POST", f"/payments/{IDS['payment_id']}/refunds", False),
        ("developer", "POST", "/users", False),
        ("admin", "POST", f"/payments/{IDS['payment_id']}/refunds", True),
        ("admin", "POST", f"/payments/{IDS['payment_id']}/capture", True),
        ("admin", "POST", f"/payments/{IDS['payment_id']}/cancel", True),
        ("admin", "POST", "/users", True),
        ("admin", "GET", "/audit_events", True),
        ("admin", "DELETE", "/merchant", False),
        ("owner", "DELETE", "/merchant", True),
    ],
)
def test_what_the_issue_names(client, config, db, role, method, path, allowed):
    _, headers = session(client, config, "m_matrix_" + secrets.token_hex(4), role)
    body = {} if method == "POST" else None
    resp = client.simulate_request(method, path, json=body, headers=headers)
    assert (resp.status_code == 403) is not allowed, (resp.status_code, resp.text)
