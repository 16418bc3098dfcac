"""The attributes a rule may name (``:card_country:``), each with its type: the catalogue the rule language
type-checks against and the signals a payment's evaluation fills in.

Amounts are integers in minor units like every amount of PayWave: ``:amount:`` in the payment's currency,
``:amount_in_usd:`` and every ``*_amount_*`` velocity attribute in US cents (``:amount_in_usd: > 50000`` is
over $500.00).  Countries are ISO 3166 alpha-2 and strings compare in any case.  Velocity counts include the
payment being evaluated; decline counts are of earlier payments (a decline is recorded once it happens).
"""

import dataclasses
import ipaddress
import re
from collections.abc import Callable

NUMBER, STRING, BOOLEAN = "number", "string", "boolean"
WINDOWS = ("10m", "1h", "24h")
#: Velocity dimensions: each has ``<dim>_count_<window>`` and ``<dim>_amount_<window>``.
DIMENSIONS = ("card", "email", "ip", "customer", "merchant")
#: Dimensions whose declines are counted (``<dim>_decline_count_<window>``).
DECLINE_DIMENSIONS = ("card", "ip")
#: Dimensions with a first-seen time per merchant (``is_new_<dim>``, ``<dim>_first_seen_age_days``).
FIRST_SEEN = ("card", "email", "ip")


@dataclasses.dataclass(frozen=True)
class Attribute:
    """Parameters:
    type: ``number``, ``string`` or ``boolean``.
    description: One line for the README and errors.
    counter: Read from the Redis velocity counters: missing when Redis is down (``requires_counters``).
    list_type: The value lists (``item_type``) ``in @alias`` may test it against; None: none may.
    """

    type: str
    description: str
    counter: bool = False
    list_type: str | None = None


def _velocity() -> dict[str, Attribute]:
    found = {}
    for dim in DIMENSIONS:
        whose = "merchant-wide" if dim == "merchant" else f"for this {dim}"
        for window in WINDOWS:
            found[f"{dim}_count_{window}"] = Attribute(
                NUMBER, f"payments {whose} in the last {window}, this one included", counter=True
            )
            found[f"{dim}_amount_{window}"] = Attribute(
                NUMBER, f"their amount in US cents {whose} in the last {window}", counter=True
            )
    for dim in DECLINE_DIMENSIONS:
        for window in WINDOWS:
            found[f"{dim}_decline_count_{window}"] = Attribute(
                NUMBER, f"declined payments for this {dim} in the last {window}", counter=True
            )
    for dim in ("email", "ip"):
        found[f"distinct_cards_per_{dim}_24h"] = Attribute(
            NUMBER, f"distinct cards paying with this {dim} in the last 24h, this one included", counter=True
        )
    for dim in FIRST_SEEN:
        found[f"is_new_{dim}"] = Attribute(BOOLEAN, f"the merchant never saw this {dim} before", counter=True)
        found[f"{dim}_first_seen_age_days"] = Attribute(
            NUMBER, f"whole days since the merchant first saw this {dim}", counter=True
        )
        found[f"{dim}_seen_as_fraud"] = Attribute(
            BOOLEAN, f"this {dim} was on a payment disputed or refunded as fraudulent", counter=True
        )
    return found


#: Every attribute, by name.
CATALOGUE: dict[str, Attribute] = {
    "amount": Attribute(NUMBER, "the payment's amount in minor units of its currency"),
    "amount_in_usd": Attribute(NUMBER, "the payment's amount in US cents"),
    "currency": Attribute(STRING, "ISO 4217 code of the payment's currency"),
    "card_bin": Attribute(STRING, "the card number's first 6 digits", list_type="card_bin"),
    "card_brand": Attribute(STRING, "visa, mastercard, amex, discover, ..."),
    "card_funding": Attribute(
        STRING, "credit, debit, prepaid or unknown, as a gateway told on an earlier payment"
    ),
    "card_country": Attribute(
        STRING,
        "the issuing country (ISO 3166 alpha-2), as a gateway told on an earlier payment",
        list_type="country",
    ),
    "card_fingerprint": Attribute(STRING, "the card's fingerprint", list_type="card_fingerprint"),
    "email": Attribute(STRING, "the customer's email address", list_type="email"),
    "email_domain": Attribute(STRING, "the part of the email after the @"),
    "ip_address": Attribute(STRING, "the customer's IP address", list_type="ip_address"),
    "ip_country": Attribute(STRING, "the IP address's country (ISO 3166 alpha-2)", list_type="country"),
    "customer": Attribute(STRING, "the customer's id (cus_…)", list_type="customer"),
    "risk_score": Attribute(NUMBER, "the payment's risk score, 0 to 100 (shared.radar.decide)"),
    **_velocity(),
}
#: Signals that are personal data: erased from a payment's ``risk.signals`` with its customer.
PERSONAL = ("email", "ip_address")
#: What a value list holds (``POST /radar/value_lists``'s ``item_type``).
LIST_TYPES = ("email", "ip_address", "card_fingerprint", "card_bin", "country", "customer")

#: Item type -> ``(pattern, normalize, reason)``: a value of the type matches ``pattern`` once normalized.
_ITEMS: dict[str, tuple[re.Pattern[str], Callable[[str], str], str]] = {
    "email": (re.compile(r"[^@\s]{1,64}@[^@\s]{1,188}\.[^@\s]{1,63}"), str.lower, "must be an email address"),
    "card_fingerprint": (  # store.vault.Vault.fingerprint: 32 hex digits
        re.compile(r"[0-9a-f]{32}"),
        str.lower,
        "must be a card fingerprint (32 hexadecimal digits)",
    ),
    "card_bin": (re.compile(r"[0-9]{6,8}"), str, "must be 6 to 8 digits"),
    "country": (re.compile(r"[A-Z]{2}"), str.upper, "must be an ISO 3166 alpha-2 country code"),
    "customer": (re.compile(r"cus_[A-Za-z0-9]{24}"), str, "must be a customer id (cus_…)"),
}


def normalize(item_type: str, value: str) -> str:
    """``value`` as a value list of ``item_type`` stores and compares it: emails and fingerprints lowercase,
    countries uppercase, IP addresses in their compressed form.

    Raises:
      ValueError: not a value of that type (the reason is the message).
    """
    if item_type == "ip_address":
        try:
            return ipaddress.ip_address(value).compressed
        except ValueError:
            raise ValueError("must be an IPv4 or IPv6 address") from None
    pattern, normalized, reason = _ITEMS[item_type]
    if not pattern.fullmatch(normalized(value)):
        raise ValueError(reason)
    return normalized(value)
