"""peewee models: the tables ``store/migrations`` creates, and only those.

Card data: ``card_ciphertext`` holds the AES-GCM encrypted PAN (``store.vault``),
``cvc_ciphertext`` the encrypted CVC until the first authorization attempt ends.
"""
import datetime

import orjson
import peewee

from store.db import database


def utcnow():
    return datetime.datetime.now(datetime.timezone.utc).replace(tzinfo=None)


class JSONField(peewee.TextField):
    def db_value(self, value):
        return None if value is None else orjson.dumps(value).decode()

    def python_value(self, value):
        return None if value is None else orjson.loads(value)


class BaseModel(peewee.Model):
    class Meta:
        database = database
        legacy_table_names = False


class Merchant(BaseModel):
    id = peewee.TextField(primary_key=True)
    created_at = peewee.DateTimeField(default=utcnow)


class Payment(BaseModel):
    id = peewee.TextField(primary_key=True)
    merchant_id = peewee.TextField()
    status = peewee.TextField()
    amount = peewee.BigIntegerField()
    amount_captured = peewee.BigIntegerField(default=0)
    amount_refunded = peewee.BigIntegerField(default=0)
    currency = peewee.TextField()
    capture = peewee.TextField()                # automatic | manual
    gateway_preference = peewee.TextField(null=True)
    route = peewee.TextField()                  # comma-separated gateways, decided at creation
    gateway = peewee.TextField(null=True)       # the gateway that holds (or last tried) the payment
    gateway_reference = peewee.TextField(null=True)
    pending_operation = peewee.TextField(null=True)   # capture | cancel while its job runs
    amount_to_capture = peewee.BigIntegerField(null=True)
    description = peewee.TextField(null=True)
    metadata = JSONField(default=dict)
    customer = peewee.TextField(null=True)
    failure_code = peewee.TextField(null=True)
    failure_message = peewee.TextField(null=True)
    disputed = peewee.BooleanField(default=False)
    card_brand = peewee.TextField()
    card_last4 = peewee.TextField()
    card_exp_month = peewee.IntegerField()
    card_exp_year = peewee.IntegerField()
    card_fingerprint = peewee.TextField()
    card_key_id = peewee.TextField()
    card_ciphertext = peewee.TextField()
    cvc_ciphertext = peewee.TextField(null=True)
    version = peewee.IntegerField(default=1)    # bumped on every change; orders cache writes
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class Attempt(BaseModel):
    """One call to a gateway for a payment (authorize/charge, capture, void, refund, update)."""

    id = peewee.TextField(primary_key=True)
    payment_id = peewee.TextField()
    number = peewee.IntegerField()
    gateway = peewee.TextField()
    operation = peewee.TextField()
    idempotency_key = peewee.TextField()
    status = peewee.TextField()           # started | succeeded | declined | error | unknown
    amount = peewee.BigIntegerField(null=True)
    gateway_reference = peewee.TextField(null=True)
    error_class = peewee.TextField(null=True)
    error_code = peewee.TextField(null=True)
    error_message = peewee.TextField(null=True)
    latency_ms = peewee.IntegerField(null=True)
    tries = peewee.IntegerField(default=0)   # calls made with this attempt's idempotency key
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class Refund(BaseModel):
    id = peewee.TextField(primary_key=True)
    payment_id = peewee.TextField()
    merchant_id = peewee.TextField()
    amount = peewee.BigIntegerField()
    currency = peewee.TextField()
    status = peewee.TextField()           # pending | succeeded | failed
    reason = peewee.TextField(null=True)
    gateway_reference = peewee.TextField(null=True)
    failure_code = peewee.TextField(null=True)
    failure_message = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    updated_at = peewee.DateTimeField(default=utcnow)


class IdempotencyRecord(BaseModel):
    merchant_id = peewee.TextField()
    key = peewee.TextField()
    request_hash = peewee.TextField()
    state = peewee.TextField()            # in_progress | done
    response_status = peewee.IntegerField(null=True)
    response_body = peewee.TextField(null=True)
    response_location = peewee.TextField(null=True)
    created_at = peewee.DateTimeField(default=utcnow)
    expires_at = peewee.DateTimeField()

    class Meta:
        primary_key = peewee.CompositeKey("merchant_id", "key")


class OutboxJob(BaseModel):
    """A queue message written with the change that caused it, published after commit."""

    id = peewee.BigAutoField()
    queue_name = peewee.TextField()
    actor_name = peewee.TextField()
    args = JSONField()
    created_at = peewee.DateTimeField(default=utcnow)
    published_at = peewee.DateTimeField(null=True)


class Event(BaseModel):
    id = peewee.TextField(primary_key=True)
    merchant_id = peewee.TextField()
    type = peewee.TextField()
    payment_id = peewee.TextField(null=True)
    data = JSONField()
    created_at = peewee.DateTimeField(default=utcnow)


MODELS = [Merchant, Payment, Attempt, Refund, IdempotencyRecord, OutboxJob, Event]
