"""``/dashboard/radar/rules``: the fraud rules (``store.radar``): built-in and the merchant's own.  A rule is
enabled only after its backtest was shown: a new rule's form answers the backtest first (``store.radar
.backtest``, as ``POST /radar/rules/test``), with a button that creates it; enabling a disabled rule of one's
own shows its backtest before the button that enables it."""

import re

import falcon

from dashboard import PREFIX
from dashboard.web import form, redirect, render
from shared.radar import language
from shared.radar.decide import ACTIONS, BUILTIN_IDS
from store import radar
from store.errors import FieldInvalid
from store.unit import Unit

PAGE_SIZE = 100
DESCRIPTION_MAX = 1000
RULE_ID = re.compile(r"rule_[A-Za-z0-9_]{1,40}")


def _rule_id(rule_id: str) -> str:
    if not RULE_ID.fullmatch(rule_id):
        raise falcon.HTTPNotFound()
    return rule_id


def _fields(req) -> tuple[dict, str | None]:
    """The rule form's ``(fields, problem)``: ``action``, ``predicate``, ``description``."""
    got = form(req)
    fields = {
        "action": got.get("action", ""),
        "predicate": got.get("predicate", "").strip(),
        "description": got.get("description", "").strip() or None,
    }
    if fields["action"] not in ACTIONS:
        return fields, f"Choose an action: {', '.join(ACTIONS)}."
    if not fields["predicate"] or len(fields["predicate"]) > language.MAX_LENGTH:
        return fields, f"Write the rule's condition (at most {language.MAX_LENGTH} characters)."
    if fields["description"] and len(fields["description"]) > DESCRIPTION_MAX:
        return fields, f"The description is at most {DESCRIPTION_MAX} characters."
    return fields, None


def _invalid(exc: FieldInvalid) -> str:
    where = f" (line {exc.position['line']}, column {exc.position['column']})" if exc.position else ""
    return f"The condition does not compile{where}: {exc}."


def _rules_page(req, resp, status=200, error=None, fields=None):
    viewer = req.context.viewer
    rules, _ = radar.list_rules(viewer.merchant_id, viewer.livemode, limit=PAGE_SIZE)
    blank = {"action": "review", "predicate": "", "description": None}
    render(req, resp, "radar.html", status, rules=rules, actions=ACTIONS, error=error, fields=fields or blank)


class Rules:
    """``GET /dashboard/radar/rules``, and ``POST`` (create, from the backtest page: enabled or not)."""

    actions = {"GET": "radar.read", "POST": "radar.write"}

    def on_get(self, req, resp):
        _rules_page(req, resp)

    def on_post(self, req, resp):
        viewer = req.context.viewer
        fields, problem = _fields(req)
        if problem:
            return _rules_page(req, resp, 422, problem, fields)
        fields["enabled"] = form(req).get("enabled") == "true"
        try:
            with Unit():
                radar.create_rule(viewer.merchant_id, viewer.livemode, fields)
        except FieldInvalid as exc:
            return _rules_page(req, resp, 422, _invalid(exc), fields)
        state = "enabled" if fields["enabled"] else "created, disabled"
        redirect(req, resp, f"{PREFIX}/radar/rules", f"The rule is {state}.")


class Backtest:
    """``POST /dashboard/radar/backtest``: how a new rule would have done on the payments decided so far."""

    actions = {"POST": "radar.read"}

    def on_post(self, req, resp):
        viewer = req.context.viewer
        fields, problem = _fields(req)
        if problem:
            return _rules_page(req, resp, 422, problem, fields)
        try:
            result = radar.backtest(viewer.merchant_id, viewer.livemode, fields["predicate"])
        except FieldInvalid as exc:
            return _rules_page(req, resp, 422, _invalid(exc), fields)
        render(req, resp, "radar_backtest.html", fields=fields, result=result, rule=None)


class Enable:
    """``GET /dashboard/radar/rules/{id}/enable``: the backtest, then the button that ``POST``s here."""

    actions = {"GET": "radar.read", "POST": "radar.write"}

    def on_get(self, req, resp, rule_id):
        viewer = req.context.viewer
        rule = radar.get_rule(viewer.merchant_id, viewer.livemode, _rule_id(rule_id))
        result = radar.backtest(viewer.merchant_id, viewer.livemode, rule["predicate"])
        render(req, resp, "radar_backtest.html", fields=rule, result=result, rule=rule)

    def on_post(self, req, resp, rule_id):
        _switch(req, resp, rule_id, True)


class Disable:
    """``POST /dashboard/radar/rules/{id}/disable``: at once."""

    actions = {"POST": "radar.write"}

    def on_post(self, req, resp, rule_id):
        _switch(req, resp, rule_id, False)


def _switch(req, resp, rule_id: str, enabled: bool) -> None:
    viewer = req.context.viewer
    with Unit():
        radar.update_rule(viewer.merchant_id, viewer.livemode, _rule_id(rule_id), {"enabled": enabled})
    kind = "built-in rule" if rule_id in BUILTIN_IDS else "rule"
    redirect(req, resp, f"{PREFIX}/radar/rules", f"The {kind} is {'enabled' if enabled else 'disabled'}.")


def routes(app):
    app.add_route(f"{PREFIX}/radar/rules", Rules())
    app.add_route(f"{PREFIX}/radar/backtest", Backtest())
    app.add_route(f"{PREFIX}/radar/rules/{{rule_id}}/enable", Enable())
    app.add_route(f"{PREFIX}/radar/rules/{{rule_id}}/disable", Disable())
