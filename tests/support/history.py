"""A merchant's payment history of any size, written by Postgres itself (100k rows in a second or two):
for the export's memory test and ``python -m bench.history``."""

import secrets

STATUSES = ("succeeded", "succeeded", "succeeded", "failed", "requires_capture", "refunded", "canceled")
#: Ids end with a letter and 15 digits: a hex tag ending in 4 before 16 digits made ids holding sandbox
#: cards (``4`` + ``000000000000002`` + …), which the run's leak scan rightly reported.
#: One merchant's payments, newest first one second apart: a mix of statuses, two gateways, one
#: currency in ten not USD, two in three with a customer (5,000 of them), metadata with an order id.
SEED = """
INSERT INTO payment (id, merchant_id, status, amount, amount_captured, amount_refunded, currency, capture,
    route, gateway, metadata, customer, disputed, card_brand, card_last4, card_exp_month, card_exp_year,
    card_fingerprint, card_key_id, card_ciphertext, version, created_at, updated_at)
SELECT 'pay_' || %(tag)s || 'x' || lpad(i::text, 15, '0'), %(merchant)s,
    (%(statuses)s::text[])[1 + i %% 7], 100 + (i * 37) %% 100000, 0, 0,
    CASE WHEN i %% 10 = 0 THEN 'EUR' ELSE 'USD' END, 'automatic', 'stripe,paypal',
    CASE WHEN i %% 3 = 0 THEN 'paypal' ELSE 'stripe' END,
    '{"order": "ord_' || i || '"}', CASE WHEN i %% 3 = 0 THEN NULL ELSE 'cus_' || i %% 5000 END, FALSE,
    CASE WHEN i %% 4 = 0 THEN 'mastercard' ELSE 'visa' END, lpad(((i * 7919) %% 10000)::text, 4, '0'),
    12, 2030, 'fp', 'k1', 'sealed', 1,
    TIMESTAMP '2026-01-01' - i * INTERVAL '1 second', TIMESTAMP '2026-01-01' - i * INTERVAL '1 second'
FROM generate_series(1::bigint, %(count)s) AS i
"""


def seed(cursor, merchant_id: str, count: int) -> None:
    """Insert ``count`` payments of ``merchant_id`` (ids unique per call) with ``cursor``.

    Parameters:
      cursor: A psycopg2 cursor on a migrated PayWave database.
    """
    params = {
        "tag": secrets.token_hex(4),
        "merchant": merchant_id,
        "count": count,
        "statuses": list(STATUSES),
    }
    cursor.execute(SEED, params)
    cursor.execute("ANALYZE payment")


#: A decision on each seeded payment (``risk``, as ``workers.radar`` writes it), its signals derived from the
#: row so a test knows the answers: ``card_count_1h`` 1 to 5, ``is_new_card`` for even amounts; one in 97
#: disputed.  The backtest reads them.
SEED_RISK = """
UPDATE payment SET disputed = (amount %% 97 = 0), risk = json_build_object(
    'score', amount %% 101, 'level', 'normal', 'rule', NULL, 'request_3ds', FALSE, 'three_d_secure', NULL,
    'reasons', json_build_array(), 'missing', json_build_array(), 'degraded', FALSE,
    'signals', json_build_object('amount', amount, 'currency', currency, 'card_brand', card_brand,
        'customer', customer, 'card_count_1h', 1 + amount %% 5, 'is_new_card', amount %% 2 = 0,
        'amount_in_usd', CASE WHEN currency = 'USD' THEN amount END))::text
WHERE merchant_id = %(merchant)s
"""


def seed_risk(cursor, merchant_id: str) -> None:
    """Give every payment of ``merchant_id`` a ``risk`` (``SEED_RISK``)."""
    cursor.execute(SEED_RISK, {"merchant": merchant_id})


#: Each seeded payment's authorizations, derived from the row: one at its gateway (declined when the payment
#: failed, for one of four reasons; 50 to 749 ms), after one declined at the other gateway for one payment in
#: five (a fallback).  What the dashboard's home aggregates (``store.stats``).
SEED_ATTEMPTS = """
INSERT INTO attempt (id, payment_id, number, gateway, operation, idempotency_key, status, error_code,
    latency_ms, tries, created_at, updated_at)
SELECT 'att_' || n || substr(p.id, 5), p.id, n,
    CASE WHEN n = last THEN p.gateway WHEN p.gateway = 'stripe' THEN 'paypal' ELSE 'stripe' END,
    'authorize', 'paywave_' || p.id || '_' || n,
    CASE WHEN n < last OR p.status = 'failed' THEN 'declined' ELSE 'succeeded' END,
    CASE WHEN n < last THEN 'do_not_honor' WHEN p.status = 'failed'
        THEN (ARRAY['card_declined', 'insufficient_funds', 'expired_card', NULL])[1 + p.amount %% 4] END,
    50 + (p.amount * 7) %% 700, 1, p.created_at, p.created_at
FROM payment p, LATERAL (SELECT CASE WHEN p.amount %% 5 = 0 THEN 2 ELSE 1 END AS last) l,
    LATERAL generate_series(1, l.last) AS n
WHERE p.merchant_id = %(merchant)s
"""


def seed_attempts(cursor, merchant_id: str) -> None:
    """Give every payment of ``merchant_id`` its authorizations (``SEED_ATTEMPTS``)."""
    cursor.execute(SEED_ATTEMPTS, {"merchant": merchant_id})
    cursor.execute("ANALYZE attempt")
