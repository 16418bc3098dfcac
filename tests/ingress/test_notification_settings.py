"""``PATCH /merchant`` ``settings.notifications`` (issue 16): every field checked, the merchant's templates
tried in Jinja2's sandbox when saved, against real Postgres."""

import json
import pathlib
import re

import pytest

from tests.support.api import conforms

GOOD = {
    "enabled_events": ["payment.succeeded", "payment.refunded"],
    "from_name": "Aurora Lamps",
    "reply_to": "help@aurora.example",
    "locale": "fr_CA",
    "return_url": "https://aurora.example/cart",
    "templates": {
        "payment.succeeded": {
            "fr": {
                "subject": "Reçu : {{ amount }}",
                "html": "<p>{{ merchant_name }}{% if card %} {{ card.last4 }}{% endif %}</p>",
            }
        }
    },
}


def patch(client, auth, section):
    return client.simulate_patch("/merchant", json={"settings": {"notifications": section}}, headers=auth)


def test_the_section_is_stored_shown_and_removed(client, auth):
    resp = patch(client, auth, GOOD)
    assert resp.status_code == 200, resp.text
    conforms(resp.json, "Merchant")
    assert resp.json["settings"]["notifications"] == GOOD
    assert client.simulate_get("/merchant", headers=auth).json["settings"]["notifications"] == GOOD
    assert "notifications" not in patch(client, auth, None).json["settings"]


FIELD = "settings.notifications"


@pytest.mark.parametrize(
    "section,field,reason",
    [
        ([], FIELD, "must be an object"),
        (
            {"enabled_events": ["payment.succeeded", "payment.exploded"]},
            f"{FIELD}.enabled_events[1]",
            "one of",
        ),
        ({"enabled_events": "payment.succeeded"}, f"{FIELD}.enabled_events", "a list"),
        ({"reply_to": "not an address"}, f"{FIELD}.reply_to", "invalid format"),
        ({"locale": "xx_QQ_nope"}, f"{FIELD}.locale", "a locale"),
        ({"from_name": "Shop 4242 4242 4242 4242"}, f"{FIELD}.from_name", "card number"),
        ({"return_url": "javascript:alert(1)"}, f"{FIELD}.return_url", "https"),
        ({"colour": "red"}, f"{FIELD}.colour", ""),
        ({"templates": {"payment.canceled": {"en": {}}}}, f"{FIELD}.templates.payment.canceled", "one of"),
        (
            {"templates": {"payment.failed": {"en": {"body": "x"}}}},
            f"{FIELD}.templates.payment.failed.en.body",
            "",
        ),
        (
            {"templates": {"payment.failed": {"en": {"text": "Hello\n{% if %}"}}}},
            f"{FIELD}.templates.payment.failed.en.text",
            "line 2: TemplateSyntaxError",
        ),
        (
            {"templates": {"payment.failed": {"en": {"subject": "{{ customer_password }}"}}}},
            f"{FIELD}.templates.payment.failed.en.subject",
            "line 1: UndefinedError: 'customer_password' is undefined",
        ),
    ],
)
def test_each_bad_field_is_422_naming_it_and_nothing_is_written(client, auth, section, field, reason):
    before = client.simulate_get("/merchant", headers=auth).json
    resp = patch(client, auth, section)
    assert resp.status_code == 422, resp.text
    assert resp.headers["content-type"] == "application/problem+json"
    [error] = resp.json["errors"]
    assert error["field"] == field and reason in error["reason"]
    assert client.simulate_get("/merchant", headers=auth).json == before


@pytest.mark.parametrize(
    "source",
    [
        "{{ ''.__class__.__mro__ }}",
        "{{ amount.__class__.__mro__[1].__subclasses__() }}",
        "{{ merchant_name.format.__globals__ }}",
        "{% for c in ().__class__.__base__.__subclasses__() %}{{ c }}{% endfor %}",
    ],
)
def test_a_template_reaching_for_python_internals_is_refused_by_the_sandbox(client, auth, source):
    resp = patch(client, auth, {"templates": {"payment.succeeded": {"en": {"html": f"<p>\n{source}</p>"}}}})
    assert resp.status_code == 422, resp.text
    [error] = resp.json["errors"]
    assert error["field"] == f"{FIELD}.templates.payment.succeeded.en.html"
    assert error["reason"].startswith("line 2: SecurityError: access to attribute")


@pytest.mark.parametrize(
    "source,reason",
    [
        ('{{ "x" * 200000 }}', "SecurityError: * makes a value too large"),
        ("{{ 9 ** 99 }}", "SecurityError: an exponent is at most 64"),
        ('{{ "x"|center(1000000000) }}', "numbers are at most 1000000"),
        ("{% macro f() %}{{ f() }}{% endmacro %}{{ f() }}", "macros are not available"),
        ("{% for a in amount %}{% for b in amount %}.{% endfor %}{% endfor %}", "a loop inside a loop"),
        ("{% for i in range(100000) %}.{% endfor %}", "'range' is undefined"),
    ],
)
def test_a_template_that_would_make_the_ingress_work_without_bound_is_refused(client, auth, source, reason):
    resp = patch(client, auth, {"templates": {"payment.failed": {"en": {"text": source}}}})
    assert resp.status_code == 422, resp.text
    [error] = resp.json["errors"]
    assert error["reason"].startswith("line 1: ") and reason in error["reason"]


def test_the_readme_example_is_accepted(client, auth):
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text().replace("\\\n", " ")
    [command] = [
        c for c in re.findall(r"^curl .*$", readme, re.M) if "X PATCH" in c and '"notifications"' in c
    ]
    body = json.loads(re.search(r"-d '(\{.*\})'", command).group(1))
    resp = client.simulate_patch("/merchant", json=body, headers=auth)
    assert resp.status_code == 200, resp.text
    assert resp.json["settings"]["notifications"] == body["settings"]["notifications"]
