"""Fraud rules and value lists (issue 15), of one merchant and mode like everything else.

A rule's predicate is compiled when written (``shared.radar.language``) against the catalogue and the
merchant's lists: one that does not parse or check is ``FieldInvalid`` on ``predicate`` with its position.
The lists a predicate names are locked meanwhile, and deleting a list locks it and refuses while a rule names
it, so a stored rule never names a missing list.  The built-in rules (``shared.radar.decide.BUILTINS``) are
every merchant's; a merchant's changes to one (``enabled``, ``threshold``) are a ``radar_builtin_rule`` row.
Audit rows never hold a list's values (emails, addresses: the append-only trail could not erase them).
"""

# peewee's query classes are generic in its stubs only: annotations stay unevaluated.
from __future__ import annotations

import datetime
import functools
import itertools
from collections.abc import Iterable
from typing import cast

import orjson
import peewee

from shared import jobs
from shared.ids import new_id
from shared.radar import language
from shared.radar.counters import Subject, fraud_digests
from shared.radar.decide import BUILTIN_IDS, BUILTINS, RESERVED_LISTS, Rule
from store import audit, outbox, unit
from store.db import database, locked, prepared, streamed
from store.errors import FieldInvalid, NotFound, StateConflict
from store.models import (
    CardFacts,
    FraudLabel,
    Payment,
    RadarBuiltinRule,
    RadarRule,
    RadarValueList,
    RadarValueListItem,
    Refund,
    Review,
    utcnow,
)
from store.objects import (
    encode,
    radar_builtin_object,
    radar_rule_object,
    radar_value_list_item_object,
    radar_value_list_object,
)
from store.pages import page
from store.states import PaymentStatus, RefundStatus

#: A refund's ``reason`` when it undoes a fraud (``store.reviews.reject``; the backtest reads it).
FRAUDULENT = "fraudulent"
#: ``fraud_label.source``: why a payment's card, email and IP address were labelled.
DISPUTED, REFUNDED_AS_FRAUD, REVIEW_REJECTED = "disputed", "refunded_as_fraud", "review_rejected"
#: ``review.closed_reason`` of an approval: any other closed review was rejected (``store.reviews``).
APPROVED = "approved"
#: What a backtest counts, of the payments the predicate matched.
BACKTEST_COUNTS = ("matched", "matched_succeeded", "matched_disputed_or_fraud_refunded")
#: What a merchant's rule holds (``ingress.resources.radar`` checks the shapes).
RULE_FIELDS = ("action", "predicate", "description", "enabled")


def _mine(
    model: type[RadarRule] | type[RadarValueList], merchant_id: str, livemode: bool
) -> peewee.Expression:
    return (model.merchant_id == merchant_id) & (model.livemode == livemode)


# --- rules ---------------------------------------------------------------------


def _compiled(merchant_id: str, livemode: bool, predicate: str, lock: bool = True) -> language.Node:
    """``predicate`` parsed and checked against the merchant's lists, the lists it names locked (``lock``).

    Raises:
      FieldInvalid: on ``predicate``, with the position.
    """
    try:
        node = language.parse(predicate)
        named = language.aliases_in(node)
        query = RadarValueList.select().where(
            _mine(RadarValueList, merchant_id, livemode) & RadarValueList.list_alias.in_(sorted(named))
        )
        found = {
            row.list_alias: row.item_type for row in ((locked(query) if lock else query) if named else [])
        }
        language.check(node, {**RESERVED_LISTS, **found})
    except language.RuleError as exc:
        raise FieldInvalid("predicate", exc.message, {"line": exc.line, "column": exc.column}) from None
    return node


def create_rule(merchant_id: str, livemode: bool, fields: dict) -> tuple[str, bytes]:
    """A new rule, in the open unit of work. Returns ``(id, object JSON bytes)``.

    Parameters:
      fields: ``action``, ``predicate``, and optionally ``description`` and ``enabled`` (default true).

    Raises:
      FieldInvalid: the predicate does not compile.
    """
    now = utcnow()
    with unit.joined() as work:
        _compiled(merchant_id, livemode, fields["predicate"])
        rule = RadarRule(
            id=new_id("rule"),
            merchant_id=merchant_id,
            livemode=livemode,
            action=fields["action"],
            predicate=fields["predicate"],
            description=fields.get("description"),
            enabled=fields.get("enabled", True),
            created_at=now,
            updated_at=now,
        )
        rule.save(force_insert=True)
        body = encode(radar_rule_object(rule))
        audit.record(merchant_id, "radar_rule.created", rule.id, after=radar_rule_object(rule))
        work.respond(201, body, f"/radar/rules/{rule.id}")
    return rule.id, body


