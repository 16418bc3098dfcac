"""``/dashboard/radar/value_lists``: the lists fraud rules name as ``@alias`` (``store.radar``): create one,
add and remove its values (normalized as ``POST /radar/value_lists/{id}/items`` normalizes them), delete it
while no rule names it."""

import re

import falcon

from dashboard import PREFIX
from dashboard.web import form, redirect, render
from shared.radar.attributes import LIST_TYPES, normalize
from store import radar
from store.errors import FieldInvalid, StateConflict
from store.unit import Unit

PAGE_SIZE = 100
ALIAS = re.compile(r"[A-Za-z0-9_]{1,64}")
NAME_MAX, VALUE_MAX = 255, 254
LIST_ID = re.compile(r"rsl_[A-Za-z0-9]{24}")
ITEM_ID = re.compile(r"rsli_[A-Za-z0-9]{24}")
HOME = f"{PREFIX}/radar/value_lists"


def _id(pattern: re.Pattern, value: str | None) -> str | None:
    """``value`` when it has the form of ``pattern``'s ids (or is empty: None).

    Raises:
      falcon.HTTPNotFound: it cannot be such an id.
    """
    if value and not pattern.fullmatch(value):
        raise falcon.HTTPNotFound()
    return value or None


def _sentence(exc: Exception) -> str:
    text = str(exc)
    return f"{text[:1].upper()}{text[1:]}."


def _lists_page(req, resp, status=200, error=None, values=None):
    viewer = req.context.viewer
    found, has_more = radar.list_lists(
        viewer.merchant_id,
        viewer.livemode,
        limit=PAGE_SIZE,
        starting_after=_id(LIST_ID, req.get_param("starting_after")),
    )
    blank = {"alias": "", "item_type": LIST_TYPES[0], "name": ""}
    render(
        req,
        resp,
        "value_lists.html",
        status,
        lists=found,
        has_more=has_more,
        types=LIST_TYPES,
        error=error,
        values=values or blank,
    )


class Lists:
    """``GET /dashboard/radar/value_lists`` and ``POST`` (a new list: ``alias``, ``item_type``, ``name``)."""

    actions = {"GET": "radar.read", "POST": "radar.write"}

    def on_get(self, req, resp):
        _lists_page(req, resp)

    def on_post(self, req, resp):
        viewer, got = req.context.viewer, form(req)
        values = {
            "alias": got.get("alias", "").strip().removeprefix("@"),
            "item_type": got.get("item_type", ""),
            "name": got.get("name", "").strip(),
        }
        if not ALIAS.fullmatch(values["alias"]):
            problem = "The alias is 1 to 64 letters, digits or underscores (rules name it @alias)."
        elif values["item_type"] not in LIST_TYPES:
            problem = f"Choose what the list holds: {', '.join(LIST_TYPES)}."
        elif len(values["name"]) > NAME_MAX:
            problem = f"The name is at most {NAME_MAX} characters."
        else:
            problem = None
        if problem:
            return _lists_page(req, resp, 422, problem, values)
        fields = {**values, "name": values["name"] or values["alias"]}
        try:
            with Unit():
                list_id, _ = radar.create_list(viewer.merchant_id, viewer.livemode, fields)
        except (FieldInvalid, StateConflict) as exc:
            return _lists_page(
                req, resp, 409 if isinstance(exc, StateConflict) else 422, _sentence(exc), values
            )
        redirect(req, resp, f"{HOME}/{list_id}", f"The list @{values['alias']} is created: add its values.")


def _list_page(req, resp, list_id: str, status=200, error=None, value=""):
    viewer = req.context.viewer
    value_list = radar.list_object(viewer.merchant_id, viewer.livemode, list_id)
    items, has_more = radar.list_items(
        viewer.merchant_id,
        viewer.livemode,
        list_id,
        limit=PAGE_SIZE,
        starting_after=_id(ITEM_ID, req.get_param("starting_after")),
    )
    render(
        req,
        resp,
        "value_list.html",
        status,
        value_list=value_list,
        items=items,
        has_more=has_more,
        error=error,
        value=value,
    )


class List:
    """``GET /dashboard/radar/value_lists/{id}``: its values, newest first, and the form that adds one."""

    actions = {"GET": "radar.read"}

    def on_get(self, req, resp, list_id):
        _list_page(req, resp, _id(LIST_ID, list_id))


class Items:
    """``POST /dashboard/radar/value_lists/{id}/items``: add a value, normalized for the list's type."""

    actions = {"POST": "radar.write"}

    def on_post(self, req, resp, list_id):
        viewer = req.context.viewer
        list_id = _id(LIST_ID, list_id)
        given = form(req).get("value", "").strip()
        item_type = radar.item_type_of(viewer.merchant_id, viewer.livemode, list_id)
        kind = item_type.replace("_", " ")
        if not given or len(given) > VALUE_MAX:
            return _list_page(
                req, resp, list_id, 422, f"Give a {kind} (at most {VALUE_MAX} characters).", given
            )
        try:
            value = normalize(item_type, given)
        except ValueError as exc:
            return _list_page(req, resp, list_id, 422, f"The value {exc}.", given)
        try:
            with Unit():
                radar.add_item(viewer.merchant_id, viewer.livemode, list_id, value)
        except StateConflict as exc:
            return _list_page(req, resp, list_id, 409, _sentence(exc), given)
        redirect(req, resp, f"{HOME}/{list_id}", f"Added {value}.")


class DeleteItem:
    """``POST /dashboard/radar/value_lists/{id}/items/{item_id}/delete``: rules stop matching the value."""

    actions = {"POST": "radar.write"}

    def on_post(self, req, resp, list_id, item_id):
        viewer = req.context.viewer
        list_id = _id(LIST_ID, list_id)
        radar.delete_item(viewer.merchant_id, viewer.livemode, list_id, _id(ITEM_ID, item_id))
        redirect(req, resp, f"{HOME}/{list_id}", "The value is removed.")


class DeleteList:
    """``POST /dashboard/radar/value_lists/{id}/delete``: the list and its values, unless a rule names it."""

    actions = {"POST": "radar.write"}

    def on_post(self, req, resp, list_id):
        viewer = req.context.viewer
        list_id = _id(LIST_ID, list_id)
        try:
            radar.delete_list(viewer.merchant_id, viewer.livemode, list_id)
        except StateConflict as exc:
            redirect(req, resp, f"{HOME}/{list_id}", _sentence(exc), "error")
        redirect(req, resp, HOME, "The list is deleted.")


def routes(app):
    app.add_route(HOME, Lists())
    app.add_route(f"{HOME}/{{list_id}}", List())
    app.add_route(f"{HOME}/{{list_id}}/items", Items())
    app.add_route(f"{HOME}/{{list_id}}/items/{{item_id}}/delete", DeleteItem())
    app.add_route(f"{HOME}/{{list_id}}/delete", DeleteList())
