"""peewee models: the tables ``store/migrations`` creates, and only those.

Card data: ``card_ciphertext`` holds the AES-GCM encrypted PAN (``store.vault``),
``cvc_ciphertext`` the encrypted CVC until the first authorization attempt ends.
"""

import datetime

import orjson
import peewee

from store.db import database


def utcnow() -> datetime.datetime:
    return datetime.datetime.now(datetime.UTC).replace(tzinfo=None)


class JSONField(peewee.TextField):
    def db_value(self, value: object) -> str | None:
        return None if value is None else orjson.dumps(value).decode()

    def python_value(self, value: str | None) -> object:
        return None if value is None else orjson.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False
        only_save_dirty = True  # an UPDATE names what changed, not all thirty columns


class Merchant(BaseModel):
    """A tenant and its settings (``store.merchants``).  The lists are JSON; NULL means "not set": every
    ISO 4217 currency is accepted, ``PAYWAVE_ROUTE`` routes."""

    id = peewee.TextField(primary_key=True)  # mer_… (ids seen before 0011 keep their form)
    created_at = peewee.DateTimeField(default=utcnow)
    display_name = peewee.TextField()
    default_currency = peewee.TextField(default="USD")  # dashboards and reports; never a payment's
    accepted_currencies = JSONField(null=True)
    route = JSONField(null=True)  # gateway names, in order
    statement_descriptor = peewee.TextField(null=True)  # stored; not sent to a gateway yet
    settings = JSONField(default=dict)  # {section: value}: sections later issues add, no migration each
    deleted_at = peewee.DateTimeField(null=True)  # its credentials are refused from then on
    raw_card_data = peewee.BooleanField(default=True)  # may POST /payments send a card number (SAQ D)?


class Payment(BaseModel):
    id = peewee.TextField(primary_key=True)
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField(default=True)  # False: a test object (test credentials, sandbox gateways)
    status = peewee.TextField()
    amount = peewee.BigIntegerField()
    amount_captured = peewee.BigIntegerField(default=0)
    amount_refunded = peewee.BigIntegerField(default=0)
    currency = peewee.TextField()
    capture = peewee.TextField()  # automatic | manual
    gateway_preference = peewee.TextField(null=True)
    route = peewee.TextField()  # comma-separated gateways, decided at creation
    gateway = peewee.TextField(null=True)  # the gateway that holds (or last tried) the payment
    gateway_reference = peewee.TextField(null=True)
    pending_operation = peewee.TextField(null=True)  # capture | cancel while its job runs
    amount_to_capture = peewee.BigIntegerField(null=True)
    description = peewee.TextField(null=True)
    metadata = JSONField(default=dict)
    customer = peewee.TextField(null=True)
    failure_code = peewee.TextField(null=True)
    failure_message = peewee.TextField(null=True)
    disputed = peewee.BooleanField(default=False)
    method = peewee.TextField(default="card")  # store.states.PaymentMethod
    method_id = peewee.TextField(null=True)  # the gateway's own method (pm_…) for stripe_payment_method
    card_brand = peewee.TextField(null=True)  # card columns: NULL for a method without a card
    card_last4 = peewee.TextField(null=True)
    card_exp_month = peewee.IntegerField(null=True)
    card_exp_year = peewee.IntegerField(null=True)
    card_fingerprint = peewee.TextField(null=True)
    card_key_id = peewee.TextField(null=True)
    card_ciphertext = peewee.TextField(null=True)
    cvc_ciphertext = peewee.TextField(null=True)
    card_token = peewee.TextField(null=True)  # tok_… paid with: the id the sealed card is bound to
    version = peewee.IntegerField(default=1)  # bumped on every change; orders cache writes
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    review_reason = peewee.TextField(null=True)  # why it awaits a person (requires_review); kept once settled
    return_url = peewee.TextField(null=True)  # where the customer comes back after a 3-D Secure challenge
    next_action = JSONField(null=True)  # what the customer must do while requires_action
    action_expires_at = peewee.DateTimeField(null=True)  # requires_action is canceled past it
    customer_details = JSONField(null=True)  # {email, ip_address, name, phone}: erased with the customer
    billing_address = JSONField(null=True)  # Stripe's address shape; erased with the customer
    shipping = JSONField(null=True)  # {name, address}; erased with the customer
    card_bin = peewee.TextField(null=True)  # the card number's first 6 digits (vault.BIN_DIGITS), never more
    risk = JSONField(null=True)  # the fraud decision taken before any gateway call (workers.radar)