def _rule(merchant_id: str, livemode: bool, rule_id: str, lock: bool = False) -> RadarRule:
    query = RadarRule.select().where(_mine(RadarRule, merchant_id, livemode) & (RadarRule.id == rule_id))
    rule = (locked(query) if lock else query).first()
    if rule is None:
        raise NotFound(rule_id)
    return rule


def _setting(merchant_id: str, livemode: bool, rule_id: str) -> RadarBuiltinRule | None:
    return RadarBuiltinRule.get_or_none(
        RadarBuiltinRule.merchant_id == merchant_id,
        RadarBuiltinRule.livemode == livemode,
        RadarBuiltinRule.rule_id == rule_id,
    )


def get_rule(merchant_id: str, livemode: bool, rule_id: str) -> dict:
    """One rule's object, built-in ones included.

    Raises:
      NotFound.
    """
    if rule_id in BUILTIN_IDS:
        return radar_builtin_object(BUILTIN_IDS[rule_id], livemode, _setting(merchant_id, livemode, rule_id))
    return radar_rule_object(_rule(merchant_id, livemode, rule_id))


def list_rules(
    merchant_id: str, livemode: bool, *, limit: int, starting_after: str | None = None
) -> tuple[list[dict], bool]:
    """The built-in rules first (in their order), then the merchant's, newest first.

    Returns:
      ``([objects], has_more)``.

    Raises:
      NotFound: ``starting_after`` names no rule.
    """
    ids = [builtin.id for builtin in BUILTINS]
    builtins: list[dict] = []
    if starting_after is None or starting_after in BUILTIN_IDS:
        start = 0 if starting_after is None else ids.index(starting_after) + 1
        builtins = [get_rule(merchant_id, livemode, rule_id) for rule_id in ids[start : start + limit]]
        starting_after = None
    if len(builtins) == limit:  # the page is full: has_more if anything follows
        more = len(ids) > ids.index(builtins[-1]["id"]) + 1 or _has_rules(merchant_id, livemode)
        return builtins, more
    query = RadarRule.select().where(_mine(RadarRule, merchant_id, livemode))
    rows, has_more = page(
        query, limit - len(builtins), starting_after, functools.partial(_rule, merchant_id, livemode)
    )
    return builtins + [radar_rule_object(rule) for rule in rows], has_more


def _has_rules(merchant_id: str, livemode: bool) -> bool:
    return RadarRule.select(RadarRule.id).where(_mine(RadarRule, merchant_id, livemode)).exists()


def update_rule(merchant_id: str, livemode: bool, rule_id: str, changes: dict) -> bytes:
    """Change the fields given. A built-in rule takes ``enabled`` and ``threshold`` (if it has one) only.
    Returns the object (JSON bytes).

    Raises:
      NotFound.
      FieldInvalid: the predicate does not compile; a field a built-in rule does not take.
    """
    if rule_id in BUILTIN_IDS:
        return _update_builtin(merchant_id, livemode, rule_id, changes)
    with unit.joined() as work:
        rule = _rule(merchant_id, livemode, rule_id, lock=True)
        for name in changes:
            if name not in RULE_FIELDS:
                raise FieldInvalid(name, "a rule of your own has no threshold: write it in the predicate")
        if "predicate" in changes:
            _compiled(merchant_id, livemode, changes["predicate"])
        before = radar_rule_object(rule)
        for name, value in changes.items():
            setattr(rule, name, value)
        rule.updated_at = utcnow()
        rule.save()
        after = radar_rule_object(rule)
        audit.record_change(merchant_id, "radar_rule.updated", rule_id, before, after)
        body = encode(after)
        work.respond(200, body)
    return body


