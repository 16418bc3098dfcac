"""``/radar/rules`` and ``/radar/value_lists``: a merchant's fraud rules and the lists they test
(``store.radar``), in the credential's mode.  Reading needs ``radar:read``, writing ``radar:write``.

A predicate that does not parse or check is a 422 naming ``predicate``, its ``position`` (line, column) an
extension member of the problem.  Payments are decided on by the workers (``workers.radar``); here a
candidate rule is backtested on the payments' signals as they were (``POST /radar/rules/test``).
"""

import datetime
import functools

import falcon

from ingress import validation
from ingress.resources.common import (
    ID_FORMS,
    answer_json,
    answer_list,
    known_id,
    parse_timestamp,
    unit_of_work,
)
from shared.radar import language
from shared.radar.attributes import LIST_TYPES, normalize
from shared.radar.decide import ACTIONS
from store import radar

DESCRIPTION_MAX, NAME_MAX, VALUE_MAX = 500, 255, 254
#: A value list's alias, as a predicate names it (``@alias``).
ALIAS = r"[A-Za-z0-9_]{1,64}"


def _mode(req) -> tuple[str, bool]:
    """``(merchant_id, livemode)`` of the request's credential."""
    return req.context.merchant_id, req.context.principal.livemode


def _boolean(errors, body, field):
    value = body.get(field)
    if field in body and not isinstance(value, bool):
        errors.add(field, "must be true or false")


def rule_fields(body: dict, partial: bool = False) -> dict:
    """A rule's fields as ``POST /radar/rules`` (``partial``: ``PATCH /radar/rules/{id}``) takes them.

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, (*radar.RULE_FIELDS, "threshold") if partial else radar.RULE_FIELDS)
    if partial and not body:
        errors.add("body", "change at least one field")
    for field in () if partial else ("action", "predicate"):
        if body.get(field) is None:
            errors.add(field, "is required")
    if "action" in body and body["action"] not in ACTIONS:
        errors.add("action", f"must be one of {', '.join(ACTIONS)}")
    if "predicate" in body:
        predicate = validation.string(errors, "predicate", body["predicate"], language.MAX_LENGTH)
        if predicate is not None and not predicate.strip():
            errors.add("predicate", "must not be blank")
    if body.get("description") is not None:
        validation.string(errors, "description", body["description"], DESCRIPTION_MAX)
    _boolean(errors, body, "enabled")
    threshold = body.get("threshold")
    if "threshold" in body and not (
        isinstance(threshold, int)
        and not isinstance(threshold, bool)
        and 0 <= threshold <= validation.MAX_AMOUNT
    ):
        errors.add("threshold", f"must be an integer from 0 to {validation.MAX_AMOUNT}")
    errors.raise_if_any()
    return dict(body)


def list_fields(body: dict) -> dict:
    """``POST /radar/value_lists``'s body checked: ``alias``, ``item_type``, ``name`` (default: the alias).

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("alias", "item_type", "name"))
    if body.get("alias") is None:
        errors.add("alias", "is required")
    alias = validation.formatted(
        errors, "alias", body.get("alias"), 64, ALIAS, "must be 1 to 64 letters, digits or underscores"
    )
    if body.get("item_type") not in LIST_TYPES:
        errors.add("item_type", f"must be one of {', '.join(LIST_TYPES)}")
    name = validation.string(errors, "name", body.get("name"), NAME_MAX)
    if name is not None and not name.strip():
        errors.add("name", "must not be blank")
    errors.raise_if_any()
    return {"alias": alias, "item_type": body["item_type"], "name": name or alias}


