"""The audit trail (``store.audit``): one row per write, append-only.

The database refuses to change or remove a row, whoever asks (a trigger for UPDATE and DELETE, and one
for TRUNCATE on Postgres), so no code path of ours or a mistaken script can rewrite history; only a
superuser dropping the trigger could.
"""

STATEMENTS = [
    """CREATE TABLE audit_event (
        id {id},
        created_at TIMESTAMP NOT NULL,
        merchant_id TEXT,
        actor_type TEXT NOT NULL,
        actor_id TEXT,
        action TEXT NOT NULL,
        object_id TEXT,
        request_id TEXT,
        ip TEXT,
        user_agent TEXT,
        summary TEXT NOT NULL DEFAULT '{{}}'
    )""",
    "CREATE INDEX audit_event_merchant_created ON audit_event (merchant_id, created_at, id)",
    "CREATE INDEX audit_event_merchant_object ON audit_event (merchant_id, object_id, created_at, id)",
]

BY_DIALECT = {
    "postgres": [
        """CREATE FUNCTION audit_event_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            RAISE EXCEPTION 'audit_event is append-only' USING ERRCODE = 'insufficient_privilege';
        END $$""",
        "CREATE TRIGGER audit_event_append_only BEFORE UPDATE OR DELETE ON audit_event"
        " FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()",
        "CREATE TRIGGER audit_event_no_truncate BEFORE TRUNCATE ON audit_event"
        " FOR EACH STATEMENT EXECUTE FUNCTION audit_event_append_only()",
    ],
    "sqlite": [
        "CREATE TRIGGER audit_event_no_update BEFORE UPDATE ON audit_event"
        " BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
        "CREATE TRIGGER audit_event_no_delete BEFORE DELETE ON audit_event"
        " BEGIN SELECT RAISE(ABORT, 'audit_event is append-only'); END",
    ],
}