class Attempt(BaseModel):
    """One call to a gateway for a payment (authorize/charge, capture, void, refund, update)."""

    id = peewee.TextField(primary_key=True)
    payment_id = peewee.TextField()
    number = peewee.IntegerField()
    gateway = peewee.TextField()
    operation = peewee.TextField()
    idempotency_key = peewee.TextField()
    status = peewee.TextField()  # started | succeeded | declined | error | unknown
    amount = peewee.BigIntegerField(null=True)
    gateway_reference = peewee.TextField(null=True)
    error_class = peewee.TextField(null=True)
    error_code = peewee.TextField(null=True)
    error_message = peewee.TextField(null=True)
    latency_ms = peewee.IntegerField(null=True)
    tries = peewee.IntegerField(default=0)  # calls made with this attempt's idempotency key
    request = JSONField(null=True)  # description and metadata as first sent: every try sends them
    trace_id = peewee.TextField(null=True)  # the trace it ran in, when tracing is on (shared.tracing)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class Refund(BaseModel):
    id = peewee.TextField(primary_key=True)
    payment_id = peewee.TextField()
    merchant_id = peewee.TextField()
    amount = peewee.BigIntegerField()
    livemode = peewee.BooleanField(default=True)  # its payment's
    currency = peewee.TextField()
    status = peewee.TextField()  # pending | succeeded | failed
    reason = peewee.TextField(null=True)
    gateway_reference = peewee.TextField(null=True)
    failure_code = peewee.TextField(null=True)
    failure_message = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class IdempotencyRecord(BaseModel):
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField(default=True)  # a key is per merchant and mode
    key = peewee.TextField()
    request_hash = peewee.TextField()
    state = peewee.TextField()  # in_progress | done
    response_status = peewee.IntegerField(null=True)
    response_body = peewee.TextField(null=True)
    response_location = peewee.TextField(null=True)
    claimer_pid = peewee.IntegerField(null=True)  # the Postgres backend of the request holding the claim
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()

    class Meta:
        primary_key = peewee.CompositeKey("merchant_id", "livemode", "key")


class OutboxJob(BaseModel):
    """A queue message written with the change that caused it, published after commit."""

    id = peewee.BigAutoField()
    queue_name = peewee.TextField()
    actor_name = peewee.TextField()
    args = JSONField()
    created_at = peewee.DateTimeField(default=utcnow)
    published_at = peewee.DateTimeField(null=True)
    traceparent = peewee.TextField(null=True)  # the W3C trace context it was written in (shared.tracing)


class Event(BaseModel):
    id = peewee.TextField(primary_key=True)
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField(default=True)  # its payment's; only endpoints of that mode receive it
    type = peewee.TextField()
    payment_id = peewee.TextField(null=True)
    data = JSONField()
    created_at = peewee.DateTimeField(default=utcnow)


MODELS = [Merchant, Payment, Attempt, Refund, IdempotencyRecord, OutboxJob, Event]


