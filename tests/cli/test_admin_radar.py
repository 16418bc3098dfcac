"""``paywave admin radar-relabel``: every durable fraud label queued to be written to Redis again."""

import os
import subprocess
import sys

import peewee

from shared.ids import new_id
from store.models import FraudLabel, OutboxJob, utcnow


def test_radar_relabel_queues_every_durable_label(config, db, merchant):
    last = OutboxJob.select(peewee.fn.MAX(OutboxJob.id)).scalar() or 0
    payment_id = new_id("pay")
    rows = [("card", "c" * 24), ("email", "e" * 24)]
    for dimension, digest in rows:
        FraudLabel.create(
            payment_id=payment_id,
            dimension=dimension,
            merchant_id=merchant,
            livemode=False,
            digest=digest,
            source="disputed",
            created_at=utcnow(),
        )
    env = {**os.environ, "PAYWAVE_DATABASE_URL": config.database_url}
    out = subprocess.run(
        [sys.executable, "-m", "cli", "admin", "radar-relabel"], env=env, capture_output=True, text=True
    )
    try:
        assert out.returncode == 0, out.stderr
        assert int(out.stdout) >= 2
        queued = OutboxJob.select().where((OutboxJob.id > last) & (OutboxJob.actor_name == "label_fraud"))
        mine = [job.args for job in queued if job.args[0] == merchant]
        assert mine == [[merchant, False, [list(row) for row in rows]]]
    finally:  # nothing consumes them here: keep them from reaching another package's queues
        OutboxJob.delete().where(OutboxJob.id > last).execute()
