"""The store's exceptions about what a caller asked for; ``ingress.errors`` answers each one."""


class NotFound(Exception):
    """No such object for this merchant (answered 404, or 422 for a list's ``starting_after``)."""


class StateConflict(Exception):
    """The object's state forbids the operation (answered 409)."""

    def __init__(self, message: str, code: str = "invalid_state") -> None:
        super().__init__(message)
        self.code = code


class FieldInvalid(Exception):
    """A field is well formed but the stored state refuses it (answered 422, naming ``field``).

    Parameters:
      position: Where in the field's text, ``{"line", "column"}`` (1-based): a rule's predicate.
    """

    def __init__(self, field: str, message: str, position: dict[str, int] | None = None) -> None:
        super().__init__(message)
        self.field = field
        self.position = position


class AmountInvalid(FieldInvalid):
    """An amount is beyond what the payment allows."""
