"""Time to final status: payments posted at a steady rate, each timed from its creation to its final status
(``created_at`` to the ``updated_at`` of the change that made it ``succeeded``, both stamped by PayWave on one
clock), and where that time went: to the outbox job's publication, to the worker's claim (the first attempt
row), to the end.
"""

import concurrent.futures
import threading
import time

import psycopg2

from bench.rate import percentile

#: Per payment, seconds: created -> job published -> attempt started (the worker's claim) -> final status.
STAGES = """
SELECT extract(epoch FROM o.published_at - p.created_at),
       extract(epoch FROM a.created_at - o.published_at),
       extract(epoch FROM p.updated_at - a.created_at),
       extract(epoch FROM p.updated_at - p.created_at)
FROM payment p
JOIN outbox_job o ON o.actor_name = 'process_payment' AND CAST(o.args AS jsonb) ->> 0 = p.id
JOIN attempt a ON a.payment_id = p.id AND a.number = 1
WHERE p.id = ANY(%s) AND p.status = 'succeeded'
"""


def steady(post, rate: float, seconds: float) -> list:
    """Call ``post()`` ``rate`` times a second, evenly spaced, for ``seconds``, each call in a thread of a
    pool (a slow answer never delays the next call). Returns the answers in order."""
    n = max(1, round(rate * seconds))
    futures = []
    with concurrent.futures.ThreadPoolExecutor(32) as pool:
        started = time.monotonic()
        for i in range(n):
            time.sleep(max(0.0, started + i / rate - time.monotonic()))
            futures.append(pool.submit(post))
    return [f.result() for f in futures]


def wait_final(database_url: str, ids: list[str], timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        while True:
            cur.execute(
                "SELECT count(*) FROM payment WHERE id = ANY(%s)"
                " AND status NOT IN ('succeeded', 'failed', 'canceled')",
                (ids,),
            )
            if not cur.fetchone()[0]:
                return
            if time.monotonic() > deadline:
                raise RuntimeError(f"payments still not final after {timeout} s")
            time.sleep(0.2)


def stages(database_url: str, ids: list[str]) -> dict:
    """Percentiles (ms) of each stage and of the whole time to final status, over the ``succeeded`` of
    ``ids``."""
    with psycopg2.connect(database_url) as conn, conn.cursor() as cur:
        cur.execute(STAGES, (ids,))
        rows = cur.fetchall()
    out: dict = {"payments": len(ids), "succeeded": len(rows)}
    for i, name in enumerate(("to_published", "to_claimed", "to_final_from_claim", "to_final")):
        ms = sorted(float(r[i]) * 1000 for r in rows)
        out[name] = {
            "p50_ms": round(percentile(ms, 50), 1),
            "p99_ms": round(percentile(ms, 99), 1),
            "max_ms": round(ms[-1], 1),
        }
    return out


def measure(post, database_url: str, rate: float, seconds: float) -> dict:
    """Post at ``rate`` for ``seconds``, wait for every payment to be final, and time them (``stages``)."""
    lock = threading.Lock()
    ids: list[str] = []

    def one():
        answer = post()
        if answer.status_code == 202:
            with lock:
                ids.append(answer.json()["id"])
        return answer.status_code

    codes = steady(one, rate, seconds)
    wait_final(database_url, ids)
    row = {"rate": rate, "seconds": seconds, "non2xx": sum(not 200 <= c < 300 for c in codes)}
    return {**row, **stages(database_url, ids)}


def describe(row: dict) -> str:
    parts = [
        f"{name.replace('_', ' ')} p50 {row[name]['p50_ms']} / p99 {row[name]['p99_ms']} / "
        f"max {row[name]['max_ms']} ms"
        for name in ("to_final", "to_published", "to_claimed", "to_final_from_claim")
    ]
    return f"{row['succeeded']} of {row['payments']} succeeded; " + "; ".join(parts)