class GatewayEvent(BaseModel):
    """A webhook event from a gateway, stored once per ``(gateway, event_id, digest)``: the id is only
    claimed by the sender, the body is what a signature proves.

    ``payload`` is the raw body as delivered (PayPal verifies those exact bytes); ``headers``
    keeps only the headers PayPal's verification needs; gateway events carry no card numbers.
    """

    gateway = peewee.TextField()
    event_id = peewee.TextField()
    digest = peewee.TextField()  # SHA-256 of the payload (hex); empty for rows older than m0009
    type = peewee.TextField()
    payment_id = peewee.TextField(null=True)  # ours, when the event names a payment we hold
    status = peewee.TextField()  # received | applied | ignored | rejected
    detail = peewee.TextField(null=True)  # why it was ignored or rejected
    transmission_id = peewee.TextField(null=True)  # PayPal's per-delivery id
    headers = JSONField(null=True)
    payload = peewee.TextField()
    received_at = peewee.DateTimeField(default=utcnow)
    swept_at = peewee.DateTimeField(null=True)  # last queued again by the sweeper
    applied_at = peewee.DateTimeField(null=True)

    class Meta:
        primary_key = peewee.CompositeKey("gateway", "event_id", "digest")


MODELS.append(GatewayEvent)


class WebhookEndpoint(BaseModel):
    """A merchant's URL for events; the signing secret only as vault ciphertext.

    During a rotation the previous secret stays valid (and signs too) until
    ``previous_secret_expires_at``.
    """

    id = peewee.TextField(primary_key=True)
    merchant_id = peewee.TextField()
    url = peewee.TextField()
    livemode = peewee.BooleanField(default=True)  # receives only the events of its mode
    description = peewee.TextField(null=True)
    enabled_events = JSONField()  # event types, or ["*"]
    status = peewee.TextField()  # enabled | disabled
    disabled_reason = peewee.TextField(null=True)
    secret_key_id = peewee.TextField()
    secret_ciphertext = peewee.TextField()
    previous_secret_key_id = peewee.TextField(null=True)
    previous_secret_ciphertext = peewee.TextField(null=True)
    previous_secret_expires_at = peewee.DateTimeField(null=True)
    failing_since = peewee.DateTimeField(null=True)  # first failed attempt since the last success
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class WebhookDelivery(BaseModel):
    """One event to one endpoint, attempted on the retry schedule."""

    id = peewee.TextField(primary_key=True)
    event_id = peewee.TextField()
    endpoint_id = peewee.TextField()
    status = peewee.TextField()  # pending | succeeded | failed | canceled
    attempt_count = peewee.IntegerField(default=0)
    next_attempt_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class WebhookAttempt(BaseModel):
    id = peewee.BigAutoField()
    delivery_id = peewee.TextField()
    number = peewee.IntegerField()
    status_code = peewee.IntegerField(null=True)  # null: no HTTP answer (see error)
    latency_ms = peewee.IntegerField()
    response_snippet = peewee.TextField(null=True)  # at most 1 KiB of the answer
    error = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)


MODELS += [WebhookEndpoint, WebhookDelivery, WebhookAttempt]


class AuditEvent(BaseModel):
    """One write by someone (``store.audit``): append-only, a trigger refuses UPDATE, DELETE and TRUNCATE."""

    id = peewee.BigAutoField()
    created_at = peewee.DateTimeField(default=utcnow)
    merchant_id = peewee.TextField(null=True)  # None: no merchant known (a failed login for an unknown email)
    actor_type = peewee.TextField()  # user | api_key | service | operator | anonymous | system
    actor_id = peewee.TextField(null=True)
    action = peewee.TextField()  # <object>.<verb>: payment.created, api_key.revoked, user.login_failed
    object_id = peewee.TextField(null=True)
    request_id = peewee.TextField(null=True)
    ip = peewee.TextField(null=True)
    user_agent = peewee.TextField(null=True)
    summary = JSONField(default=dict)  # {"before": {...}, "after": {...}}: no secret, no card data


MODELS.append(AuditEvent)


# --- customers (store.customers) ---------------------------------------------


