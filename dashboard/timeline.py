"""A payment's story in one list: entries from several sources, oldest first.

Each source is a function ``f(payment) -> entries`` (``payment``: the API's object): one more source (a
notification sent, say) is one more function in ``SOURCES``.
"""

import dataclasses
from collections.abc import Callable, Iterable

from dashboard import format
from store import audit, deliveries, events, notifications, payments


@dataclasses.dataclass(frozen=True)
class Entry:
    """One line of the timeline.

    Parameters:
      at: When (an API timestamp, which sorts as text).
      kind: The source's name (``attempt``, ``refund``, ``event``, ...): the entry's icon and class.
      title: What happened, in a few words.
      status: A badge (``succeeded``, ``declined``, ...), or None.
      details: ``(label, value)`` pairs shown under the title.
      items: Sub-lines (a webhook delivery's attempts with their answers).
    """

    at: str
    kind: str
    title: str
    status: str | None = None
    details: tuple[tuple[str, str], ...] = ()
    items: tuple[str, ...] = ()


def attempts(payment: dict) -> Iterable[Entry]:
    """Each call at each gateway with its outcome and latency; a move to another gateway is a fallback."""
    previous = None
    for attempt in payment["attempts"]:
        if previous is not None and attempt["gateway"] != previous and attempt["operation"] == "authorize":
            yield Entry(
                attempt["created_at"], "fallback", f"Fell back from {previous} to {attempt['gateway']}"
            )
        if attempt["operation"] == "authorize":
            previous = attempt["gateway"]
        details = [("Latency", f"{attempt['latency_ms']} ms")] if attempt["latency_ms"] is not None else []
        if attempt["error_code"] or attempt["error_class"]:
            details.append(
                ("Error", " / ".join(filter(None, (attempt["error_class"], attempt["error_code"]))))
            )
        title = f"{attempt['operation'].replace('_', ' ').capitalize()} at {attempt['gateway']}"
        yield Entry(attempt["created_at"], "attempt", title, attempt["status"], tuple(details))


def refunds(payment: dict) -> Iterable[Entry]:
    for refund in payments.refunds_of(payment["merchant_id"], payment["id"], livemode=payment["livemode"]):
        details = [("Amount", format.amount(refund["amount"], refund["currency"]))]
        if refund["reason"]:
            details.append(("Reason", refund["reason"]))
        if refund["failure_message"]:
            details.append(("Failure", refund["failure_message"]))
        yield Entry(
            refund["created_at"], "refund", f"Refund {refund['id']}", refund["status"], tuple(details)
        )


def changes(payment: dict) -> Iterable[Entry]:
    """What people and credentials did to the payment (created, capture or cancel asked, updated), by whom."""
    found, _ = audit.list_(payment["merchant_id"], limit=100, filters=audit.Filters(object_id=payment["id"]))
    for change in found:
        actor = change["actor"]
        who = f"{actor['type']} {actor['id']}" if actor["id"] else actor["type"]
        title = change["action"].removeprefix("payment.").replace("_", " ").capitalize()
        yield Entry(change["created_at"], "change", title, None, (("By", who),))


def webhook_events(payment: dict) -> Iterable[Entry]:
    """The events the payment emitted, each with its webhook deliveries and the answers they got."""
    for event in events.of_payment(payment["merchant_id"], payment["id"], livemode=payment["livemode"]):
        lines = []
        for delivery in deliveries.deliveries_of(event["id"]):
            for attempt in delivery["attempts"]:
                answer = (
                    f"HTTP {attempt['status_code']}"
                    if attempt["status_code"]
                    else attempt["error"] or "no answer"
                )
                if attempt["response_snippet"]:
                    answer += f" “{attempt['response_snippet'][:120]}”"
                took = f"{attempt['latency_ms']} ms"
                lines.append(f"{delivery['endpoint_id']} try {attempt['number']}: {answer} in {took}")
            if not delivery["attempts"]:
                lines.append(f"{delivery['endpoint_id']}: {delivery['status']}, not sent yet")
        yield Entry(
            event["created_at"], "event", f"Event {event['type']}", None, (("Id", event["id"]),), tuple(lines)
        )


def notices(payment: dict) -> Iterable[Entry]:
    """The messages sent to the payer (``store.notifications``): the recipient masked as the API masks it,
    the mail server's last answer."""
    for notice in notifications.of_payment(
        payment["merchant_id"], payment["id"], livemode=payment["livemode"]
    ):
        details = [("To", notice["recipient"] or "erased"), ("Attempts", str(notice["attempts"]))]
        if notice["subject"]:
            details.append(("Subject", notice["subject"]))
        answer = notice["smtp_answer"]
        if answer:
            code = f"{answer['code']} " if answer["code"] is not None else ""
            details.append(("Mail server", f"{code}{answer['message']}"))
        title = f"{notice['channel'].capitalize()} to the customer: {notice['event_type']}"
        yield Entry(
            notice["sent_at"] or notice["created_at"], "notification", title, notice["status"], tuple(details)
        )


SOURCES: tuple[Callable[[dict], Iterable[Entry]], ...] = (attempts, refunds, changes, webhook_events, notices)


def timeline(payment: dict, merchant_id: str) -> list[Entry]:
    """Every source's entries for ``payment`` (the API's object) of ``merchant_id``, oldest first."""
    subject = {**payment, "merchant_id": merchant_id}
    entries = [entry for source in SOURCES for entry in source(subject)]
    return sorted(entries, key=lambda entry: entry.at)  # stable: a source's own order holds within a moment
