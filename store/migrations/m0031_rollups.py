"""Rollups of the dashboard's home figures (``store.stats``, ``store.rollups``): aggregate tables kept exact
by triggers, so the home page reads a few rows per hour of the period instead of every payment in it.

``payment_rollup`` counts payments and sums what they captured and refunded per merchant, mode, hour of the
payment's ``created_at``, status and currency; ``attempt_rollup`` counts the authorizations (``authorize`` and
``charge`` attempts) per merchant, mode, hour of their payment's ``created_at``, gateway, status and decline
reason, with their latencies' total, and the payments tried at more than one gateway (``fallbacks``).

Triggers on ``payment`` and ``attempt`` write signed *delta* rows (the row's old figures taken away, its new
ones added) into ``payment_rollup_delta`` and ``attempt_rollup_delta``, in the writer's own transaction and
statement, and only when a counted column changes (``WHEN``): an UPDATE of anything else costs nothing.  The
delta tables are append-only heaps: no primary key, no row two writers would both update.  The sweeper folds
them into the rollups (``store.rollups.fold``); readers add the deltas not yet folded, so a figure is exact
the moment a change commits.

A payment counts as a fallback when its authorizations reach a second gateway: a delta is written when an
attempt makes the count of distinct gateways go from one to two (or back, were one deleted or moved).  An
attempt's figures follow its payment's hour: a payment whose merchant, mode or hour changes moves them.  A
payment's attempts reference it (m0001's foreign key), so a payment has none when inserted or deleted.

The migration locks both tables against writes (``SHARE``), creates the triggers and fills the rollups from
the rows present, so an upgraded database shows its history; writes wait for it (measured in the README's
Dashboard section).
"""

_OPS = "('authorize', 'charge')"
_PAYMENT_KEYS = "merchant_id, livemode, hour, status, currency"
_PAYMENT_COLUMNS = f"{_PAYMENT_KEYS}, payments, captured, refunded"
_ATTEMPT_KEYS = "merchant_id, livemode, hour, gateway, status, reason"
_ATTEMPT_COLUMNS = f"{_ATTEMPT_KEYS}, attempts, latency_total, timed, fallbacks"

_TABLE = """CREATE TABLE {name} (
        merchant_id TEXT NOT NULL,
        livemode {{bool}} NOT NULL,
        hour TIMESTAMP NOT NULL,
        {columns}{key}
    )"""
_PAYMENT_TABLE = """status TEXT NOT NULL,
        currency TEXT NOT NULL,
        payments {bigint} NOT NULL,
        captured {bigint} NOT NULL,
        refunded {bigint} NOT NULL"""
_ATTEMPT_TABLE = """gateway TEXT NOT NULL,
        status TEXT NOT NULL,
        reason TEXT NOT NULL,
        attempts {bigint} NOT NULL,
        latency_total {bigint} NOT NULL,
        timed {bigint} NOT NULL,
        fallbacks {bigint} NOT NULL"""

STATEMENTS = [
    _TABLE.format(
        name="payment_rollup", columns=_PAYMENT_TABLE, key=f",\n        PRIMARY KEY ({_PAYMENT_KEYS})"
    ),
    _TABLE.format(name="payment_rollup_delta", columns=_PAYMENT_TABLE, key=""),
    "CREATE INDEX payment_rollup_delta_merchant ON payment_rollup_delta (merchant_id, livemode, hour)",
    _TABLE.format(
        name="attempt_rollup", columns=_ATTEMPT_TABLE, key=f",\n        PRIMARY KEY ({_ATTEMPT_KEYS})"
    ),
    _TABLE.format(name="attempt_rollup_delta", columns=_ATTEMPT_TABLE, key=""),
    "CREATE INDEX attempt_rollup_delta_merchant ON attempt_rollup_delta (merchant_id, livemode, hour)",
]