class Customer(BaseModel):
    """A merchant's customer.  Deleting one erases its personal data (email, name, phone, metadata) and keeps
    the row, so its payments still name it."""

    id = peewee.TextField(primary_key=True)  # cus_…
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField(default=True)
    email = peewee.TextField(null=True)
    name = peewee.TextField(null=True)
    phone = peewee.TextField(null=True)
    metadata = JSONField(default=dict)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)
    deleted_at = peewee.DateTimeField(null=True)


MODELS.append(Customer)

# --- API keys (issue 13) ---


class ApiKey(BaseModel):
    """A merchant's secret key (``store.api_keys``): the secret itself is never stored, only its HMAC."""

    id = peewee.TextField(primary_key=True)  # key_…
    merchant_id = peewee.TextField()
    name = peewee.TextField()
    livemode = peewee.BooleanField()  # a test key never moves real money
    type = peewee.TextField(default="secret")
    prefix = peewee.TextField()  # sk_test_ | sk_live_ | pk_test_ | pk_live_
    last4 = peewee.TextField()  # the secret's last four characters, to tell keys apart
    digest = peewee.TextField(unique=True)  # HMAC-SHA256 of the secret under PAYWAVE_API_KEY_DIGEST_KEY
    scopes = JSONField()  # a subset of ingress.permissions.SCOPES
    created_by = peewee.TextField()  # <principal kind>:<id>, or cli:<OS user>
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField(null=True)
    last_used_at = peewee.DateTimeField(null=True)  # written at most once a minute per key
    revoked_at = peewee.DateTimeField(null=True)
    rolled_to = peewee.TextField(null=True)  # the key that replaced it


MODELS.append(ApiKey)


# Users, memberships, invitations and sessions (issue 13, helper A: migration 0014).


class User(BaseModel):
    """A person who logs in (``store.users``); ``email`` is kept lowercased and unique."""

    id = peewee.TextField(primary_key=True)  # usr_…
    email = peewee.TextField()
    name = peewee.TextField(null=True)
    password_hash = peewee.TextField()  # Argon2id, parameters inside (store.passwords)
    totp_key_id = peewee.TextField(null=True)  # the vault's symmetric key that sealed the TOTP secret
    totp_ciphertext = peewee.TextField(null=True)  # set at setup; enabled only once a code confirms it
    totp_enabled = peewee.BooleanField(default=False)
    failed_logins = peewee.IntegerField(default=0)  # wrong passwords since the last login: for operators
    last_failed_login_at = peewee.DateTimeField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        table_name = "app_user"  # "user" is reserved in Postgres


class Membership(BaseModel):
    """A user's role for one merchant."""

    id = peewee.BigAutoField()
    user_id = peewee.TextField()
    merchant_id = peewee.TextField()
    role = peewee.TextField()  # a key of ingress.permissions.ROLES
    created_at = peewee.DateTimeField(default=utcnow)


class Invitation(BaseModel):
    """An invitation to join a merchant with a role; its token is kept as a SHA-256 digest only."""

    id = peewee.TextField(primary_key=True)  # inv_…
    merchant_id = peewee.TextField()
    email = peewee.TextField()
    role = peewee.TextField()
    token_digest = peewee.TextField()
    invited_by = peewee.TextField(null=True)  # the actor's id
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    accepted_at = peewee.DateTimeField(null=True)


class AuthSession(BaseModel):
    """One login: a family of refresh tokens, revoked together (logout, reuse of a rotated token)."""

    id = peewee.TextField(primary_key=True)  # ses_…, the access token's ``sid``
    user_id = peewee.TextField()
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()  # the family's end: refreshing does not extend it
    revoked_at = peewee.DateTimeField(null=True)


class RefreshToken(BaseModel):
    """One refresh token of a session, kept as a SHA-256 digest; ``rotated_at`` once exchanged."""

    id = peewee.BigAutoField()
    session_id = peewee.TextField()
    token_digest = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)
    rotated_at = peewee.DateTimeField(null=True)


