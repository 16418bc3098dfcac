"""3-D Secure: the payment keeps where the customer returns (``return_url``), what they must do while
``requires_action`` (``next_action``, JSON) and until when (``action_expires_at``).  Existing payments
never asked for a customer action: the columns stay NULL for them."""

STATEMENTS = [
    "ALTER TABLE payment ADD COLUMN return_url TEXT",
    "ALTER TABLE payment ADD COLUMN next_action TEXT",
    "ALTER TABLE payment ADD COLUMN action_expires_at TIMESTAMP",
]
