"""Fraud rules (issue 15, ``store.radar``): a merchant's rules and value lists, per mode, and its settings of
the built-in rules (``shared.radar.decide.BUILTINS``: a row only once a merchant changed one)."""

STATEMENTS = [
    """CREATE TABLE radar_rule (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        action TEXT NOT NULL,
        predicate TEXT NOT NULL,
        description TEXT,
        enabled {bool} NOT NULL,
        created_at TIMESTAMP NOT NULL,
        updated_at TIMESTAMP NOT NULL
    )""",
    "CREATE INDEX radar_rule_merchant_created ON radar_rule (merchant_id, livemode, created_at, id)",
    """CREATE TABLE radar_builtin_rule (
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        rule_id TEXT NOT NULL,
        enabled {bool} NOT NULL,
        threshold {bigint},
        updated_at TIMESTAMP NOT NULL,
        PRIMARY KEY (merchant_id, livemode, rule_id)
    )""",
    """CREATE TABLE radar_value_list (
        id TEXT PRIMARY KEY,
        merchant_id TEXT NOT NULL,
        livemode {bool} NOT NULL,
        alias TEXT NOT NULL,
        item_type TEXT NOT NULL,
        name TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL
    )""",
    "CREATE UNIQUE INDEX radar_value_list_alias ON radar_value_list (merchant_id, livemode, alias)",
    "CREATE INDEX radar_value_list_merchant_created"
    " ON radar_value_list (merchant_id, livemode, created_at, id)",
    """CREATE TABLE radar_value_list_item (
        id TEXT PRIMARY KEY,
        value_list_id TEXT NOT NULL,
        value TEXT NOT NULL,
        created_at TIMESTAMP NOT NULL
    )""",
    "CREATE UNIQUE INDEX radar_value_list_item_value ON radar_value_list_item (value_list_id, value)",
    "CREATE INDEX radar_value_list_item_created ON radar_value_list_item (value_list_id, created_at, id)",
]
