"""Merchants get their settings.  Columns are added (no table rebuild), each NOT NULL one with a default, so
an ingress of the previous version, still inserting ``(id, created_at)`` during the rollout, keeps working;
its rows get an empty display name, which the API shows as the id (``store.objects.merchant_object``).
Merchants known before take their id as display name and keep every other default: USD for reports, every
currency accepted, ``PAYWAVE_ROUTE``, no statement descriptor."""

STATEMENTS = [
    "ALTER TABLE merchant ADD COLUMN display_name TEXT NOT NULL DEFAULT ''",
    "UPDATE merchant SET display_name = id",
    "ALTER TABLE merchant ADD COLUMN default_currency TEXT NOT NULL DEFAULT 'USD'",
    "ALTER TABLE merchant ADD COLUMN accepted_currencies TEXT",
    "ALTER TABLE merchant ADD COLUMN route TEXT",
    "ALTER TABLE merchant ADD COLUMN statement_descriptor TEXT",
    "ALTER TABLE merchant ADD COLUMN settings TEXT NOT NULL DEFAULT '{{}}'",
]
