"""The audit trail takes over from ``audit_log`` (m0008), and its list gets indexes for its filters.

Every ``audit_log`` row (an operator's ``resolve``) becomes an ``audit_event``: action ``payment.settled``,
actor ``operator`` with the id it had (``api:<token sub>`` or ``cli:<OS user>``), the payment's merchant, and
the summary ``{"before": {"status"}, "after": {"status", "reference", "reason"}}`` that
``store.payments.settle`` writes now.  Then ``audit_log`` is dropped.

``GET /audit_events`` reads ``(merchant_id, created_at, id)`` (m0013) backwards; an ``action`` or ``actor``
filter reads its own index below, ``object`` reads ``audit_event_merchant_object`` (m0013).
"""

STATEMENTS = [
    "CREATE INDEX IF NOT EXISTS audit_event_merchant_action"
    " ON audit_event (merchant_id, action, created_at, id)",
    "CREATE INDEX IF NOT EXISTS audit_event_merchant_actor"
    " ON audit_event (merchant_id, actor_id, created_at, id)",
]

_COPY = """INSERT INTO audit_event (created_at, merchant_id, actor_type, actor_id, action, object_id, summary)
    SELECT a.created_at, p.merchant_id, 'operator', a.actor, 'payment.settled', a.payment_id, {summary}
    FROM audit_log a LEFT JOIN payment p ON p.id = a.payment_id
    ORDER BY a.id"""
_SUMMARY = (
    "{build}('before', {build}('status', a.status_before),"
    " 'after', {build}('status', a.status_after, 'reference', a.reference, 'reason', a.reason))"
)

BY_DIALECT = {
    "postgres": [
        _COPY.format(summary=_SUMMARY.format(build="jsonb_build_object") + "::text"),
        "DROP TABLE audit_log",
    ],
    "sqlite": [_COPY.format(summary=_SUMMARY.format(build="json_object")), "DROP TABLE audit_log"],
}
