"""Fraud reviews (issue 15): a payment a ``review`` rule matched proceeds, and waits for a person.

The worker opens the review in the transaction that claims the payment (``open_``).  ``approve`` closes it;
``reject`` closes it and undoes the payment through the paths a merchant uses: an authorization is canceled
(``payments.cancel``: the gateway voids it), a capture refunded in full with ``reason: "fraudulent"``
(``payments.create_refund``); a payment that failed or was canceled meanwhile has nothing to undo.  While a
review is open a manual-capture payment cannot be captured (``payments.request_capture``: 409).  Each
change writes ``review.opened`` / ``review.closed``; a person's are audited.
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import functools

from shared.ids import new_id
from store import audit, events, payments, radar, unit
from store.db import locked
from store.errors import NotFound, StateConflict
from store.models import Payment, Review, utcnow
from store.objects import encode, review_object
from store.pages import page
from store.states import PaymentStatus

#: ``closed_reason`` of a rejection, by the payment's status: what undid it.
REJECTED = {
    PaymentStatus.REQUIRES_CAPTURE: "canceled",
    PaymentStatus.SUCCEEDED: "refunded",
    PaymentStatus.FAILED: "canceled",
    PaymentStatus.CANCELED: "canceled",
}


def open_(payment: Payment, reason: str) -> Review:
    """Open a review of ``payment`` (``reason``: the rule's id), in the caller's transaction."""
    review = Review.create(
        id=new_id("rev"),
        payment_id=payment.id,
        merchant_id=payment.merchant_id,
        livemode=payment.livemode,
        reason=reason,
        open=True,
        created_at=utcnow(),
    )
    events.record(
        payment.merchant_id, payment.livemode, "review.opened", review_object(review), review.created_at
    )
    return review


def get(merchant_id: str, livemode: bool, review_id: str, lock: bool = False) -> Review:
    """Raises:
    NotFound.
    """
    query = Review.select().where(
        (Review.merchant_id == merchant_id) & (Review.livemode == livemode) & (Review.id == review_id)
    )
    found = (locked(query) if lock else query).first()
    if found is None:
        raise NotFound(review_id)
    return found


def list_(
    merchant_id: str,
    livemode: bool,
    *,
    limit: int,
    starting_after: str | None = None,
    is_open: bool | None = None,
) -> tuple[list[dict], bool]:
    """The merchant's reviews, newest first; ``is_open``: only the open (True) or closed (False) ones."""
    query = Review.select().where((Review.merchant_id == merchant_id) & (Review.livemode == livemode))
    if is_open is not None:
        query = query.where(Review.open == is_open)
    rows, has_more = page(query, limit, starting_after, functools.partial(get, merchant_id, livemode))
    return [review_object(row) for row in rows], has_more


def _close(review: Review, closed_reason: str) -> bytes:
    review.open, review.closed_reason, review.closed_at = False, closed_reason, utcnow()
    review.save()
    obj = review_object(review)
    events.record(review.merchant_id, review.livemode, "review.closed", obj, review.closed_at)
    audit.record(review.merchant_id, "review.closed", review.id, after={"closed_reason": closed_reason})
    return encode(obj)


def _open(merchant_id: str, livemode: bool, review_id: str) -> Review:
    review = get(merchant_id, livemode, review_id, lock=True)
    if not review.open:
        raise StateConflict(f"{review_id} is closed already ({review.closed_reason})", "review_closed")
    return review


def approve(merchant_id: str, livemode: bool, review_id: str) -> bytes:
    """Close the review: the payment stands (and may be captured). Returns the review object.

    Raises:
      NotFound, StateConflict: closed already.
    """
    with unit.joined() as work:
        body = _close(_open(merchant_id, livemode, review_id), radar.APPROVED)
        work.respond(200, body)
    return body


def reject(merchant_id: str, livemode: bool, review_id: str) -> bytes:
    """Close the review and undo the payment: cancel an authorization, refund a capture as fraudulent.
    Returns the review object.

    Raises:
      NotFound, StateConflict: closed already, or the payment is still being authorized (reject it once
        the gateway answered).
    """
    with unit.joined() as work:
        review = _open(merchant_id, livemode, review_id)
        payment = payments.get(merchant_id, review.payment_id, lock=True, livemode=livemode)
        closed_reason = REJECTED.get(PaymentStatus(payment.status))
        if closed_reason is None:
            raise StateConflict(
                f"the payment is {payment.status}: reject the review once the gateway answered",
                "payment_in_progress",
            )
        if payment.status == PaymentStatus.REQUIRES_CAPTURE:
            payments.cancel(merchant_id, payment.id, livemode=livemode, respond=False)
            radar.label_fraud(payment, radar.REVIEW_REJECTED)
        elif payment.status == PaymentStatus.SUCCEEDED and payment.amount_captured > payment.amount_refunded:
            payments.create_refund(
                merchant_id, payment.id, reason=radar.FRAUDULENT, livemode=livemode, respond=False
            )
        body = _close(review, closed_reason)
        work.respond(200, body)
    return body
