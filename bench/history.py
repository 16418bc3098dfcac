"""``python -m bench.history``: seed a merchant's payment history in a scratch Postgres database and
print ``EXPLAIN ANALYZE`` of the common searches (which index each uses, how long it takes).

The scratch database is created, migrated, seeded (``tests.support.history.seed``, as the export's
memory test does), measured and dropped: nothing else is touched.  Run it from the repository root.
"""

import argparse

import psycopg2

from bench.scratch import scratch_database
from tests.support.history import seed

#: What a merchant's dashboard asks most, as ``GET /payments`` builds it (``store.payments.matching``).
QUERIES = {
    "default list": "",
    "status=failed": "AND status IN ('failed')",
    "status=failed&status=canceled": "AND status IN ('failed', 'canceled')",
    "customer": "AND customer = 'cus_42'",
    # store.payments.matching reads the email's customer ids first (EMAIL_LOOKUP), then names them
    "email": "AND customer IN ('cus_42')",
    "card_last4": "AND card_last4 = '4242'",
    "currency=EUR": "AND currency = 'EUR'",
    "gateway=paypal": "AND gateway = 'paypal'",
    "amount[gte]=99000": "AND amount >= 99000",
    "metadata[order]": "AND jsonb_extract_path_text(CAST(metadata AS jsonb), 'order') = 'ord_150000'",
}
#: The seed's 5,000 customers (``cus_0`` to ``cus_4999``), each with an email, for the ``email`` search.
CUSTOMERS = (
    "INSERT INTO customer (id, merchant_id, email, name, created_at, updated_at)"
    " SELECT 'cus_' || i, 'm_bench', 'c' || i || '@example.com', 'C', now(), now()"
    " FROM generate_series(0, 4999) AS i; ANALYZE customer"
)
EMAIL_LOOKUP = (
    "EXPLAIN (ANALYZE, BUFFERS) SELECT id FROM customer WHERE deleted_at IS NULL"
    " AND lower(email) = lower('C42@example.com') AND merchant_id = %s"
)
_SELECT = (
    "EXPLAIN (ANALYZE, BUFFERS) SELECT * FROM payment WHERE merchant_id = %s AND livemode = TRUE {} "
    "ORDER BY created_at DESC, id DESC LIMIT 11"
)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/postgres")
    parser.add_argument("--rows", type=int, default=200_000)
    args = parser.parse_args()
    with (
        scratch_database(args.postgres, "paywave_history") as url,
        psycopg2.connect(url) as conn,
        conn.cursor() as cursor,
    ):
        seed(cursor, "m_bench", args.rows)
        seed(cursor, "m_other", args.rows // 10)  # another merchant's rows share the indexes
        cursor.execute(CUSTOMERS)
        conn.commit()
        cursor.execute(EMAIL_LOOKUP, ("m_bench",))
        print("--- email: its customers\n" + "\n".join(line for (line,) in cursor.fetchall()))
        for label, condition in QUERIES.items():
            cursor.execute(_SELECT.format(condition), ("m_bench",))
            plan = [line for (line,) in cursor.fetchall()]
            print(f"--- {label}\n" + "\n".join(plan))


if __name__ == "__main__":
    main()