#: Per dialect: the hour of a timestamp, and "differs, NULL being a value".
_HOUR = {"postgres": "date_trunc('hour', {0})", "sqlite": "strftime('%Y-%m-%d %H:00:00', {0})"}
_DISTINCT = {"postgres": "IS DISTINCT FROM", "sqlite": "IS NOT"}


def _reason(a: str) -> str:
    """The decline reason an attempt row ``a`` is counted under ('' unless declined)."""
    return f"CASE WHEN {a}.status = 'declined' THEN COALESCE({a}.error_code, 'unknown') ELSE '' END"


def _payment(rows: list[tuple[str, str]], hour: str) -> str:
    """Add (sign 1) or take away (-1) the figures of payment rows (NEW or OLD): ``[(row, sign), ...]``."""
    values = ", ".join(
        f"({row}.merchant_id, {row}.livemode, {hour.format(row + '.created_at')}, {row}.status,"
        f" {row}.currency, {sign}, {sign} * {row}.amount_captured, {sign} * {row}.amount_refunded)"
        for row, sign in rows
    )
    return f"INSERT INTO payment_rollup_delta ({_PAYMENT_COLUMNS}) VALUES {values}"


def _payment_attempts(row: str, sign: str, hour: str) -> list[str]:
    """Add or take away the figures of every attempt of payment ``row``, and its fallback (a payment moved to
    another merchant, mode or hour)."""
    others = f"attempt a WHERE a.payment_id = {row}.id AND a.operation IN {_OPS}"
    where = f"{row}.merchant_id, {row}.livemode, {hour.format(row + '.created_at')}"
    return [
        f"INSERT INTO attempt_rollup_delta ({_ATTEMPT_COLUMNS}) SELECT {where}, a.gateway, a.status,"
        f" {_reason('a')}, {sign} * COUNT(*), {sign} * SUM(COALESCE(a.latency_ms, 0)),"
        f" {sign} * COUNT(a.latency_ms), 0 FROM {others} GROUP BY a.gateway, a.status, {_reason('a')}",
        f"INSERT INTO attempt_rollup_delta ({_ATTEMPT_COLUMNS}) SELECT {where}, '', '', '', 0, 0, 0, {sign}"
        f" WHERE (SELECT COUNT(DISTINCT a.gateway) FROM {others}) > 1",
    ]


def _attempt(row: str, sign: str, moved: str, hour: str) -> str:
    """Add or take away the figures of attempt ``row``: one authorization, and a fallback when it is its
    payment's only one at a second gateway (checked only when ``moved``: inserted, deleted, or its gateway,
    operation or payment changed)."""
    others = f"attempt a WHERE a.payment_id = {row}.payment_id AND a.operation IN {_OPS} AND a.id <> {row}.id"
    fallback = (
        f"CASE WHEN NOT ({moved}) THEN 0"
        f" WHEN EXISTS (SELECT 1 FROM {others} AND a.gateway = {row}.gateway) THEN 0"
        f" WHEN (SELECT COUNT(DISTINCT a.gateway) FROM {others}) = 1 THEN {sign} ELSE 0 END"
    )
    return (
        f"INSERT INTO attempt_rollup_delta ({_ATTEMPT_COLUMNS}) SELECT p.merchant_id, p.livemode,"
        f" {hour.format('p.created_at')}, {row}.gateway, {row}.status, {_reason(row)}, {sign},"
        f" {sign} * COALESCE({row}.latency_ms, 0), CASE WHEN {row}.latency_ms IS NULL THEN 0 ELSE {sign} END,"
        f" {fallback} FROM payment p WHERE p.id = {row}.payment_id AND {row}.operation IN {_OPS}"
    )