def _update_builtin(merchant_id: str, livemode: bool, rule_id: str, changes: dict) -> bytes:
    builtin = BUILTIN_IDS[rule_id]
    for name in changes:
        if name not in ("enabled", "threshold") or (name == "threshold" and builtin.threshold is None):
            raise FieldInvalid(name, f"a built-in rule takes {_takes(builtin.threshold)} only")
    with unit.joined() as work:
        query = RadarBuiltinRule.select().where(
            (RadarBuiltinRule.merchant_id == merchant_id)
            & (RadarBuiltinRule.livemode == livemode)
            & (RadarBuiltinRule.rule_id == rule_id)
        )
        setting = locked(query).first()
        before = radar_builtin_object(builtin, livemode, setting)
        if setting is None:
            setting = RadarBuiltinRule(
                merchant_id=merchant_id, livemode=livemode, rule_id=rule_id, enabled=True
            )
            setting.save(force_insert=True)
        for name, value in changes.items():
            setattr(setting, name, value)
        setting.updated_at = utcnow()
        setting.save()
        after = radar_builtin_object(builtin, livemode, setting)
        audit.record_change(merchant_id, "radar_rule.updated", rule_id, before, after)
        body = encode(after)
        work.respond(200, body)
    return body


def _takes(threshold: int | None) -> str:
    return "enabled" if threshold is None else "enabled and threshold"


def delete_rule(merchant_id: str, livemode: bool, rule_id: str) -> None:
    """Delete a merchant's rule.

    Raises:
      NotFound.
      StateConflict: a built-in rule (disable it instead).
    """
    if rule_id in BUILTIN_IDS:
        raise StateConflict(
            "a built-in rule cannot be deleted: disable it (PATCH enabled: false)", "builtin_rule"
        )
    with unit.joined():
        rule = _rule(merchant_id, livemode, rule_id, lock=True)
        rule.delete_instance()
        audit.record(merchant_id, "radar_rule.deleted", rule_id, before=radar_rule_object(rule))


def enabled_rules(merchant_id: str, livemode: bool) -> list[Rule]:
    """The rules to evaluate for a payment, compiled: the built-in ones the merchant did not disable (with
    its thresholds), then its own enabled ones, oldest first."""
    settings = {
        s.rule_id: s
        for s in RadarBuiltinRule.select().where(
            (RadarBuiltinRule.merchant_id == merchant_id) & (RadarBuiltinRule.livemode == livemode)
        )
    }
    rules = [
        builtin.rule(settings[builtin.id].threshold if builtin.id in settings else None)
        for builtin in BUILTINS
        if builtin.id not in settings or settings[builtin.id].enabled
    ]
    query = RadarRule.select().where(_mine(RadarRule, merchant_id, livemode) & RadarRule.enabled)
    for row in query.order_by(RadarRule.created_at, RadarRule.id):
        rules.append(Rule(row.id, row.action, row.predicate, language.parse(row.predicate)))
    return rules


def backtest(
    merchant_id: str, livemode: bool, predicate: str, since: datetime.datetime | None = None
) -> dict:
    """How ``predicate`` would have done on the merchant's payments created since ``since`` (default: all)
    that were decided on (``risk``): evaluated on their signals as they were then (``risk.signals``, with
    ``risk_score``; ``amount_in_usd`` at the rate of that day), against the merchant's value lists as they
    are now.  Fraud is a payment disputed, refunded as fraudulent, or whose review was rejected (its
    authorization canceled, or nothing left to undo).  The rows are streamed from a
    server-side cursor (memory stays flat) and the predicate is compiled once.

    Returns:
      ``{evaluated, matched, matched_succeeded, matched_disputed_or_fraud_refunded, amounts, missing}``:
      ``amounts`` has the same three counts' amounts per currency; ``missing`` the attributes some payment
      lacked (a comparison over them did not match).

    Raises:
      FieldInvalid: on ``predicate``, with the position.
    """
    node = _compiled(merchant_id, livemode, predicate, lock=False)
    lists = values(merchant_id, livemode, language.aliases_in(node))
    mine = (Payment.merchant_id == merchant_id) & (Payment.livemode == livemode)
    fraud_refunded = {
        row.payment_id
        for row in Refund.select(Refund.payment_id).where(
            (Refund.merchant_id == merchant_id)
            & (Refund.livemode == livemode)
            & (Refund.reason == FRAUDULENT)
            & (Refund.status != RefundStatus.FAILED)
        )
    } | {  # a rejected review is the merchant's word that the payment was fraud, whatever it undid
        row.payment_id
        for row in Review.select(Review.payment_id).where(
            (Review.merchant_id == merchant_id)
            & (Review.livemode == livemode)
            & ~Review.open
            & (Review.closed_reason != APPROVED)
        )
    }
    query = Payment.select(
        Payment.id, Payment.status, Payment.amount, Payment.currency, Payment.disputed, Payment.risk
    ).where(mine & Payment.risk.is_null(False))
    if since is not None:
        query = query.where(Payment.created_at >= since)
    counts = {name: 0 for name in BACKTEST_COUNTS}
    amounts: dict[str, dict[str, int]] = {name: {} for name in BACKTEST_COUNTS}
    evaluated, missing = 0, set[str]()
    for payment_id, status, amount, currency, disputed, risk_text in streamed(query, batch=5000):
        evaluated += 1
        risk = orjson.loads(risk_text)
        outcome = language.evaluate(node, {**risk["signals"], "risk_score": risk["score"]}, lists)
        missing |= outcome.missing
        if not outcome.matched:
            continue
        kinds = ["matched"]
        if status == PaymentStatus.SUCCEEDED:
            kinds.append("matched_succeeded")
        if disputed or payment_id in fraud_refunded:
            kinds.append("matched_disputed_or_fraud_refunded")
        for kind in kinds:
            counts[kind] += 1
            amounts[kind][currency] = amounts[kind].get(currency, 0) + amount
    return {"evaluated": evaluated, **counts, "amounts": amounts, "missing": sorted(missing)}


