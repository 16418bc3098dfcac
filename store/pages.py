"""Keyset pagination, newest first, for every list the API answers."""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

from collections.abc import Callable
from typing import Any

import peewee

from store.db import M


def page(
    query: peewee.ModelSelect[M],
    limit: int,
    starting_after: str | None,
    find: Callable[[str], M],
) -> tuple[list[M], bool]:
    """One page of ``query``'s rows, newest first by ``(created_at, id)``.

    Parameters:
      starting_after: The id of the last row of the previous page, if any.
      find: ``f(id) -> row`` finding that row in the caller's scope (the merchant's); raises ``NotFound``.

    Returns:
      ``(rows, has_more)``: at most ``limit`` rows (one more is read to tell ``has_more``).

    Raises:
      store.errors.NotFound: ``starting_after`` names no row ``find`` knows.
    """
    # Every listed model has ``created_at`` and ``id``, which peewee's generic ``Model`` cannot say.
    model: Any = query.model
    if starting_after:
        cursor: Any = find(starting_after)
        query = query.where(
            peewee.Tuple(model.created_at, model.id) < peewee.Tuple(cursor.created_at, cursor.id)
        )
    rows = list(query.order_by(model.created_at.desc(), model.id.desc()).limit(limit + 1))
    return rows[:limit], len(rows) > limit
