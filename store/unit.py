"""One unit of work: a transaction, the idempotent response saved in it, and what waits for its COMMIT.

Whoever answers for a change opens it (an ingress resource, with the request's idempotency claim; an
actor; the CLI), and the store functions called inside write in its transaction and tell it what they
did: ``respond`` completes the claim with the response IN the transaction (so a replay returns the first
answer, or neither commits), ``queued`` marks jobs written, ``changed`` a payment's new object.  Only
after COMMIT does it wake the outbox relay (once, when jobs were written) and write each changed payment
to the cache with its version (a stale writer never wins); after a rollback it does neither.
"""

import contextlib
import contextvars
from collections.abc import Callable, Hashable, Iterable, Iterator
from types import TracebackType
from typing import Literal, Self, TypeVar

import peewee

from shared.cache import Cache
from store import idempotency
from store.db import Statement, database, insert_statement, mark_saved, run_together, update_statement
from store.models import Payment

_current: contextvars.ContextVar["Unit | None"] = contextvars.ContextVar("unit_of_work", default=None)
T = TypeVar("T")


class Unit:
    """Parameters:
    claim: The request's ``idempotency.Claim``, completed by ``respond``; None without a key.
    cache: ``shared.cache.Cache`` to write changed payments to after commit; None: no cache.
    notify: Wakes the outbox relay after a commit that wrote jobs; None: the relay polls.
    batched: The change's writes through ``save``, ``insert`` and ``write`` wait and go with the COMMIT,
      in one round trip: for a change that reads nothing it wrote (a worker's claim and finish of a
      payment).
    """

    def __init__(
        self,
        *,
        claim: idempotency.Claim | None = None,
        cache: Cache | None = None,
        notify: Callable[[], None] | None = None,
        batched: bool = False,
    ) -> None:
        self.claim = claim
        self.cache = cache
        self.notify = notify
        self.batched = batched
        self._queued = False
        self._also: list[Statement] = []
        self._changed: dict[str, tuple[str, bool, int, bytes]] = {}
        self._ahead: dict[Hashable, object] = {}

    def __enter__(self) -> Self:
        if _current.get() is not None:
            raise RuntimeError("a unit of work is open already: join it (store.unit.joined)")
        if (self.cache or self.notify) and database.in_transaction():
            raise RuntimeError(
                "open a unit of work outside any transaction: its steps must follow the COMMIT"
            )
        self._transaction = database.atomic()
        self._transaction.__enter__()
        self._token = _current.set(self)
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> Literal[False]:
        _current.reset(self._token)
        if exc_type is None and self._also:  # written after the response, or with none: still in it
            try:
                # the outermost transaction's COMMIT goes with them
                run_together(self._take_also(), commit=database.transaction_depth() == 1)
            except BaseException as failure:
                self._transaction.__exit__(type(failure), failure, failure.__traceback__)
                raise
        self._transaction.__exit__(exc_type, exc, tb)  # commits, or rolls back (a failed COMMIT raises)
        if exc_type is None:
            self._after_commit()
        return False

    def respond(
        self, status: int, body: bytes, location: str | None = None, together: Iterable[Statement] = ()
    ) -> None:
        """The response of this change: saved with the claim, in the transaction, when there is one.

        Parameters:
          together: The change's own ``(sql, params)`` statements, sent in the same round trip; without a
            claim they are the whole transaction (nothing written before them in it, nothing after).

        Raises:
          idempotency.KeyInUse: the claim was taken over meanwhile (the unit rolls back).
        """
        together = [*together, *self._take_also()]
        if self.claim:
            idempotency.complete(self.claim, status, body, location, together=together)
        elif together:
            run_together(together, whole=True)

    def also(self, statement: Statement) -> None:
        """Write ``statement`` with this change: with the response's round trip, or before COMMIT."""
        self._also.append(statement)

    def _take_also(self) -> list[Statement]:
        taken, self._also = self._also, []
        return taken

    def read_ahead(self, key: Hashable, value: object) -> None:
        """``value`` was read in this transaction, ahead of its use: ``read(key, ...)`` answers it."""
        self._ahead[key] = value

    def queued(self) -> None:
        """Jobs were written in this transaction: the relay is woken after commit."""
        self._queued = True

    def changed(self, payment: Payment, body: bytes) -> None:
        """``payment`` was saved with object ``body``: cached after commit, at its version."""
        self._changed[payment.id] = (payment.merchant_id, payment.livemode, payment.version, body)

    def _after_commit(self) -> None:
        if self._queued and self.notify:
            self.notify()
        if self.cache:
            for payment_id, (merchant_id, livemode, version, body) in self._changed.items():
                self.cache.put_payment(merchant_id, livemode, payment_id, version, body)


def write(statements: list[Statement]) -> None:
    """Write ``statements`` in the open transaction: with its COMMIT when the open unit is batched, else
    now, in one round trip."""
    work = _current.get()
    if work is not None and work.batched:
        work._also.extend(statements)
    elif statements:
        run_together(statements)


def save(instance: peewee.Model) -> None:
    """Save the changed fields of ``instance`` (a row read before): ``write``."""
    if instance.dirty_fields:
        write([update_statement(instance)])


def insert(instance: peewee.Model) -> None:
    """Insert ``instance`` (every value set): ``write``."""
    write([insert_statement(instance)])
    mark_saved(instance)


def read(key: Hashable, load: Callable[[], T]) -> T:
    """What the open unit of work read ahead under ``key`` (in the same round trip as its lock, e.g.
    ``store.attempts.lock_with_attempts``), else ``load()``: a round trip saved, the same transaction read."""
    work = _current.get()
    if work is not None and key in work._ahead:
        return work._ahead[key]  # type: ignore[return-value]  # stored by the key's one reader
    return load()


def current() -> Unit | None:
    """The unit of work open in this context, if any."""
    return _current.get()


@contextlib.contextmanager
def joined() -> Iterator[Unit]:
    """The open unit of work, or a new one (no claim, nothing after commit) for this change alone."""
    unit = _current.get()
    if unit is not None:
        yield unit
    else:
        with Unit() as unit:
            yield unit