# --- fraud labels ----------------------------------------------------------------


def subject(payment: Payment, amount_in_usd: int = 0) -> Subject:
    """What ``payment`` is counted and labelled under (``Counters.record``, ``record_decline``,
    ``label_fraud``); ``amount_in_usd`` is what it adds to the velocity sums (``Counters.record`` only)."""
    details = payment.customer_details or {}
    return Subject(
        merchant_id=payment.merchant_id,
        livemode=bool(payment.livemode),
        payment_id=payment.id,
        amount_in_usd=amount_in_usd,
        card=payment.card_fingerprint,
        email=details.get("email"),
        ip=details.get("ip_address"),
        customer=payment.customer,
    )


def label_fraud(payment: Payment, source: str) -> None:
    """Label the card, email and IP address of ``payment`` fraudulent for its merchant and mode, in the
    caller's transaction: ``fraud_label`` rows (once per payment and dimension) and a ``label_fraud`` job
    that writes them to Redis for the decision's ``*_seen_as_fraud`` signals.

    Parameters:
      source: ``DISPUTED``, ``REFUNDED_AS_FRAUD`` or ``REVIEW_REJECTED``.
    """
    digests = fraud_digests(subject(payment))
    if not digests:
        return
    now = utcnow()
    rows = [
        {
            "payment_id": payment.id,
            "dimension": dim,
            "merchant_id": payment.merchant_id,
            "livemode": bool(payment.livemode),
            "digest": digest,
            "source": source,
            "created_at": now,
        }
        for dim, digest in digests.items()
    ]
    FraudLabel.insert_many(rows).on_conflict_ignore().execute()
    labels = [[dim, digest] for dim, digest in digests.items()]
    outbox.add(jobs.label_fraud(payment.merchant_id, bool(payment.livemode), labels))


def relabel(batch: int = 500) -> int:
    """Queue every durable fraud label to Redis again (after Redis lost its data), ``batch`` per job.

    Returns:
      How many labels were queued.
    """
    query = FraudLabel.select(
        FraudLabel.merchant_id, FraudLabel.livemode, FraudLabel.dimension, FraudLabel.digest
    ).order_by(FraudLabel.merchant_id, FraudLabel.livemode, FraudLabel.dimension, FraudLabel.digest)
    queued: list[jobs.Job] = []
    count = 0
    for (merchant_id, livemode), rows in itertools.groupby(
        query.tuples().iterator(), key=lambda row: (row[0], row[1])
    ):
        labels = [[row[2], row[3]] for row in rows]
        for start in range(0, len(labels), batch):
            chunk = labels[start : start + batch]
            queued.append(jobs.label_fraud(merchant_id, livemode, chunk))
            count += len(chunk)
    with unit.joined():
        outbox.add_all(queued)
    return count


# --- what gateways told of cards -------------------------------------------------------


def card_facts_key(payment: Payment) -> tuple:
    """The key under which a unit of work reads ahead the facts ``card_facts`` reads (``store.unit.read``):
    ``(country, funding)`` or None."""
    return ("card_facts", payment.merchant_id, bool(payment.livemode), payment.card_fingerprint)


def card_facts(payment: Payment) -> tuple[str | None, str | None] | None:
    """``(country, funding)`` of the card of ``payment`` as a gateway told them on an earlier payment of the
    merchant and mode (``learn_card``); None when never told (the card's first payment, or no card).  No
    query when the unit of work read them ahead with its lock."""
    if not payment.card_fingerprint:
        return None
    return unit.read(card_facts_key(payment), lambda: _card_facts(payment))


