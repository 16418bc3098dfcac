"""``/dashboard/reviews``: the queue, each review's signals and rule, approve and reject by roles that may."""

from store import reviews
from store.models import AuditEvent, Review
from store.models import Payment as PaymentRow
from tests.dashboard.conftest import payment

RISK = {
    "score": 81,
    "level": "elevated",
    "rule": {"id": "rule_big_amounts", "action": "review", "predicate": "amount_in_usd > 100000"},
    "reasons": ["amount far above this card's usual"],
    "missing": [],
    "signals": {"card_count_1h": 4, "ip_country": "NL"},
}


def in_review(merchant, status="requires_capture"):
    paid = payment(merchant, status=status, amount=250_000)
    PaymentRow.update(risk=RISK).where(PaymentRow.id == paid.id).execute()
    return paid, reviews.open_(PaymentRow.get_by_id(paid.id), "rule_big_amounts")


def test_the_queue_shows_each_reviews_rule_and_signals(signed_in, merchant):
    analyst, _ = signed_in("analyst")
    paid, review = in_review(merchant)
    page = analyst.get("/dashboard/reviews").text
    for shown in (
        "2,500.00 USD",
        "rule_big_amounts",
        "amount_in_usd &gt; 100000",
        "81 (elevated)",
        "amount far above this card",
        "card_count_1h",
        "NL",
        f"/dashboard/payments/{paid.id}",
    ):
        assert shown in page, shown
    assert f"/reviews/{review.id}/approve" not in page  # an analyst reads, never decides
    refused = analyst.submit("/dashboard/reviews", f"/dashboard/reviews/{review.id}/approve")
    assert refused.status_code == 403 and Review.get_by_id(review.id).open


def test_an_admin_approves_and_the_review_closes(signed_in, merchant):
    admin, user_id = signed_in("admin")
    _, review = in_review(merchant)
    resp = admin.submit("/dashboard/reviews", f"/dashboard/reviews/{review.id}/approve")
    assert resp.status_code == 303
    assert Review.get_by_id(review.id).closed_reason == "approved"
    audited = AuditEvent.get((AuditEvent.object_id == review.id) & (AuditEvent.action == "review.closed"))
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)
    assert "Nothing to review" in admin.get("/dashboard/reviews").text
    assert "approved" in admin.get("/dashboard/reviews", query_string="state=closed").text


def test_rejecting_cancels_the_authorization(signed_in, merchant):
    admin, _ = signed_in("admin")
    paid, review = in_review(merchant)
    admin.submit("/dashboard/reviews", f"/dashboard/reviews/{review.id}/reject")
    assert Review.get_by_id(review.id).closed_reason == "canceled"
    assert PaymentRow.get_by_id(paid.id).pending_operation == "cancel"
    again = admin.submit("/dashboard/reviews", f"/dashboard/reviews/{review.id}/reject")
    assert again.status_code == 303
    assert "is closed already" in admin.get("/dashboard/reviews").text