def _attempt_changed(hour: str) -> str:
    """An attempt's counted columns changed, not its payment, gateway or operation (its answer came): its
    old figures taken away and its new ones added in one statement, its payment read once."""
    rows = " UNION ALL ".join(
        f"SELECT {row}.gateway AS gateway, {row}.status AS status, {_reason(row)} AS reason,"
        f" {row}.latency_ms AS latency_ms, {sign} AS sign"
        for row, sign in (("OLD", "-1"), ("NEW", "1"))
    )
    return (
        f"INSERT INTO attempt_rollup_delta ({_ATTEMPT_COLUMNS}) SELECT p.merchant_id, p.livemode,"
        f" {hour.format('p.created_at')}, r.gateway, r.status, r.reason, r.sign,"
        " r.sign * COALESCE(r.latency_ms, 0), CASE WHEN r.latency_ms IS NULL THEN 0 ELSE r.sign END, 0"
        f" FROM payment p, ({rows}) r WHERE p.id = NEW.payment_id AND NEW.operation IN {_OPS}"
    )


def _changed(columns: tuple[str, ...], distinct: str) -> str:
    return " OR ".join(f"OLD.{c} {distinct} NEW.{c}" for c in columns)


_PAYMENT_COUNTED = ("status", "currency", "amount_captured", "amount_refunded", "merchant_id", "livemode")
_ATTEMPT_COUNTED = ("status", "latency_ms", "error_code", "gateway", "operation", "payment_id")
_ATTEMPT_MOVED = ("gateway", "operation", "payment_id")


def _payment_moved(hour: str, distinct: str) -> str:
    return (
        f"{_changed(('merchant_id', 'livemode'), distinct)}"
        f" OR {hour.format('OLD.created_at')} {distinct} {hour.format('NEW.created_at')}"
    )


def _postgres() -> list[str]:
    hour, distinct = _HOUR["postgres"], _DISTINCT["postgres"]
    moved = _changed(_ATTEMPT_MOVED, distinct)
    payment_moved = [*_payment_attempts("OLD", "-1", hour), *_payment_attempts("NEW", "1", hour)]
    return [
        "LOCK TABLE payment, attempt IN SHARE MODE",
        f"""CREATE FUNCTION payment_rollup_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN {_payment([("NEW", "1")], hour)};
            ELSIF TG_OP = 'DELETE' THEN {_payment([("OLD", "-1")], hour)};
            ELSE {_payment([("OLD", "-1"), ("NEW", "1")], hour)};
            END IF;
            IF TG_OP = 'UPDATE' AND ({_payment_moved(hour, distinct)}) THEN
                {"; ".join(payment_moved)};
            END IF;
            RETURN NULL;
        END $$""",
        f"""CREATE FUNCTION attempt_rollup_write() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN {_attempt("NEW", "1", "TRUE", hour)};
            ELSIF TG_OP = 'DELETE' THEN {_attempt("OLD", "-1", "TRUE", hour)};
            ELSIF NOT ({moved}) THEN {_attempt_changed(hour)};
            ELSE {_attempt("OLD", "-1", moved, hour)}; {_attempt("NEW", "1", moved, hour)};
            END IF;
            RETURN NULL;
        END $$""",
        "CREATE TRIGGER payment_rollup AFTER INSERT OR DELETE ON payment"
        " FOR EACH ROW EXECUTE FUNCTION payment_rollup_write()",
        "CREATE TRIGGER payment_rollup_update AFTER UPDATE ON payment FOR EACH ROW"
        f" WHEN ({_changed((*_PAYMENT_COUNTED, 'created_at'), distinct)})"
        " EXECUTE FUNCTION payment_rollup_write()",
        "CREATE TRIGGER attempt_rollup AFTER INSERT OR DELETE ON attempt"
        " FOR EACH ROW EXECUTE FUNCTION attempt_rollup_write()",
        "CREATE TRIGGER attempt_rollup_update AFTER UPDATE ON attempt FOR EACH ROW"
        f" WHEN ({_changed(_ATTEMPT_COUNTED, distinct)}) EXECUTE FUNCTION attempt_rollup_write()",
        *backfill("postgres"),
    ]