def item_value(body: dict, item_type: str) -> str:
    """``POST /radar/value_lists/{id}/items``'s ``value``, normalized for the list's ``item_type``.

    Raises:
      ValidationFailed.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("value",))
    value = validation.string(errors, "value", body.get("value"), VALUE_MAX)
    if value is None:
        errors.add("value", f"is required: a {item_type}")
    else:
        try:
            value = normalize(item_type, value)
        except ValueError as exc:
            errors.add("value", str(exc))
    errors.raise_if_any()
    return value


class Rules:
    """``POST /radar/rules`` (201) and ``GET /radar/rules`` (the built-in rules first, then the merchant's,
    newest first)."""

    actions = {"GET": "radar.read", "POST": "radar.write"}

    def on_post(self, req, resp):
        fields = rule_fields(req.context.body)
        with unit_of_work(req):
            rule_id, body = radar.create_rule(*_mode(req), fields)
        resp.location = f"/radar/rules/{rule_id}"
        answer_json(resp, body, 201)

    def on_get(self, req, resp):
        answer_list(req, resp, functools.partial(radar.list_rules, *_mode(req)), ID_FORMS["rule_id"])


def test_fields(body: dict) -> tuple[str, str, datetime.datetime | None]:
    """``POST /radar/rules/test``'s body: ``(predicate, action, since)``.

    Raises:
      ValidationFailed: listing every bad field.
    """
    errors = validation.Errors()
    validation.unknown(errors, body, ("predicate", "action", "since"))
    if body.get("action") not in ACTIONS:
        errors.add("action", f"is required, one of {', '.join(ACTIONS)}")
    predicate = validation.string(errors, "predicate", body.get("predicate"), language.MAX_LENGTH)
    if predicate is None or not predicate.strip():
        errors.add("predicate", "is required")
    since = validation.string(errors, "since", body.get("since"), 64)
    found = None
    if since is not None:
        try:
            found = parse_timestamp(since)
        except ValueError:
            errors.add("since", "must be an ISO 8601 timestamp")
    errors.raise_if_any()
    return predicate, body["action"], found


class RuleTest:
    """``POST /radar/rules/test``: how a candidate rule would have done on the merchant's payments (nothing
    is written)."""

    actions = {"POST": "radar.read"}
    replayable = False  # a read: nothing written, no answer to keep for an Idempotency-Key

    def on_post(self, req, resp):
        predicate, action, since = test_fields(req.context.body)
        result = radar.backtest(*_mode(req), predicate, since)
        resp.media = {"object": "radar_rule_test", "predicate": predicate, "action": action, **result}


@falcon.before(known_id)
class Rule:
    """``GET``, ``PATCH`` and ``DELETE /radar/rules/{id}`` (a built-in rule: ``enabled`` and ``threshold``
    only, and no ``DELETE``)."""

    actions = {"GET": "radar.read", "PATCH": "radar.write", "DELETE": "radar.write"}

    def on_get(self, req, resp, rule_id):
        resp.media = radar.get_rule(*_mode(req), rule_id)

    def on_patch(self, req, resp, rule_id):
        changes = rule_fields(req.context.body, partial=True)
        with unit_of_work(req):
            answer_json(resp, radar.update_rule(*_mode(req), rule_id, changes))

    def on_delete(self, req, resp, rule_id):
        radar.delete_rule(*_mode(req), rule_id)
        resp.status = falcon.HTTP_204


class ValueLists:
    """``POST /radar/value_lists`` (201) and ``GET /radar/value_lists`` (newest first)."""

    actions = {"GET": "radar.read", "POST": "radar.write"}

    def on_post(self, req, resp):
        fields = list_fields(req.context.body)
        with unit_of_work(req):
            list_id, body = radar.create_list(*_mode(req), fields)
        resp.location = f"/radar/value_lists/{list_id}"
        answer_json(resp, body, 201)

    def on_get(self, req, resp):
        answer_list(
            req, resp, lambda **page: radar.list_lists(*_mode(req), **page), ID_FORMS["value_list_id"]
        )


@falcon.before(known_id)
class ValueList:
    """``GET`` and ``DELETE /radar/value_lists/{id}`` (refused with 409 while a rule names it)."""

    actions = {"GET": "radar.read", "DELETE": "radar.write"}

    def on_get(self, req, resp, value_list_id):
        resp.media = radar.list_object(*_mode(req), value_list_id)

    def on_delete(self, req, resp, value_list_id):
        radar.delete_list(*_mode(req), value_list_id)
        resp.status = falcon.HTTP_204


@falcon.before(known_id)
class Items:
    """``POST /radar/value_lists/{id}/items`` (201; the value normalized, 409 if present) and ``GET`` (newest
    first)."""

    actions = {"GET": "radar.read", "POST": "radar.write"}

    def on_post(self, req, resp, value_list_id):
        value = item_value(req.context.body, radar.item_type_of(*_mode(req), value_list_id))
        with unit_of_work(req):
            item_id, body = radar.add_item(*_mode(req), value_list_id, value)
        resp.location = f"/radar/value_lists/{value_list_id}/items/{item_id}"
        answer_json(resp, body, 201)

    def on_get(self, req, resp, value_list_id):
        radar.get_list(*_mode(req), value_list_id)  # an unknown list is 404, not a bad starting_after
        answer_list(
            req,
            resp,
            functools.partial(radar.list_items, *_mode(req), value_list_id),
            ID_FORMS["item_id"],
        )


@falcon.before(known_id)
class Item:
    """``DELETE /radar/value_lists/{id}/items/{item_id}``."""

    actions = {"DELETE": "radar.write"}

    def on_delete(self, req, resp, value_list_id, item_id):
        radar.delete_item(*_mode(req), value_list_id, item_id)
        resp.status = falcon.HTTP_204


def routes(app):
    app.add_route("/radar/rules", Rules())
    app.add_route("/radar/rules/test", RuleTest())  # before the rule ids
    app.add_route("/radar/rules/{rule_id}", Rule())
    app.add_route("/radar/value_lists", ValueLists())
    app.add_route("/radar/value_lists/{value_list_id}", ValueList())
    app.add_route("/radar/value_lists/{value_list_id}/items", Items())
    app.add_route("/radar/value_lists/{value_list_id}/items/{item_id}", Item())
