"""The account's objects (PaymentMethods, PaymentIntents, charges, refunds, disputes), by id."""

import threading

from sandbox.stripe.wire import invalid, reject_unknown


class ObjectStore:
    """Objects are immutable snapshots (a change stores a new dict), so an answer can be
    serialized outside ``lock`` while other requests go on.  Every rule that reads and then
    writes holds ``lock`` for the whole of it.
    """

    def __init__(self):
        self.lock = threading.Lock()
        self._objects = {}
        self._outcomes = {}  # payment method id -> cards.Outcome: the card number is never kept

    def retrieve(self, kind, object_id, params, key):
        """``GET /v1/<kind>s/<id>``: takes no parameters."""
        reject_unknown(params, ())
        with self.lock:
            return self.get(kind, object_id)

    def expand(self, obj, fields):
        """``obj`` with the ids in ``fields`` replaced by the objects they name (``expand[]``)."""
        with self.lock:
            return {**obj, **{f: self._objects.get(obj[f], obj[f]) for f in fields if obj.get(f)}}

    # The methods below run with ``lock`` held.

    def get(self, kind, object_id, param="id", status=404):
        """The ``kind`` object ``object_id``.

        Raises:
          ApiError: ``resource_missing`` (``status``, naming ``param``) when there is no such ``kind``.
        """
        obj = self._objects.get(object_id)
        if obj is None or obj["object"] != kind:
            raise invalid(f"No such {kind}: '{object_id}'", param, "resource_missing", status)
        return obj

    def put(self, obj, outcome=None):
        """Store ``obj`` (and, for a PaymentMethod, its card's ``outcome``); returns ``obj``."""
        self._objects[obj["id"]] = obj
        if outcome is not None:
            self._outcomes[obj["id"]] = outcome
        return obj

    def find(self, object_id):
        """The object ``object_id`` of any kind, or None."""
        return self._objects.get(object_id)

    def outcome(self, payment_method_id):
        """The issuer's answer (``cards.Outcome``) for the PaymentMethod's card."""
        return self._outcomes[payment_method_id]
