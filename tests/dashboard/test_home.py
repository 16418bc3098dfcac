"""``/dashboard/``: the period's figures, aggregated by the database (``store.stats``)."""

from shared.ids import new_id
from store.models import Attempt, Review, WebhookEndpoint, utcnow
from store.models import Payment as PaymentRow
from tests.dashboard.conftest import payment


def attempt(payment_id, number, gateway, status, latency_ms, error_code=None):
    now = utcnow()
    Attempt.create(
        id=new_id("att"),
        payment_id=payment_id,
        number=number,
        gateway=gateway,
        operation="authorize",
        idempotency_key=f"{payment_id}-{number}",
        status=status,
        latency_ms=latency_ms,
        error_code=error_code,
        created_at=now,
        updated_at=now,
    )


def test_home_shows_volume_rates_per_gateway_fallbacks_declines_reviews_and_failing_endpoints(
    signed_in, merchant
):
    owner, _ = signed_in("owner")
    ok = payment(merchant, amount=10_000)  # stripe, 42 ms, succeeded
    PaymentRow.update(amount_refunded=2_500).where(PaymentRow.id == ok.id).execute()
    fell = payment(merchant, amount=5_000)  # declined at paypal first, then stripe
    Attempt.update(gateway="paypal", status="declined", error_code="do_not_honor", latency_ms=100).where(
        Attempt.payment_id == fell.id
    ).execute()
    attempt(fell.id, 2, "stripe", "succeeded", 58)
    failed = payment(merchant, status="failed", amount=700)
    Attempt.update(status="declined", error_code="card_declined", latency_ms=100).where(
        Attempt.payment_id == failed.id
    ).execute()
    payment(merchant, livemode=False, amount=99_999)  # test mode: not in a live home
    Review.create(
        id=new_id("rev"),
        payment_id=ok.id,
        merchant_id=merchant,
        livemode=True,
        reason="rule_x",
        open=True,
        created_at=utcnow(),
    )
    WebhookEndpoint.create(
        id=new_id("we"),
        merchant_id=merchant,
        url="https://down.example.com/hooks",
        livemode=True,
        enabled_events=["*"],
        status="disabled",
        disabled_reason="failing for 3 days",
        secret_key_id="k",
        secret_ciphertext="x",
    )
    page = owner.get("/dashboard/").text
    for shown in (
        "150.00 USD",  # captured: 100 + 50 (the failed one captured nothing)
        "25.00 USD",  # refunded
        "66.7%",  # 2 succeeded of 3 settled
        "do_not_honor</span> at paypal: 1",
        "https://down.example.com/hooks",
        "failing for 3 days",
    ):
        assert shown in page, shown
    assert '<p class="figure">3</p>' in page  # payments
    assert 'href="/dashboard/reviews">1</a>' in page
    assert '<p class="figure">1</p><p class="hint">payments tried at a second gateway' in page
    assert "<td>stripe</td><td>3</td>" in page and "67 ms" in page  # mean of 42, 58 and 100
    assert "<td>paypal</td><td>1</td>" in page and "0.0%" in page
    assert "card_declined</span> at stripe: 1" in page


def test_an_empty_period_says_so(signed_in):
    viewer, _ = signed_in("viewer")
    page = viewer.get("/dashboard/", query_string="days=1").text
    assert "No gateway was tried in this period" in page and "nothing settled yet" in page
    assert "Open reviews" not in page and "Webhook endpoints failing" not in page  # not a viewer's
