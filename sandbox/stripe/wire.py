"""Stripe's wire format: bracket-notation forms, typed parameters, ids and the ``{"error": {...}}``
envelope."""

import re
import secrets

API_VERSION = "2026-10-28.endive"  # reported when a client pins none
MAX_AMOUNT = 99_999_999  # Stripe's ceiling: eight digits of minor units

_NAME = re.compile(r"([^\[\]]+)((?:\[[^\[\]]*\])*)")
_BRACKET = re.compile(r"\[([^\[\]]*)\]")


def new_id(prefix):
    return f"{prefix}_{secrets.token_hex(12)}"


class ApiError(Exception):
    """An answer in Stripe's error envelope.

    Parameters:
      status: HTTP status.
      error: The ``error`` object (``type``, ``message``, ``code``, ``param``...).
      saved: True when the endpoint had begun executing: Stripe then saves the answer
        for idempotent replay.  Failed validation is not saved, so it can be fixed and retried.
    """

    def __init__(self, status, error, saved=False):
        super().__init__(error["message"])
        self.status = status
        self.body = {"error": error}
        self.saved = saved


def invalid(message, param=None, code=None, status=400, saved=False):
    error = {"type": "invalid_request_error", "message": message}
    if param:
        error["param"] = param
    if code:
        error["code"] = code
    return ApiError(status, error, saved)


def parse_form(pairs):
    """Stripe's bracket notation into nested dicts.

    ``card[number]=4242`` gives ``{"card": {"number": "4242"}}``.  Arrays arrive as
    ``expand[]=a`` or, from the SDK, ``expand[0]=a``; both give ``{"expand": {"0": "a"}}``,
    which ``get_param(..., list)`` reads as a list.

    Raises:
      ApiError: a malformed name, or one name used both as a value and as an object.
    """
    params = {}
    for name, value in pairs:
        match = _NAME.fullmatch(name)
        if match is None:
            raise invalid(f"Invalid parameter name: {name}", name)
        names = [match[1], *_BRACKET.findall(match[2])]
        path, last = names[:-1], names[-1]
        node = params
        for key in path:
            node = node.setdefault(key, {})
            if not isinstance(node, dict):
                raise invalid(f"Invalid parameter: {name} mixes a value and an object", name)
        last = last or str(len(node))
        if isinstance(node.get(last), dict):
            raise invalid(f"Invalid parameter: {name} mixes a value and an object", name)
        node[last] = value
    return params


def _as_list(value):
    if isinstance(value, dict) and all(key.isdigit() for key in value):
        return [value[key] for key in sorted(value, key=int)]
    return None


_KINDS = {  # kind -> (name in messages, converter returning None when the value does not fit)
    str: ("string", lambda v: v if isinstance(v, str) else None),
    int: ("integer", lambda v: int(v) if isinstance(v, str) and re.fullmatch(r"-?\d{1,18}", v) else None),
    bool: ("boolean", lambda v: {"true": True, "false": False}.get(v) if isinstance(v, str) else None),
    dict: ("object", lambda v: v if isinstance(v, dict) else None),
    list: ("array", _as_list),
}


def get_param(params, name, kind=str, *, required=False, label=None):
    """``params[name]`` checked and converted as Stripe does; None when absent."""
    label = label or name
    value = params.get(name)
    if value is None:
        if required:
            raise invalid(f"Missing required param: {label}.", label, "parameter_missing")
        return None
    kind_name, convert = _KINDS[kind]
    converted = convert(value)
    if converted is None:
        # Echo scalars only: a string parameter may be a card number.
        shown = f": {value}" if kind in (int, bool) and isinstance(value, str) else ""
        raise invalid(f"Invalid {kind_name}{shown}", label, f"parameter_invalid_{kind_name}")
    return converted


def reject_unknown(params, allowed, prefix=None):
    for name in params:
        if name not in allowed:
            name = f"{prefix}[{name}]" if prefix else name
            raise invalid(f"Received unknown parameter: {name}", name, "parameter_unknown")


def amount_param(params, name, required=False):
    amount = get_param(params, name, int, required=required)
    if amount is not None and not 1 <= amount <= MAX_AMOUNT:
        code = "amount_too_small" if amount < 1 else "amount_too_large"
        raise invalid(f"Amount must be between 1 and {MAX_AMOUNT} (minor units).", name, code)
    return amount


def choice_param(params, name, choices):
    value = get_param(params, name)
    if value is not None and value not in choices:
        raise invalid(f"Invalid {name}: must be one of {', '.join(choices)}", name)
    return value


def merge_metadata(current, update):
    """Stripe's metadata update: keys merge in, an empty value removes its key."""
    if update is None:
        return current
    if not isinstance(update, dict) or not all(isinstance(v, str) for v in update.values()):
        raise invalid("Invalid metadata: values must be strings.", "metadata")
    merged = {k: v for k, v in {**current, **update}.items() if v != ""}
    if len(merged) > 50 or any(len(k) > 40 or len(v) > 500 for k, v in merged.items()):
        raise invalid(
            "Metadata holds up to 50 keys, of up to 40 characters, with values of up to 500 characters.",
            "metadata",
        )
    return merged


def unexpected_state(obj, action, allowed):
    return invalid(
        f"This PaymentIntent could not be {action} because it has a status of {obj['status']}. "
        f"Only a PaymentIntent with one of the following statuses may be {action}: "
        f"{', '.join(allowed)}.",
        code="payment_intent_unexpected_state",
        saved=True,
    )