MODELS += [User, Membership, Invitation, AuthSession, RefreshToken]

# --- Card tokens (issue 14, slice A) ---


class CardToken(BaseModel):
    """A card sealed by the vault for one later payment (``store.tokens``): bound to its id, single use."""

    id = peewee.TextField(primary_key=True)  # tok_…
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    card_brand = peewee.TextField()
    card_last4 = peewee.TextField()
    card_exp_month = peewee.IntegerField()
    card_exp_year = peewee.IntegerField()
    card_fingerprint = peewee.TextField()
    card_key_id = peewee.TextField()
    card_ciphertext = peewee.TextField()
    cvc_ciphertext = peewee.TextField(null=True)
    card_bin = peewee.TextField(null=True)  # NULL for tokens sealed before migration 0024
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()
    used_at = peewee.DateTimeField(null=True)  # set in the paying payment's transaction


MODELS.append(CardToken)

# --- Fraud rules (issue 15: store.radar, migration 0023) ---


class RadarRule(BaseModel):
    """A merchant's rule: ``action`` when ``predicate`` (``shared.radar.language``) holds."""

    id = peewee.TextField(primary_key=True)  # rule_…
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    action = peewee.TextField()  # request_3ds | allow | block | review
    predicate = peewee.TextField()  # checked against the catalogue and the lists when written
    description = peewee.TextField(null=True)
    enabled = peewee.BooleanField()
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class RadarBuiltinRule(BaseModel):
    """A merchant's setting of a built-in rule (``shared.radar.decide.BUILTINS``); none: the defaults."""

    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    rule_id = peewee.TextField()  # rule_default_…
    enabled = peewee.BooleanField()
    threshold = peewee.BigIntegerField(null=True)  # None: the built-in default
    updated_at = peewee.DateTimeField(default=utcnow)

    class Meta:
        primary_key = peewee.CompositeKey("merchant_id", "livemode", "rule_id")


class RadarValueList(BaseModel):
    """Values a rule tests with ``in @alias``; ``alias`` is unique per merchant and mode."""

    id = peewee.TextField(primary_key=True)  # rsl_…
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    list_alias = peewee.TextField(column_name="alias")  # not ``alias``: peewee's Model.alias() is taken
    item_type = peewee.TextField()  # shared.radar.attributes.LIST_TYPES
    name = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


class RadarValueListItem(BaseModel):
    """One value of a list, as ``shared.radar.attributes.normalize`` makes it; unique in its list."""

    id = peewee.TextField(primary_key=True)  # rsli_…
    value_list_id = peewee.TextField()
    value = peewee.TextField()
    created_at = peewee.DateTimeField(default=utcnow)


MODELS += [RadarRule, RadarBuiltinRule, RadarValueList, RadarValueListItem]


# --- Fraud reviews (issue 15: store.reviews, migration 0025) ---


class Review(BaseModel):
    """A payment a ``review`` rule matched (or a person flagged), awaiting approval or rejection."""

    id = peewee.TextField(primary_key=True)  # rev_…
    payment_id = peewee.TextField()
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    reason = peewee.TextField()  # the rule's id, or "manual"
    open = peewee.BooleanField()
    closed_reason = peewee.TextField(null=True)  # approved | refunded | canceled
    created_at = peewee.DateTimeField(column_name="opened_at")  # named so for store.pages
    closed_at = peewee.DateTimeField(null=True)


MODELS.append(Review)


# --- Fraud labels (issue 15: store.radar.label_fraud, migration 0026) ---


class FraudLabel(BaseModel):
    """A card, email or IP address (``dimension``, by ``digest``) of a payment disputed or refunded as
    fraud."""

    payment_id = peewee.TextField()
    dimension = peewee.TextField()  # card | email | ip
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    digest = peewee.TextField()
    source = peewee.TextField()  # disputed | refunded_as_fraud | review_rejected
    created_at = peewee.DateTimeField()

    class Meta:
        primary_key = peewee.CompositeKey("payment_id", "dimension")
        table_name = "fraud_label"


