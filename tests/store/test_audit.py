"""The audit trail is append-only in the database itself: Postgres refuses to change, delete or truncate
an audit event, whoever asks (m0013's triggers)."""

import peewee
import pytest

from store import audit
from store.models import AuditEvent


@pytest.mark.parametrize(
    "statement",
    [
        "UPDATE audit_event SET action = 'payment.forged' WHERE id = %s",
        "DELETE FROM audit_event WHERE id = %s",
        "TRUNCATE audit_event",
    ],
)
def test_postgres_refuses_to_alter_an_audit_event(db, merchant, statement):
    audit.record(merchant, "merchant.updated", merchant, after={"display_name": "Acme"})  # written at once
    event = AuditEvent.get(AuditEvent.merchant_id == merchant)
    with pytest.raises(peewee.DatabaseError, match="append-only"), db.atomic():
        db.execute_sql(statement, (event.id,) if "%s" in statement else ())
    assert AuditEvent.get_by_id(event.id).action == "merchant.updated"
