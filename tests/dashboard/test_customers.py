"""``/dashboard/customers``: find by email, a customer's payments, erasing their personal data."""

from store.models import AuditEvent, Customer
from store.models import Payment as PaymentRow
from tests.dashboard.conftest import payment


def test_find_a_customer_by_email_and_see_their_payments(signed_in, merchant):
    viewer, _ = signed_in("viewer")
    paid = payment(merchant, email="Grace@Example.test", amount=4200)
    payment(merchant, email="other@example.test")
    listing = viewer.get("/dashboard/customers", query_string="email=grace@example.test").text
    assert listing.count('href="/dashboard/customers/cus_') == 1
    page = viewer.get(f"/dashboard/customers/{paid.customer}").text
    assert "Grace@Example.test" in page and f"/dashboard/payments/{paid.id}" in page and "42.00 USD" in page
    assert "Erase personal data" not in page  # customers:write only


def test_erasing_a_customer_erases_their_payments_personal_data(signed_in, merchant):
    developer, user_id = signed_in("developer")
    paid = payment(merchant, email="erase@example.test")
    page = f"/dashboard/customers/{paid.customer}"
    resp = developer.submit(page, f"{page}/erase")
    assert resp.status_code == 303
    assert Customer.get_by_id(paid.customer).email is None
    assert PaymentRow.get_by_id(paid.id).customer_details is None
    audited = AuditEvent.get(
        (AuditEvent.object_id == paid.customer) & (AuditEvent.action == "customer.deleted")
    )
    assert (audited.actor_type, audited.actor_id) == ("user", user_id)
    viewer, _ = signed_in("viewer")
    assert viewer.submit(page, f"{page}/erase").status_code == 403