def _sqlite() -> list[str]:
    hour, distinct = _HOUR["sqlite"], _DISTINCT["sqlite"]
    moved = _changed(_ATTEMPT_MOVED, distinct)

    def trigger(name: str, event: str, table: str, body: list[str], when: str = "") -> str:
        condition = f" WHEN {when}" if when else ""
        statements = "; ".join(body)
        return (
            f"CREATE TRIGGER {name} AFTER {event} ON {table} FOR EACH ROW{condition} BEGIN {statements}; END"
        )

    return [
        trigger("payment_rollup_insert", "INSERT", "payment", [_payment([("NEW", "1")], hour)]),
        trigger("payment_rollup_delete", "DELETE", "payment", [_payment([("OLD", "-1")], hour)]),
        trigger(
            "payment_rollup_update",
            "UPDATE",
            "payment",
            [_payment([("OLD", "-1"), ("NEW", "1")], hour)],
            _changed((*_PAYMENT_COUNTED, "created_at"), distinct),
        ),
        trigger(
            "payment_rollup_move",
            "UPDATE",
            "payment",
            [*_payment_attempts("OLD", "-1", hour), *_payment_attempts("NEW", "1", hour)],
            _payment_moved(hour, distinct),
        ),
        trigger("attempt_rollup_insert", "INSERT", "attempt", [_attempt("NEW", "1", "1 = 1", hour)]),
        trigger("attempt_rollup_delete", "DELETE", "attempt", [_attempt("OLD", "-1", "1 = 1", hour)]),
        trigger(
            "attempt_rollup_update",
            "UPDATE",
            "attempt",
            [_attempt_changed(hour)],
            f"({_changed(_ATTEMPT_COUNTED, distinct)}) AND NOT ({moved})",
        ),
        trigger(
            "attempt_rollup_move",
            "UPDATE",
            "attempt",
            [_attempt("OLD", "-1", moved, hour), _attempt("NEW", "1", moved, hour)],
            moved,
        ),
        *backfill("sqlite"),
    ]


def backfill(dialect: str) -> list[str]:
    """The statements that fill the (empty) rollups from the payments and attempts present: the migration's,
    and ``bench.dashboard``'s after its bulk load."""
    hour = _HOUR[dialect]
    return [
        f"INSERT INTO payment_rollup ({_PAYMENT_COLUMNS}) SELECT merchant_id, livemode,"
        f" {hour.format('created_at')}, status, currency, COUNT(*), SUM(amount_captured),"
        " SUM(amount_refunded)"
        f" FROM payment GROUP BY merchant_id, livemode, {hour.format('created_at')}, status, currency",
        f"""INSERT INTO attempt_rollup ({_ATTEMPT_COLUMNS})
        SELECT {_ATTEMPT_KEYS}, SUM(attempts), SUM(latency_total), SUM(timed), SUM(fallbacks) FROM (
            SELECT p.merchant_id, p.livemode, {hour.format("p.created_at")} AS hour, a.gateway, a.status,
                {_reason("a")} AS reason, 1 AS attempts, COALESCE(a.latency_ms, 0) AS latency_total,
                CASE WHEN a.latency_ms IS NULL THEN 0 ELSE 1 END AS timed, 0 AS fallbacks
            FROM attempt a JOIN payment p ON p.id = a.payment_id WHERE a.operation IN {_OPS}
            UNION ALL
            SELECT p.merchant_id, p.livemode, {hour.format("p.created_at")}, '', '', '', 0, 0, 0, 1
            FROM payment p JOIN (SELECT payment_id FROM attempt WHERE operation IN {_OPS}
                GROUP BY payment_id HAVING COUNT(DISTINCT gateway) > 1) f ON f.payment_id = p.id
        ) x GROUP BY {_ATTEMPT_KEYS}""",
    ]


BY_DIALECT = {"postgres": _postgres(), "sqlite": _sqlite()}