def _card_facts(payment: Payment) -> tuple[str | None, str | None] | None:
    # A prepared statement: peewee's SQL generation cost more CPU than the round trip (store.db.prepared).
    rows = prepared(
        "card_facts",
        lambda: CardFacts.select(CardFacts.country, CardFacts.funding).where(
            (CardFacts.merchant_id == "") & (CardFacts.livemode == True) & (CardFacts.card_fingerprint == "")  # noqa: E712
        ),
        payment.merchant_id,
        bool(payment.livemode),
        payment.card_fingerprint,
    )
    row = next(iter(rows), None)
    return (row.country, row.funding) if row else None


def learn_card(payment: Payment, gateway: str, country: str | None, funding: str | None) -> None:
    """Keep what ``gateway`` told of the card of ``payment`` (the latest answer wins), in its own statement:
    what a later payment of the card reads before any gateway call."""
    row = {
        "merchant_id": payment.merchant_id,
        "livemode": bool(payment.livemode),
        "card_fingerprint": payment.card_fingerprint,
        "country": country,
        "funding": funding,
        "gateway": gateway,
        "learned_at": utcnow(),
    }
    CardFacts.insert(row).on_conflict(
        conflict_target=[CardFacts.merchant_id, CardFacts.livemode, CardFacts.card_fingerprint],
        update={name: row[name] for name in ("country", "funding", "gateway", "learned_at")},
    ).execute()


# --- value lists -----------------------------------------------------------------


def create_list(merchant_id: str, livemode: bool, fields: dict) -> tuple[str, bytes]:
    """A new value list (``alias``, ``item_type``, ``name``). Returns ``(id, object JSON bytes)``.

    Raises:
      FieldInvalid: the alias is reserved for another item type.
      StateConflict: the alias is taken in this mode.
    """
    alias, item_type = fields["alias"], fields["item_type"]
    if RESERVED_LISTS.get(alias, item_type) != item_type:
        raise FieldInvalid(
            "item_type", f"@{alias} is read by a built-in rule: it holds {RESERVED_LISTS[alias]}"
        )
    with unit.joined() as work:
        taken = RadarValueList.select(RadarValueList.id).where(
            _mine(RadarValueList, merchant_id, livemode) & (RadarValueList.list_alias == alias)
        )
        if taken.exists():
            raise StateConflict(f"a value list @{alias} exists already", "alias_taken")
        value_list = RadarValueList(
            id=new_id("rsl"),
            merchant_id=merchant_id,
            livemode=livemode,
            list_alias=alias,
            item_type=item_type,
            name=fields["name"],
            created_at=utcnow(),
        )
        try:
            with database.atomic():  # a savepoint: a race on the unique index is a conflict, not a 500
                value_list.save(force_insert=True)
        except peewee.IntegrityError:
            raise StateConflict(f"a value list @{alias} exists already", "alias_taken") from None
        body = encode(radar_value_list_object(value_list, 0))
        audit.record(
            merchant_id,
            "radar_value_list.created",
            value_list.id,
            after=radar_value_list_object(value_list, 0),
        )
        work.respond(201, body, f"/radar/value_lists/{value_list.id}")
    return value_list.id, body


def get_list(merchant_id: str, livemode: bool, list_id: str, lock: bool = False) -> RadarValueList:
    """Raises:
    NotFound.
    """
    query = RadarValueList.select().where(
        _mine(RadarValueList, merchant_id, livemode) & (RadarValueList.id == list_id)
    )
    found = (locked(query) if lock else query).first()
    if found is None:
        raise NotFound(list_id)
    return found


def _count(list_id: str) -> int:
    return RadarValueListItem.select().where(RadarValueListItem.value_list_id == list_id).count()


def list_object(merchant_id: str, livemode: bool, list_id: str) -> dict:
    """Raises:
    NotFound.
    """
    return radar_value_list_object(get_list(merchant_id, livemode, list_id), _count(list_id))


def list_lists(
    merchant_id: str, livemode: bool, *, limit: int, starting_after: str | None = None
) -> tuple[list[dict], bool]:
    """The merchant's value lists, newest first."""
    query = RadarValueList.select().where(_mine(RadarValueList, merchant_id, livemode))
    rows, has_more = page(query, limit, starting_after, functools.partial(get_list, merchant_id, livemode))
    return [radar_value_list_object(row, _count(row.id)) for row in rows], has_more