class CardFacts(BaseModel):
    """A card's issuing ``country`` and ``funding`` as a gateway last told them (``store.radar``)."""

    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    card_fingerprint = peewee.TextField()
    country = peewee.TextField(null=True)  # ISO 3166 alpha-2
    funding = peewee.TextField(null=True)  # credit | debit | prepaid | unknown
    gateway = peewee.TextField()
    learned_at = peewee.DateTimeField()

    class Meta:
        primary_key = peewee.CompositeKey("merchant_id", "livemode", "card_fingerprint")
        table_name = "card_facts"


MODELS += [FraudLabel, CardFacts]


# --- Payer notifications (issue 16: store.notifications, migration 0028) ---


class Notification(BaseModel):
    """One message to a payment's customer about one event, on one channel (``email``)."""

    id = peewee.TextField(primary_key=True)  # ntf_…
    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    payment_id = peewee.TextField()
    event_id = peewee.TextField()
    event_type = peewee.TextField()
    channel = peewee.TextField()
    recipient = peewee.TextField(null=True)  # personal data: None once its customer is erased
    status = peewee.TextField()  # queued | sent | failed
    attempts = peewee.IntegerField(default=0)
    subject = peewee.TextField(null=True)  # as rendered by the last attempt
    smtp_code = peewee.IntegerField(null=True)  # the server's last answer, or None (no answer: connection)
    smtp_message = peewee.TextField(null=True)
    message_id = peewee.TextField(null=True)  # the Message-ID every attempt sent (message_id_for)
    next_attempt_at = peewee.DateTimeField(null=True)  # a claimed attempt's lease, or the retry's due time
    created_at = peewee.DateTimeField()
    sent_at = peewee.DateTimeField(null=True)


MODELS.append(Notification)


# --- Dashboard rollups (store.rollups, migration 0031) ---


class Rollup(BaseModel):
    """What every rollup is keyed by first: a merchant, a mode and an hour of payments' ``created_at``."""

    merchant_id = peewee.TextField()
    livemode = peewee.BooleanField()
    hour = peewee.DateTimeField()


class PaymentRollup(Rollup):
    """Payments per merchant, mode, hour of ``created_at``, status and currency; with what they captured and
    refunded.  Exact once its ``PaymentRollupDelta`` rows are added (``store.rollups``)."""

    status = peewee.TextField()
    currency = peewee.TextField()
    payments = peewee.BigIntegerField()
    captured = peewee.BigIntegerField()
    refunded = peewee.BigIntegerField()

    class Meta:
        primary_key = peewee.CompositeKey("merchant_id", "livemode", "hour", "status", "currency")


class PaymentRollupDelta(PaymentRollup):
    """Signed changes to ``PaymentRollup`` written by triggers, not yet folded in."""

    class Meta:
        primary_key = False


class AttemptRollup(Rollup):
    """Authorizations per merchant, mode, hour of their payment's ``created_at``, gateway, status and decline
    ``reason`` ('' unless declined), with their latencies' total over the ``timed`` ones; ``fallbacks``: the
    payments tried at a second gateway (summed over any key of their hour)."""

    gateway = peewee.TextField()
    status = peewee.TextField()
    reason = peewee.TextField()
    attempts = peewee.BigIntegerField()
    latency_total = peewee.BigIntegerField()
    timed = peewee.BigIntegerField()
    fallbacks = peewee.BigIntegerField()

    class Meta:
        primary_key = peewee.CompositeKey("merchant_id", "livemode", "hour", "gateway", "status", "reason")


class AttemptRollupDelta(AttemptRollup):
    """Signed changes to ``AttemptRollup`` written by triggers, not yet folded in."""

    class Meta:
        primary_key = False


MODELS += [PaymentRollup, PaymentRollupDelta, AttemptRollup, AttemptRollupDelta]
