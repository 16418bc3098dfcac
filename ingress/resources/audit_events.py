"""``/audit_events``: the merchant's audit trail, newest first, read only (``store.audit``).

Nothing here or anywhere changes an event: the routes answer ``GET`` alone (other methods: 405), and the
database refuses UPDATE, DELETE and TRUNCATE on the table (m0013).
"""

import functools
import re

import falcon

from ingress import validation
from ingress.resources.common import AUDIT_EVENT_ID, answer_list, bounds, known_id, one_of, single
from store import audit
from store.objects import audit_event_object

#: ``action``: one action (``payment.created``), or a prefix and ``.*`` (``payment.*``).
ACTION = re.compile(r"[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?")
ACTION_MAX = 64
#: ``actor`` and ``object``: ids of ours, a service token's ``sub``, an operator's name.
ID_MAX = 255


def audit_filters(req, errors) -> audit.Filters:
    """The ``GET /audit_events`` parameters, each checked (problems go to ``errors``, by parameter)."""
    action = validation.string(errors, "action", single(req, errors, "action"), ACTION_MAX, ACTION.pattern)
    created = bounds(req, errors, "created")
    return audit.Filters(
        actor_id=validation.string(errors, "actor", single(req, errors, "actor"), ID_MAX),
        actor_type=one_of(req, errors, "actor_type", audit.ACTOR_TYPES),
        action=action[:-1] if action and action.endswith("*") else action,  # "payment.*" -> "payment."
        object_id=validation.string(errors, "object", single(req, errors, "object"), ID_MAX),
        created_gte=created.get("gte"),
        created_lte=created.get("lte"),
    )


class Collection:
    """``GET /audit_events``: filtered by ``actor``, ``actor_type``, ``action``, ``object`` and
    ``created[gte|lte]``."""

    actions = {"GET": "audit_events.read"}

    def on_get(self, req, resp):
        errors = validation.Errors()
        filters = audit_filters(req, errors)
        answer_list(
            req,
            resp,
            functools.partial(audit.list_, req.context.merchant_id, filters=filters),
            AUDIT_EVENT_ID,
            errors,
        )


@falcon.before(known_id)
class Item:
    """``GET /audit_events/{id}``."""

    actions = {"GET": "audit_events.read"}

    def on_get(self, req, resp, audit_event_id):
        resp.media = audit_event_object(audit.get(req.context.merchant_id, audit_event_id))


def routes(app):
    app.add_route("/audit_events", Collection())
    app.add_route("/audit_events/{audit_event_id}", Item())