def delete_list(merchant_id: str, livemode: bool, list_id: str) -> None:
    """Delete a list and its items.

    Raises:
      NotFound.
      StateConflict: a rule of the merchant names it.
    """
    with unit.joined():
        value_list = get_list(merchant_id, livemode, list_id, lock=True)
        users = [
            rule.id
            for rule in RadarRule.select().where(_mine(RadarRule, merchant_id, livemode))
            if value_list.list_alias in language.aliases_in(language.parse(rule.predicate))
        ]
        if users:
            raise StateConflict(
                f"@{value_list.list_alias} is named by {', '.join(users)}: change them first", "list_in_use"
            )
        before = radar_value_list_object(value_list, _count(list_id))
        RadarValueListItem.delete().where(RadarValueListItem.value_list_id == list_id).execute()
        value_list.delete_instance()
        audit.record(merchant_id, "radar_value_list.deleted", list_id, before=before)


def add_item(merchant_id: str, livemode: bool, list_id: str, value: str) -> tuple[str, bytes]:
    """Add ``value`` (normalized by the caller for the list's item type: ``item_type`` tells it).

    Returns:
      ``(id, object JSON bytes)``.

    Raises:
      NotFound.
      StateConflict: the list holds that value already.
    """
    with unit.joined() as work:
        value_list = get_list(merchant_id, livemode, list_id, lock=True)
        item = RadarValueListItem(
            id=new_id("rsli"), value_list_id=value_list.id, value=value, created_at=utcnow()
        )
        present = RadarValueListItem.select().where(
            (RadarValueListItem.value_list_id == list_id) & (RadarValueListItem.value == value)
        )
        if present.exists():  # the list's row lock orders concurrent additions
            raise StateConflict(f"@{value_list.list_alias} holds this value already", "duplicate_item")
        item.save(force_insert=True)
        body = encode(radar_value_list_item_object(item))
        audit.record(merchant_id, "radar_value_list_item.created", item.id, after={"value_list": list_id})
        work.respond(201, body, f"/radar/value_lists/{list_id}/items/{item.id}")
    return item.id, body


def _item(merchant_id: str, livemode: bool, list_id: str, item_id: str) -> RadarValueListItem:
    get_list(merchant_id, livemode, list_id)
    item = RadarValueListItem.get_or_none(
        (RadarValueListItem.id == item_id) & (RadarValueListItem.value_list_id == list_id)
    )
    if item is None:
        raise NotFound(item_id)
    return item


def item_type_of(merchant_id: str, livemode: bool, list_id: str) -> str:
    """Raises:
    NotFound.
    """
    return get_list(merchant_id, livemode, list_id).item_type


def list_items(
    merchant_id: str, livemode: bool, list_id: str, *, limit: int, starting_after: str | None = None
) -> tuple[list[dict], bool]:
    """A list's items, newest first.

    Raises:
      NotFound: no such list, or ``starting_after`` names no item of it.
    """
    get_list(merchant_id, livemode, list_id)
    query = RadarValueListItem.select().where(RadarValueListItem.value_list_id == list_id)
    find = functools.partial(_item, merchant_id, livemode, list_id)
    rows, has_more = page(query, limit, starting_after, find)
    return [radar_value_list_item_object(row) for row in rows], has_more


def delete_item(merchant_id: str, livemode: bool, list_id: str, item_id: str) -> None:
    """Raises:
    NotFound.
    """
    with unit.joined():
        item = _item(merchant_id, livemode, list_id, item_id)
        item.delete_instance()
        audit.record(merchant_id, "radar_value_list_item.deleted", item_id, before={"value_list": list_id})


def values(merchant_id: str, livemode: bool, aliases: Iterable[str]) -> dict[str, set[str]]:
    """The items of the merchant's lists named ``aliases``, for evaluating rules (``language.evaluate``)."""
    found: dict[str, set[str]] = {}
    query = (
        RadarValueListItem.select(RadarValueList.list_alias, RadarValueListItem.value)
        .join(RadarValueList, on=RadarValueList.id == RadarValueListItem.value_list_id)
        .where(
            _mine(RadarValueList, merchant_id, livemode) & RadarValueList.list_alias.in_(sorted(set(aliases)))
        )
    )
    for row in cast(Iterable[dict], query.dicts()):  # the stubs type every row as a model instance
        found.setdefault(row["list_alias"], set()).add(row["value"])
    return found
