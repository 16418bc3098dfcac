"""Test cards: the same number gives the same issuer outcome at every sandbox.

The numbers are Stripe's documented test cards; each sandbox renders the
outcome in its own vendor's wire format (Stripe ``decline_code``, PayPal
``details[].issue``).  The issuing country and funding are Stripe's for the card
(its "international cards" and the debit and prepaid ones); a number Stripe does
not document is a US credit card.
"""

import dataclasses


@dataclasses.dataclass(frozen=True)
class Outcome:
    approved: bool
    decline_code: str | None = None  # Stripe-style issuer code; None when approved
    brand: str = "visa"
    authentication: bool = False  # the issuer asks for 3-D Secure first; then it answers as above
    country: str = "US"  # the issuer's, ISO 3166 alpha-2
    funding: str = "credit"  # credit, debit, prepaid or unknown


APPROVED = Outcome(True)

CARDS = {
    "4242424242424242": APPROVED,
    "4000056655665556": Outcome(True, brand="visa", funding="debit"),
    "5555555555554444": Outcome(True, brand="mastercard"),
    "5200828282828210": Outcome(True, brand="mastercard", funding="debit"),
    "5105105105105100": Outcome(True, brand="mastercard", funding="prepaid"),
    "4000000760000002": Outcome(True, country="BR"),
    "4000001240000000": Outcome(True, country="CA"),
    "4000004840008001": Outcome(True, country="MX"),
    "4000008260000000": Outcome(True, country="GB"),
    "4000002760000016": Outcome(True, country="DE"),
    "4000002500000003": Outcome(True, country="FR"),
    "378282246310005": Outcome(True, brand="amex"),
    "4000000000000002": Outcome(False, "generic_decline"),
    "4000000000009995": Outcome(False, "insufficient_funds"),
    "4000000000009987": Outcome(False, "lost_card"),
    "4000000000009979": Outcome(False, "stolen_card"),
    "4000000000000069": Outcome(False, "expired_card"),
    "4000000000000127": Outcome(False, "incorrect_cvc"),
    "4000000000000119": Outcome(False, "processing_error"),
    "4100000000000019": Outcome(False, "fraudulent"),
    "4000000000000259": Outcome(False, "do_not_honor"),
    "4000002500003155": Outcome(True, authentication=True, country="FR"),
    "4000000000003220": Outcome(True, authentication=True),  # 3DS2
    "4000008400001629": Outcome(False, "generic_decline", authentication=True),
    "4000000000003063": Outcome(True, authentication=True),
}


def outcome(number: str) -> Outcome:
    """The issuer's answer for ``number``; unknown numbers that pass Luhn approve."""
    return CARDS.get(number, APPROVED)
