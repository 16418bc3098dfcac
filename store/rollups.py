"""The dashboard's rollups (m0031): hourly aggregate tables kept exact by triggers on ``payment`` and
``attempt``, which write signed delta rows in the writer's transaction.

``fold`` moves the deltas into the rollups (the sweeper, one replica at a time); ``totals`` reads a period's
rollup rows plus the deltas not folded yet in one statement, so in one snapshot: a fold committing meanwhile
is seen whole or not at all, and every committed change is counted once.
"""

import datetime
from collections.abc import Callable, Sequence
from typing import Any, cast

import peewee

from store.db import database, is_postgres
from store.models import AttemptRollup, AttemptRollupDelta, PaymentRollup, PaymentRollupDelta

#: rollup -> its deltas
DELTAS: dict[type[peewee.Model], type[peewee.Model]] = {
    PaymentRollup: PaymentRollupDelta,
    AttemptRollup: AttemptRollupDelta,
}
#: Delta rows folded per table and statement: a backlog (the sweeper stopped a while) folds over passes.
FOLD_BATCH = 50_000

# Postgres: the deltas deleted and added up in one statement.  Rows a writer commits meanwhile are not in
# the DELETE's snapshot and wait for the next fold; a second folder would skip the rows the first deleted.
_FOLD_POSTGRES = """WITH moved AS (
    DELETE FROM {delta} WHERE ctid = ANY(ARRAY(SELECT ctid FROM {delta} LIMIT %s)) RETURNING *
), added AS (
    INSERT INTO {rollup} ({keys}, {measures}) SELECT {keys}, {sums} FROM moved GROUP BY {keys}
    ON CONFLICT ({keys}) DO UPDATE SET {add}
)
SELECT COUNT(*) FROM moved"""
# SQLite (one writer at a time): the INSERT takes the write lock, so the DELETE removes what it added.
_FOLD_SQLITE = """INSERT INTO {rollup} ({keys}, {measures}) SELECT {keys}, {sums} FROM {delta} WHERE 1
    GROUP BY {keys} ON CONFLICT ({keys}) DO UPDATE SET {add}"""


def keys(rollup: type[peewee.Model]) -> list[str]:
    return list(cast(peewee.CompositeKey, rollup._meta.primary_key).field_names)


def measures(rollup: type[peewee.Model]) -> list[str]:
    return [f.name for f in rollup._meta.sorted_fields if f.name not in keys(rollup)]


def _sql(template: str, rollup: type[peewee.Model]) -> str:
    named, summed = ", ".join(keys(rollup)), measures(rollup)
    table = rollup._meta.table_name
    return template.format(
        rollup=table,
        delta=DELTAS[rollup]._meta.table_name,
        keys=named,
        measures=", ".join(summed),
        sums=", ".join(f"SUM({m})" for m in summed),
        add=", ".join(f"{m} = {table}.{m} + excluded.{m}" for m in summed),
    )


def fold(batch: int = FOLD_BATCH) -> int:
    """Fold up to ``batch`` delta rows of each rollup into it. Call inside a transaction.

    Returns:
      How many delta rows were folded.
    """
    folded = 0
    for rollup in DELTAS:
        if is_postgres():
            folded += database.execute_sql(_sql(_FOLD_POSTGRES, rollup), (batch,)).fetchone()[0]
        else:
            database.execute_sql(_sql(_FOLD_SQLITE, rollup))
            folded += database.execute_sql(f"DELETE FROM {DELTAS[rollup]._meta.table_name}").rowcount
    return folded


def totals(
    rollup: type[peewee.Model],
    by: Sequence[str],
    merchant_id: str,
    livemode: bool,
    since: datetime.datetime,
    until: datetime.datetime,
    where: Callable[[Any], peewee.Expression] | None = None,
    counted: str | None = None,
) -> list[tuple[Any, ...]]:
    """The rollup's measures summed per ``by`` over the hours in ``[since, until)``, deltas included.

    Parameters:
      where: A further condition on a table of the rollup (the rollup or its deltas), as ``where(table)``.
      counted: A measure: the groups where it sums to 0 are left out (they count nothing any more: every
        payment or attempt of theirs moved to another status).

    Returns:
      ``[(*by values, *measure sums), ...]`` with the sums as ``int``.
    """
    summed = measures(rollup)

    def part(table: Any) -> peewee.ModelSelect:
        query = table.select(*(getattr(table, name) for name in (*by, *summed))).where(
            (table.merchant_id == merchant_id)
            & (table.livemode == livemode)
            & (table.hour >= since)
            & (table.hour < until)
        )
        return query.where(where(table)) if where else query

    both = (part(rollup) + part(DELTAS[rollup])).alias("f")  # UNION ALL
    grouped = [getattr(both.c, name) for name in by]
    sums = [peewee.fn.SUM(getattr(both.c, name)) for name in summed]
    query = rollup.select(*grouped, *sums).from_(both).group_by(*grouped)
    if counted:
        query = query.having(peewee.fn.SUM(getattr(both.c, counted)) != 0)
    rows = cast("list[tuple[Any, ...]]", list(query.tuples()))
    return [(*row[: len(by)], *(int(n or 0) for n in row[len(by) :])) for row in rows]
