"""Customers: who pays, for the merchant's records and the payment history search
(``GET /payments?customer=``, ``?email=``).

Every read and write is of one merchant and one mode (``livemode``): a customer of the other mode, or of
another merchant, is unknown.  Deleting a customer is an erasure (GDPR art. 17): its email, name, phone and
metadata are blanked and the row stays, so its payments still name it; a ``customer.deleted`` event says so,
and the saved responses of its idempotency keys answer the deleted customer.
Audit rows name the fields written, never their values: the append-only audit trail could not erase them.
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import functools

import peewee

from shared.ids import new_id
from store import audit, events, idempotency, unit
from store.db import locked
from store.errors import NotFound
from store.models import Customer, utcnow
from store.objects import customer_object, encode
from store.pages import page

#: The fields a merchant writes (``ingress.validation.customer_fields``).
FIELDS = ("email", "name", "phone", "metadata")


def _mine(merchant_id: str, livemode: bool) -> peewee.Expression:
    return (Customer.merchant_id == merchant_id) & (Customer.livemode == livemode)


def create(merchant_id: str, livemode: bool, fields: dict) -> tuple[str, bytes]:
    """A new customer, in the open unit of work (or one of its own). Returns ``(id, object JSON bytes)``."""
    now = utcnow()
    customer = Customer(
        id=new_id("cus"), merchant_id=merchant_id, livemode=livemode, created_at=now, updated_at=now, **fields
    )
    body = encode(customer_object(customer))
    with unit.joined() as work:
        customer.save(force_insert=True)
        audit.record(merchant_id, "customer.created", customer.id, after=_written(fields))
        work.respond(201, body, f"/customers/{customer.id}")
    return customer.id, body


def get(merchant_id: str, livemode: bool, customer_id: str, lock: bool = False) -> Customer:
    """One customer of the merchant in that mode, deleted ones included.

    Raises:
      NotFound.
    """
    query = Customer.select().where(_mine(merchant_id, livemode) & (Customer.id == customer_id))
    customer = (locked(query) if lock else query).first()
    if customer is None:
        raise NotFound(customer_id)
    return customer


def exists(merchant_id: str, livemode: bool, customer_id: str) -> bool:
    """Whether a payment may name ``customer_id``: the merchant's, in that mode, not deleted."""
    query = Customer.select(Customer.id).where(
        _mine(merchant_id, livemode) & (Customer.id == customer_id) & Customer.deleted_at.is_null()
    )
    return query.exists()


def list_(
    merchant_id: str,
    livemode: bool,
    *,
    limit: int,
    starting_after: str | None = None,
    email: str | None = None,
) -> tuple[list[dict], bool]:
    """The customers not deleted, newest first, with ``email`` if given (any case). Returns ``([objects],
    has_more)``."""
    query = Customer.select().where(_mine(merchant_id, livemode) & Customer.deleted_at.is_null())
    if email is not None:
        query = query.where(with_email(email))
    rows, has_more = page(query, limit, starting_after, functools.partial(get, merchant_id, livemode))
    return [customer_object(c) for c in rows], has_more


def with_email(email: str) -> peewee.Expression:
    """Customers whose email is ``email`` in any case (served by the index on ``lower(email)``)."""
    return peewee.fn.lower(Customer.email) == peewee.fn.lower(email)


def named_by_email(merchant_id: str | None, email: str) -> list[str]:
    """The ids of the customers with ``email`` (of ``merchant_id``; None: of any), not deleted, for the
    payment history search (a customer id is of one mode: the payments' own mode condition suffices)."""
    query = Customer.select(Customer.id).where(Customer.deleted_at.is_null() & with_email(email))
    if merchant_id is not None:
        query = query.where(Customer.merchant_id == merchant_id)
    return [customer.id for customer in query]


def replace(merchant_id: str, livemode: bool, customer_id: str, fields: dict) -> bytes:
    """Set every field to ``fields``' (a field left out becomes empty). Returns the object (JSON bytes).

    Raises:
      NotFound: unknown, or deleted.
    """
    with unit.joined() as work:
        customer = get(merchant_id, livemode, customer_id, lock=True)
        if customer.deleted_at is not None:
            raise NotFound(customer_id)
        changed = [name for name in FIELDS if getattr(customer, name) != fields.get(name, _EMPTY[name])]
        for name in FIELDS:
            setattr(customer, name, fields.get(name, _EMPTY[name]))
        customer.updated_at = utcnow()
        customer.save()
        body = encode(customer_object(customer))
        audit.record(merchant_id, "customer.updated", customer_id, after={"changed": changed})
        work.respond(200, body)
    return body


def delete(merchant_id: str, livemode: bool, customer_id: str) -> bytes:
    """Erase the customer's personal data, keep the row; write ``customer.deleted``. Returns the deleted
    customer's object (JSON bytes).

    Raises:
      NotFound: unknown, or deleted already.
    """
    with unit.joined() as work:
        customer = get(merchant_id, livemode, customer_id, lock=True)
        if customer.deleted_at is not None:
            raise NotFound(customer_id)
        for name in FIELDS:
            setattr(customer, name, _EMPTY[name])
        customer.deleted_at = customer.updated_at = utcnow()
        customer.save()
        deleted = customer_object(customer)
        events.record(merchant_id, livemode, "customer.deleted", deleted, customer.deleted_at)
        # A replay of the key that created or changed it answers the deleted customer, not its data.
        idempotency.rewrite(merchant_id, livemode, customer_id, lambda _: deleted)
        audit.record(merchant_id, "customer.deleted", customer_id, after={"erased": list(FIELDS)})
        body = encode(deleted)
        work.respond(200, body)
    return body


_EMPTY: dict[str, object] = {"email": None, "name": None, "phone": None, "metadata": {}}


def _written(fields: dict) -> dict:
    """What an audit row tells of a write: which fields were given, never their values."""
    return {"fields": sorted(name for name in FIELDS if fields.get(name) not in (None, {}))}
