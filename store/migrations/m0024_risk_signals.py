"""Fraud signals and decisions (issue 15): a payment keeps what the merchant told of its customer
(``customer_details``, ``billing_address``, ``shipping``: JSON, personal data erased with the customer), its
card's BIN (``card_bin``: at most 8 digits, never more of the number; a token keeps it for its payment) and
the decision taken before any gateway call (``risk``: JSON, with the signals as they were, which the
backtest reads).  Existing payments have none: the columns stay NULL."""

STATEMENTS = [
    "ALTER TABLE payment ADD COLUMN customer_details TEXT",
    "ALTER TABLE payment ADD COLUMN billing_address TEXT",
    "ALTER TABLE payment ADD COLUMN shipping TEXT",
    "ALTER TABLE payment ADD COLUMN card_bin TEXT",
    "ALTER TABLE payment ADD COLUMN risk TEXT",
    "ALTER TABLE card_token ADD COLUMN card_bin TEXT",
]
