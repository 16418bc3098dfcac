"""The OpenAPI 3.1 contract, served at ``/openapi.json`` and checked by the tests."""

from typing import Any

from gateways import registry
from ingress import permissions, validation
from ingress.resources import radar
from ingress.resources.common import ID_FORMS
from ingress.resources.users import PASSWORD_MAX
from shared import notifications as notification_events
from shared.csv_export import EXPORT_FORMATS
from shared.queues import GATEWAYS
from shared.radar import language
from shared.radar.attributes import LIST_TYPES
from shared.radar.decide import ACTIONS
from store.audit import ACTOR_TYPES
from store.events import TEST, TYPES
from store.states import SETTLED, AttemptStatus, DeliveryStatus, PaymentMethod, PaymentStatus, RefundStatus
from store.vault import CARD_BRANDS

_ERROR = {"$ref": "#/components/responses/Problem"}


def _path_id(name, what):
    """The path parameter ``name``: an id of the form ``ingress.resources.common.ID_FORMS`` knows."""
    pattern = ID_FORMS[name].pattern
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id (`{pattern.split('_')[0]}_…`).",
        "schema": {"type": "string", "pattern": f"^{pattern}$"},
    }


_ID = _path_id("payment_id", "payment")
_IDEMPOTENCY = {
    "name": "Idempotency-Key",
    "in": "header",
    "required": False,
    "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
    "description": "1 to 255 printable ASCII characters; replays return the first response for 24 hours.",
}
_ENDPOINT_ID = _path_id("endpoint_id", "endpoint")
_REFUND_ID = _path_id("refund_id", "refund")
_EVENT_ID = _path_id("event_id", "event")
_KEY_ID = _path_id("key_id", "key")


def _nullable(description):
    return {"type": ["string", "null"], "description": description}


def _time(description):
    return {"type": "string", "format": "date-time", "description": description + " (UTC, ISO 8601)."}


def _string(description, **schema):
    return {"type": "string", "description": description, **schema}


def _const(value):
    return {"const": value, "description": f"Always `{value}`."}


#: Every object a merchant's credential creates or lists: which mode it belongs to.
LIVEMODE = {
    "type": "boolean",
    "description": "false: a test object, seen only by test credentials and charged only with the gateways' "
    "test credentials; true: live.",
}


def _json(ref):
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes):
    return {str(code): _ERROR for code in codes}


CARD: dict[str, Any] = {
    "type": "object",
    "required": ["brand", "last4", "exp_month", "exp_year"],
    "additionalProperties": False,
    "description": "The card, without its number or CVC.",
    "properties": {
        "brand": _string("Card network, e.g. `visa`."),
        "last4": _string("Last four digits of the number.", pattern="^[0-9]{4}$"),
        "exp_month": {"type": "integer", "description": "Expiry month, 1 to 12."},
        "exp_year": {"type": "integer", "description": "Expiry year, four digits."},
    },
}

ADDRESS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "An address as Stripe shapes one; every field optional.",
    "properties": {
        "line1": _string("Street, PO box or company name.", maxLength=validation.ADDRESS_LINE_MAX),
        "line2": _string("Apartment, suite, unit or building.", maxLength=validation.ADDRESS_LINE_MAX),
        "city": _string("City, district, suburb, town or village.", maxLength=validation.ADDRESS_LINE_MAX),
        "state": _string("State, county, province or region.", maxLength=validation.ADDRESS_LINE_MAX),
        "postal_code": _string("Postal code.", maxLength=validation.POSTAL_CODE_MAX),
        "country": _string("ISO 3166 alpha-2 (any case in, uppercase out).", pattern="^[A-Za-z]{2}$"),
    },
}
CUSTOMER_DETAILS: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "description": "Who pays, as the merchant saw them: fraud rules read `:email:`, `:email_domain:` and "
    "`:ip_address:`. Personal data: erased when the payment's `customer` is deleted.",
    "properties": {
        "email": _string("Email address.", maxLength=validation.EMAIL_MAX, format="email"),
        "ip_address": _string("The customer's IPv4 or IPv6 address (stored in its compressed form)."),
        "name": _string("Full name.", maxLength=validation.NAME_MAX),
        "phone": _string("Phone number in E.164 form (`+14155550123`).", pattern=f"^{validation.PHONE}$"),
    },
}
SHIPPING: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["address"],
    "description": "Where the goods go. Erased when the payment's `customer` is deleted.",
    "properties": {"name": _string("Recipient.", maxLength=validation.NAME_MAX), "address": ADDRESS},
}
RISK: dict[str, Any] = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "description": "The fraud decision, taken before any gateway call (null until then, or for payments "
    "older than it). See README, Fraud rules.",
    "required": ["score", "level", "rule", "request_3ds", "three_d_secure", "reasons", "missing", "signals"],
    "properties": {
        "score": {"type": "integer", "minimum": 0, "maximum": 100, "description": "The risk score."},
        "level": {"enum": ["normal", "elevated", "highest"], "description": "The score's level."},
        "rule": {
            "type": ["object", "null"],
            "description": "The rule that decided (allow, block or review); null: none matched.",
            "additionalProperties": False,
            "required": ["id", "action", "predicate"],
            "properties": {
                "id": _string("`rule_…`, or a built-in rule's id."),
                "action": {"enum": ["allow", "block", "review"], "description": "What it decided."},
                "predicate": _string("The predicate as it was when it decided."),
            },
        },
        "request_3ds": {"type": "boolean", "description": "A `request_3ds` rule matched."},
        "three_d_secure": {
            "enum": ["requested", "skipped: no customer present", None],
            "description": "What came of `request_3ds`: asked of the gateway, or skipped (no `return_url`).",
        },
        "reasons": {"type": "array", "items": {"type": "string"}, "description": "Why, for a person."},
        "missing": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Attributes the score or a rule needed and the signals lacked.",
        },
        "degraded": {
            "type": "boolean",
            "description": "The velocity counters were unreachable: only rules needing none could match.",
        },
        "signals": {
            "type": "object",
            "description": "The attributes as they were (`:name:` without colons), read by the backtest.",
        },
    },
}

PAYMENT: dict[str, Any] = {
    "type": "object",
    "required": [
        "id",
        "object",
        "livemode",
        "status",
        "amount",
        "amount_captured",
        "amount_refunded",
        "currency",
        "capture",
        "gateway",
        "attempts",
        "failure_code",
        "failure_message",
        "method",
        "payment_method",
        "card",
        "description",
        "metadata",
        "customer",
        "disputed",
        "created_at",
        "updated_at",
        "review_reason",
        "return_url",
        "next_action",
        "customer_details",
        "billing_address",
        "shipping",
        "risk",
    ],
    "additionalProperties": False,
    "properties": {
        "id": _string("Unique id, `pay_` and 24 characters.", pattern="^pay_"),
        "object": _const("payment"),
        "livemode": LIVEMODE,
        "status": {
            "enum": list(PaymentStatus),
            "description": "pending → processing → succeeded | requires_capture | failed; processing → "
            "requires_action (the customer must act: `next_action`) → processing | canceled "
            "(`action_expired`, or the merchant's cancel); requires_capture → succeeded | canceled; "
            "pending → canceled, or failed (`blocked` by a fraud rule); pending, processing or "
            "requires_capture → requires_review (awaits a person). Only moves forward.",
        },
        "amount": {
            "type": "integer",
            "minimum": 1,
            "description": "Amount to charge, in the currency's minor units.",
        },
        "amount_captured": {
            "type": "integer",
            "minimum": 0,
            "description": "Captured so far, in minor units.",
        },
        "amount_refunded": {
            "type": "integer",
            "minimum": 0,
            "description": "Refunded so far, in minor units; never more than amount_captured.",
        },
        "currency": _string("ISO 4217 code, upper case.", pattern="^[A-Z]{3}$"),
        "capture": {
            "enum": ["automatic", "manual"],
            "description": "automatic: charged at once; manual: authorized, captured by a later call.",
        },
        "gateway": _nullable("The gateway that holds the money (`stripe` or `paypal`), once one answered."),
        "attempts": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/Attempt"},
            "description": "Every gateway call made for the payment, oldest first.",
        },
        "failure_code": _nullable("Why the payment failed (the gateway's decline code), when it did."),
        "failure_message": _nullable("A human-readable reason for the failure."),
        "method": {
            "enum": list(PaymentMethod),
            "description": "How it is paid: `card` (a card number sent, or a token), `paypal` (the buyer "
            "approves on PayPal's page) or `stripe_payment_method` (a Stripe PaymentMethod).",
        },
        "payment_method": {
            "type": "object",
            "additionalProperties": False,
            "required": ["type"],
            "description": "The `payment_method` the payment was created with, without card number or CVC.",
            "properties": {
                "type": {
                    "enum": ["card", "token", "paypal", "stripe_payment_method"],
                    "description": "As sent: `card` and `token` carry `card`; `stripe_payment_method` "
                    "carries `id`.",
                },
                "card": CARD,
                "token": _string("The token it was paid with (`tok_…`)."),
                "id": _string("The Stripe PaymentMethod charged (`pm_…`)."),
            },
        },
        "card": {
            **CARD,
            "type": ["object", "null"],
            "description": "The card, without its number or CVC (also in `payment_method`); null for a "
            "method without one.",
        },
        "description": _nullable("The merchant's description of the payment."),
        "metadata": {
            "type": "object",
            "additionalProperties": {"type": "string"},
            "description": "The merchant's string keys and values.",
        },
        "customer": _nullable("The customer paying (`cus_…`)."),
        "disputed": {"type": "boolean", "description": "True once the cardholder disputed the charge."},
        "created_at": _time("When the payment was created"),
        "updated_at": _time("When the payment last changed"),
        "review_reason": _nullable(
            "Why it awaits a person (`requires_review`): "
            "`unknown_outcome_past_replay_window` or `dead_lettered`; kept once settled."
        ),
        "return_url": _nullable(
            "Where the customer's browser comes back after a customer action (3-D Secure, PayPal approval)."
        ),
        "next_action": {
            "type": ["object", "null"],
            "description": "What the customer must do while `requires_action` (null otherwise): follow "
            "`redirect_to_url.url`; they come back to `redirect_to_url.return_url`.",
            "additionalProperties": False,
            "required": ["type", "redirect_to_url"],
            "properties": {
                "type": _const("redirect_to_url"),
                "redirect_to_url": {
                    "type": "object",
                    "description": "The page to send the customer to, and where they come back.",
                    "additionalProperties": False,
                    "required": ["url", "return_url"],
                    "properties": {
                        "url": _string("The gateway's page: the 3-D Secure challenge, PayPal's approval."),
                        "return_url": _string("The payment's `return_url`."),
                    },
                },
            },
        },
        "customer_details": {**CUSTOMER_DETAILS, "type": ["object", "null"]},
        "billing_address": {**ADDRESS, "type": ["object", "null"]},
        "shipping": {**SHIPPING, "type": ["object", "null"]},
        "risk": RISK,
    },
}

ATTEMPT = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "gateway",
        "operation",
        "status",
        "amount",
        "error_class",
        "error_code",
        "latency_ms",
        "trace_id",
        "created_at",
    ],
    "properties": {
        "id": _string("Unique id of the attempt."),
        "gateway": _string("`stripe` or `paypal`."),
        "operation": {
            "enum": ["authorize", "charge", "capture", "void", "refund", "update"],
            "description": "What was asked of the gateway.",
        },
        "status": {
            "enum": list(AttemptStatus),
            "description": "unknown: no answer came; PayWave asks the gateway again before anything else.",
        },
        "amount": {"type": ["integer", "null"], "description": "Amount of the call, in minor units."},
        "error_class": _nullable(
            "retryable, unknown_outcome, soft_decline, hard_decline or invalid_request."
        ),
        "error_code": _nullable("The gateway's own error or decline code."),
        "latency_ms": {"type": ["integer", "null"], "description": "How long the gateway took to answer."},
        "trace_id": _nullable(
            "The OpenTelemetry trace the attempt ran in (32 hex digits): open it in the tracing backend to "
            "follow the payment from its request through the queue to the gateway call. Null when PayWave "
            "runs without tracing (no `OTEL_*` exporter configured)."
        ),
        "created_at": _time("When the attempt started"),
    },
}

REFUND = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "livemode",
        "payment_id",
        "amount",
        "currency",
        "status",
        "reason",
        "failure_code",
        "failure_message",
        "created_at",
        "updated_at",
    ],
    "properties": {
        "id": _string("Unique id, `re_` and 24 characters.", pattern="^re_"),
        "object": _const("refund"),
        "livemode": LIVEMODE,
        "payment_id": _string("The payment refunded."),
        "amount": {"type": "integer", "minimum": 1, "description": "Amount refunded, in minor units."},
        "currency": _string("ISO 4217 code, the payment's."),
        "status": {"enum": list(RefundStatus), "description": "pending until the gateway answers."},
        "reason": _nullable(
            "The merchant's reason, as given (`fraudulent` labels the payment's card, email and IP)."
        ),
        "failure_code": _nullable("The gateway's code when the refund failed."),
        "failure_message": _nullable("A human-readable reason for the failure."),
        "created_at": _time("When the refund was requested"),
        "updated_at": _time("When the refund last changed"),
    },
}

EVENT_TYPES = {
    "type": "array",
    "minItems": 1,
    "items": {"enum": [*TYPES, "*"]},
    "description": 'Event types, or `["*"]` for every type.',
}

WEBHOOK_ENDPOINT = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "livemode",
        "url",
        "description",
        "enabled_events",
        "status",
        "disabled_reason",
        "created_at",
    ],
    "properties": {
        "id": _string("Unique id, `we_` and 24 characters.", pattern="^we_"),
        "object": _const("webhook_endpoint"),
        "livemode": LIVEMODE,
        "url": _string("Where events are posted."),
        "description": _nullable("The merchant's description."),
        "enabled_events": EVENT_TYPES,
        "status": {"enum": ["enabled", "disabled"], "description": "Only enabled endpoints receive events."},
        "disabled_reason": _nullable("Why PayWave disabled it (a 410 answer, or failing too long)."),
        "created_at": _time("When the endpoint was created"),
        "secret": {
            "type": "string",
            "pattern": "^whsec_",
            "description": "The signing secret: only in the answers of create and rotate_secret, never again "
            "(an idempotent replay leaves it out).",
        },
    },
}

WEBHOOK_ENDPOINT_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["url", "enabled_events"],
    "properties": {
        "url": {
            "type": "string",
            "maxLength": 2048,
            "description": "https (http only where allowed), no credentials, a host with public addresses.",
        },
        "enabled_events": EVENT_TYPES,
        "description": _string("Free text for the merchant.", maxLength=validation.DESCRIPTION_MAX),
    },
}

WEBHOOK_ENDPOINT_UPDATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["status"],
    "properties": {
        "status": {
            "enum": ["enabled", "disabled"],
            "description": "`disabled`: no more deliveries, its pending ones canceled. `enabled`: deliveries "
            "again (one disabled after failing deliveries starts a new failure streak).",
        },
    },
}

EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "object", "livemode", "type", "created_at", "data"],
    "description": "Also the body of every webhook.",
    "properties": {
        "id": _string(
            "Unique id, `evt_` and 24 characters; the `webhook-id` of its deliveries.", pattern="^evt_"
        ),
        "object": _const("event"),
        "livemode": LIVEMODE,
        "type": {
            "enum": [*TYPES, TEST],
            "description": f"What happened; `{TEST}` is sent by `POST /webhook_endpoints/{{id}}/test` to "
            "that endpoint only (no endpoint subscribes to it).",
        },
        "created_at": _time("When it happened"),
        "data": {
            "oneOf": [
                {"$ref": "#/components/schemas/Payment"},
                {"$ref": "#/components/schemas/Customer"},
                {"$ref": "#/components/schemas/WebhookEndpoint"},
            ],
            "description": "The object as it was then: the payment (`payment.*`), the customer "
            f"(`customer.*`) or the endpoint tested (`{TEST}`).",
        },
    },
}

WEBHOOK_ATTEMPT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["number", "status_code", "latency_ms", "response_snippet", "error", "created_at"],
    "properties": {
        "number": {"type": "integer", "minimum": 1, "description": "1 for the first attempt, then 2, 3…"},
        "status_code": {
            "type": ["integer", "null"],
            "description": "Null when no HTTP answer came (see error).",
        },
        "latency_ms": {
            "type": "integer",
            "minimum": 0,
            "description": "How long the endpoint took to answer.",
        },
        "response_snippet": {
            "type": ["string", "null"],
            "maxLength": 1024,
            "description": "The answer's first 1 KiB.",
        },
        "error": _nullable("Why no answer counted (timeout, refused connection, refused address)."),
        "created_at": _time("When the attempt was made"),
    },
}

WEBHOOK_DELIVERY = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "event_id",
        "endpoint_id",
        "status",
        "next_attempt_at",
        "attempts",
        "created_at",
    ],
    "properties": {
        "id": _string("Unique id, `whd_` and 24 characters.", pattern="^whd_"),
        "object": _const("webhook_delivery"),
        "event_id": _string("The event delivered."),
        "endpoint_id": _string("The endpoint it is delivered to."),
        "status": {
            "enum": list(DeliveryStatus),
            "description": "canceled: its endpoint was deleted or disabled first.",
        },
        "next_attempt_at": {
            "type": ["string", "null"],
            "format": "date-time",
            "description": "When the next attempt is due, while pending.",
        },
        "attempts": {
            "type": "array",
            "items": {"$ref": "#/components/schemas/WebhookAttempt"},
            "description": "Every attempt so far, oldest first.",
        },
        "created_at": _time("When the delivery was created"),
    },
}

METADATA = {
    "type": "object",
    "maxProperties": validation.METADATA_MAX_KEYS,
    "description": f"Your own string keys and values, kept with the payment (no card numbers). At most "
    f"{validation.METADATA_MAX_KEYS} keys: Stripe holds {validation.STRIPE_METADATA_MAX_KEYS}, and "
    f"`{validation.PAYMENT_ID_KEY}` is PayWave's own (refused here: the payment id it sends, which "
    "gateway events are checked against).",
    "propertyNames": {
        "minLength": 1,
        "maxLength": validation.METADATA_KEY_MAX,
        "not": {"const": validation.PAYMENT_ID_KEY},
    },
    "additionalProperties": {"type": "string", "maxLength": validation.METADATA_VALUE_MAX},
}

CARD_INPUT = {
    "type": "object",
    "additionalProperties": False,
    "required": ["number", "exp_month", "exp_year"],
    "description": "The card; its number and CVC are encrypted at once and never shown again.",
    "properties": {
        "number": _string(
            "12 to 19 digits passing Luhn; spaces and dashes allowed.",
            pattern="^[0-9 -]{12,23}$",
        ),
        "exp_month": {
            "type": "integer",
            "minimum": 1,
            "maximum": 12,
            "description": "Expiry month.",
        },
        "exp_year": {
            "type": "integer",
            "minimum": 2000,
            "maximum": 2100,
            "description": "Expiry year, four digits.",
        },
        "cvc": _string("3 or 4 digits; erased once the first authorization ends.", pattern="^[0-9]{3,4}$"),
    },
}


def _method(kind, description, required=(), **properties):
    """One ``payment_method`` of ``PaymentCreate``: ``type`` is ``kind``."""
    return {
        "type": "object",
        "additionalProperties": False,
        "required": ["type", *required],
        "description": description,
        "properties": {"type": _const(kind), **properties},
    }


#: ``payment_method.type`` -> its schema's name.
METHOD_SCHEMAS = {
    "card": "CardPaymentMethod",
    "token": "TokenPaymentMethod",
    "paypal": "PayPalPaymentMethod",
    "stripe_payment_method": "StripePaymentMethod",
}
METHODS = {
    "CardPaymentMethod": _method(
        "card",
        "A card number the merchant's server sends (PCI DSS SAQ D): only where the merchant is allowed raw "
        "card data (403 `raw-card-data-not-allowed` otherwise).",
        ["card"],
        card=CARD_INPUT,
    ),
    "TokenPaymentMethod": _method(
        "token",
        "A card tokenized in the customer's browser (`POST /tokens` with a publishable key): pays once, "
        "before it expires.",
        ["token"],
        token=_string("The token's id.", pattern=f"^{validation.TOKEN_ID}$"),
    ),
    "PayPalPaymentMethod": _method(
        "paypal",
        "PayPal's wallet: the buyer approves on PayPal's page (`requires_action`, `next_action`) and comes "
        "back to `return_url` (required). Charged at PayPal only.",
    ),
    "StripePaymentMethod": _method(
        "stripe_payment_method",
        "A PaymentMethod the merchant created with Stripe (Stripe Elements): charged at Stripe only, never "
        "falling back to another gateway.",
        ["id"],
        id=_string(
            "Its id: `pm_…` (in test mode also Stripe's test PaymentMethods, e.g. `pm_card_visa`).",
            pattern=f"^{validation.STRIPE_PAYMENT_METHOD_ID}$",
        ),
    ),
}

CARD_TOKEN = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "object", "livemode", "card", "created_at", "expires_at", "used"],
    "properties": {
        "id": _string("Unique id, `tok_` and 24 characters: `payment_method.token`.", pattern="^tok_"),
        "object": _const("token"),
        "livemode": LIVEMODE,
        "card": {
            **CARD,
            "required": [*CARD["required"], "fingerprint"],
            "properties": {
                **CARD["properties"],
                "fingerprint": _string("The same for the same card number at this PayWave."),
            },
        },
        "created_at": _time("When the card was tokenized"),
        "expires_at": _time("After this the token pays nothing (PAYWAVE_TOKEN_TTL_SECONDS)"),
        "used": {"type": "boolean", "description": "True once a payment used it: a token pays one payment."},
    },
}
CARD_TOKEN_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["card"],
    "properties": {"card": CARD_INPUT},
}

PAYMENT_CREATE: dict[str, Any] = {
    "type": "object",
    "additionalProperties": False,
    "required": ["amount", "currency", "payment_method"],
    "properties": {
        "amount": {
            "type": "integer",
            "minimum": 1,
            "maximum": validation.MAX_AMOUNT,
            "description": "In the currency's minor units: 1050 is 10.50 USD, 1050 JPY is 1050 yen.",
        },
        "currency": {
            "type": "string",
            "pattern": "^[A-Za-z]{3}$",
            "description": "ISO 4217 code, always required (the merchant's `default_currency` is for "
            "dashboards and reports, never applied to a payment); one of the merchant's "
            "`accepted_currencies` when it sets them.",
        },
        "payment_method": {
            "oneOf": [{"$ref": f"#/components/schemas/{name}"} for name in METHOD_SCHEMAS.values()],
            "discriminator": {
                "propertyName": "type",
                "mapping": {kind: f"#/components/schemas/{name}" for kind, name in METHOD_SCHEMAS.items()},
            },
            "description": "How the customer pays, by `type`: `card` (the number itself: only for a "
            "merchant allowed raw card data, else 403), `token` (from `POST /tokens`), `paypal` (needs "
            "`return_url`; PayPal only) or `stripe_payment_method` (Stripe only). A method bound to one "
            "gateway never falls back to another, and a `gateway` naming another is 422.",
        },
        "capture": {
            "enum": ["automatic", "manual"],
            "default": "automatic",
            "description": "manual: only authorize now and capture with `POST /payments/{id}/capture`.",
        },
        "gateway": {
            "enum": ["stripe", "paypal"],
            "description": "The gateway to try first, then the merchant's `route` (default: the configured "
            "route).",
        },
        "description": _string("Free text (no card numbers).", maxLength=validation.DESCRIPTION_MAX),
        "metadata": METADATA,
        "customer": _string(
            "The customer paying (`cus_…`, from `POST /customers`), of this mode.",
            pattern=f"^{validation.CUSTOMER_ID}$",
        ),
        "return_url": _string(
            "Where the customer's browser comes back after a customer action (3-D Secure, PayPal "
            "approval): https; required with a `paypal` payment_method.",
            maxLength=validation.RETURN_URL_MAX,
            format="uri",
        ),
        "customer_details": CUSTOMER_DETAILS,
        "billing_address": ADDRESS,
        "shipping": SHIPPING,
    },
}

CUSTOMER = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "livemode",
        "email",
        "name",
        "phone",
        "metadata",
        "deleted",
        "created_at",
        "updated_at",
    ],
    "properties": {
        "id": _string("Unique id, `cus_` and 24 characters.", pattern=f"^{validation.CUSTOMER_ID}$"),
        "object": _const("customer"),
        "livemode": {"type": "boolean", "description": "False for a customer of test mode."},
        "email": _nullable("Email address; null once deleted."),
        "name": _nullable("Full name; null once deleted."),
        "phone": _nullable("Phone number in E.164 form; null when not given or once deleted."),
        "metadata": {**METADATA, "description": "Your string keys and values; emptied once deleted."},
        "deleted": {"type": "boolean", "description": "True once deleted: the personal data is erased."},
        "created_at": _time("When the customer was created"),
        "updated_at": _time("When the customer last changed (or was deleted)"),
    },
}

CUSTOMER_WRITE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["email", "name"],
    "properties": {
        "email": _string("Email address.", maxLength=validation.EMAIL_MAX, format="email"),
        "name": _string("Full name.", minLength=1, maxLength=validation.NAME_MAX),
        "phone": _string("Phone number in E.164 form (`+14155550123`).", pattern=f"^{validation.PHONE}$"),
        "metadata": METADATA,
    },
}

_CURRENCIES = {
    "type": ["array", "null"],
    "minItems": 1,
    "uniqueItems": True,
    "items": {"type": "string", "pattern": "^[A-Za-z]{3}$"},
    "description": "The only currencies its payments may use (ISO 4217; others are refused with 422 on "
    "`currency`); null: every currency.",
}
_ROUTE = {
    "type": ["array", "null"],
    "minItems": 1,
    "uniqueItems": True,
    "items": {"enum": list(registry.PACKAGES)},
    "description": "Gateways its payments try, in order, instead of the configured route (a payment's "
    "`gateway` still goes first); null: the configured route.",
}
_DESCRIPTOR = {
    "type": ["string", "null"],
    "minLength": validation.DESCRIPTOR_MIN,
    "maxLength": validation.DESCRIPTOR_MAX,
    "pattern": "^(?=.*[A-Za-z])(?!.*[<>\\\\'\"*])[\\x20-\\x7e]*$",
    "description": "What card statements show (Stripe's rules: 5 to 22 Latin characters, at least one "
    "letter, none of `< > \\ ' \" *`); stored, not sent to a gateway yet.",
}
_SETTINGS_DOC = (
    "Settings sections (`checkout`, `notifications`; later versions add more). A PATCH replaces the sections "
    "it names and removes those set to null."
)
_CHECKOUT_SETTINGS = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "required": ["allowed_origins"],
    "properties": {
        "allowed_origins": {
            "type": "array",
            "maxItems": validation.ORIGINS_MAX,
            "uniqueItems": True,
            "items": _string(
                "An origin exactly as browsers send it: `scheme://host[:port]`, lower case, no path, no "
                "default port; https only in production.",
                maxLength=validation.ORIGIN_MAX,
                pattern=f"^{validation.ORIGIN}$",
            ),
            "description": "The merchant's pages that may mount PayWave's card fields (`/v1/paywave.js`) "
            "and send `POST /tokens` from a browser (CORS); PayWave's own origin always may.",
        }
    },
    "description": "The card fields on the merchant's checkout pages.",
}

_TEMPLATE = _string(
    "A Jinja2 template, rendered in a sandbox (no Python object is reachable); refused when saved if it "
    "does not compile, names an unknown variable or reaches for internals (422 naming its line).",
    maxLength=validation.TEMPLATE_MAX,
)
_NOTIFICATION_SETTINGS = {
    "type": ["object", "null"],
    "additionalProperties": False,
    "properties": {
        "enabled_events": {
            "type": "array",
            "items": {"enum": list(notification_events.EVENTS)},
            "description": "The events the payment's customer is emailed about (`customer_details.email`, "
            "else the customer's email): a receipt, a refund notice (partial or full), a failure with a "
            "reason a customer may read, a link back to the merchant to complete a payment.",
        },
        "from_name": _string(
            "The sender name shown (default: the display name).", maxLength=validation.NAME_MAX
        ),
        "reply_to": _string("Where the customer's replies go.", maxLength=validation.EMAIL_MAX),
        "locale": _string(
            "The language and number format (a CLDR locale: `en`, `fr`, `de_CH`; default `en`)."
        ),
        "return_url": _string(
            "Where a `payment.requires_action` notice sends the customer when the payment has no "
            "`return_url`."
        ),
        "templates": {
            "type": "object",
            "description": "The merchant's own templates: `{event: {locale: {subject, text, html}}}`; a kind "
            "left out is PayWave's. Variables: `merchant_name`, `payment_id`, `amount`, `amount_refunded`, "
            "`refund_amount`, `fully_refunded`, `card` (`brand`, `last4`), `paypal`, `description`, "
            "`failure_reason`, `action_url`, `date`, `event_type`.",
            "additionalProperties": {
                "type": "object",
                "description": "Per locale.",
                "additionalProperties": {
                    "type": "object",
                    "additionalProperties": False,
                    "properties": {"subject": _TEMPLATE, "text": _TEMPLATE, "html": _TEMPLATE},
                    "description": "The templates of one locale.",
                },
            },
        },
    },
    "description": "Payer notifications by email (off until events are enabled).",
}
NOTIFICATION = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "payment_id",
        "event_id",
        "event_type",
        "channel",
        "recipient",
        "subject",
        "status",
        "attempts",
        "smtp_answer",
        "created_at",
        "sent_at",
    ],
    "properties": {
        "id": _string("`ntf_` and 24 characters; the `Message-ID` is derived from it.", pattern="^ntf_"),
        "object": _const("notification"),
        "payment_id": _string("The payment it is about."),
        "event_id": _string("The event it tells of.", pattern="^evt_"),
        "event_type": {"enum": list(notification_events.EVENTS), "description": "The event's type."},
        "channel": {"enum": ["email"], "description": "How it is sent."},
        "recipient": _nullable("The address, masked (`j***@example.com`); null once the customer is erased."),
        "subject": _nullable("The subject as last rendered; null before the first attempt."),
        "status": {
            "enum": ["queued", "sent", "failed"],
            "description": "`sent` and `failed` are final; `queued` waits for its (next) attempt.",
        },
        "attempts": {"type": "integer", "minimum": 0, "description": "Attempts made."},
        "smtp_answer": {
            "type": ["object", "null"],
            "additionalProperties": False,
            "required": ["code", "message"],
            "properties": {
                "code": {"type": ["integer", "null"], "description": "The SMTP reply code; null: no answer."},
                "message": _string("The server's text, or why nothing was sent."),
            },
            "description": "The last attempt's answer: a 4xx or no answer is retried, a 5xx is final.",
        },
        "created_at": _time("When the event was recorded"),
        "sent_at": {**_time("When the server accepted it"), "type": ["string", "null"]},
    },
}

MERCHANT = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "display_name",
        "default_currency",
        "accepted_currencies",
        "route",
        "statement_descriptor",
        "settings",
        "raw_card_data",
        "deleted",
        "created_at",
    ],
    "properties": {
        "id": _string("`mer_` and 24 characters (merchants known before keep their id)."),
        "object": _const("merchant"),
        "display_name": _string("The name shown on dashboards (the id until one is given)."),
        "default_currency": _string(
            "ISO 4217 code for dashboards and reports; a payment always names its own currency.",
            pattern="^[A-Z]{3}$",
        ),
        "accepted_currencies": _CURRENCIES,
        "route": _ROUTE,
        "statement_descriptor": _DESCRIPTOR,
        "settings": {
            "type": "object",
            "properties": {
                "checkout": {**_CHECKOUT_SETTINGS, "type": "object"},
                "notifications": {**_NOTIFICATION_SETTINGS, "type": "object"},
            },
            "description": _SETTINGS_DOC,
        },
        "raw_card_data": {
            "type": "boolean",
            "readOnly": True,
            "description": "May its payments carry card numbers (`payment_method.type` `card`, PCI DSS SAQ "
            "D)? Else they pay with tokens, PayPal or Stripe PaymentMethods. Read-only: an operator "
            "switches it (`paywave admin set-raw-cards`).",
        },
        "deleted": {"type": "boolean", "description": "True once deleted: its credentials are refused."},
        "created_at": _time("When the merchant was created"),
    },
}

MERCHANT_UPDATE = {
    "type": "object",
    "additionalProperties": False,
    "minProperties": 1,
    "properties": {
        "display_name": _string(
            "The name shown on dashboards.", minLength=1, maxLength=validation.DISPLAY_NAME_MAX
        ),
        "default_currency": _string(
            "ISO 4217 code for dashboards and reports; one of `accepted_currencies` when set.",
            pattern="^[A-Za-z]{3}$",
        ),
        "accepted_currencies": _CURRENCIES,
        "route": _ROUTE,
        "statement_descriptor": _DESCRIPTOR,
        "settings": {
            "type": "object",
            "additionalProperties": False,
            "properties": {"checkout": _CHECKOUT_SETTINGS, "notifications": _NOTIFICATION_SETTINGS},
            "description": _SETTINGS_DOC,
        },
    },
}

_SCOPES = {
    "type": "array",
    "minItems": 1,
    "uniqueItems": True,
    "items": {"enum": list(permissions.SCOPES)},
    "description": "What the key may do: scopes of the README's roles table, none beyond its creator's.",
}
API_KEY = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "name",
        "type",
        "mode",
        "livemode",
        "prefix",
        "last4",
        "scopes",
        "created_at",
        "expires_at",
        "last_used_at",
        "revoked_at",
        "rolled_to",
    ],
    "properties": {
        "id": _string("Unique id, `key_` and 24 characters.", pattern="^key_"),
        "object": _const("api_key"),
        "name": _string("What the key is for."),
        "type": {
            "enum": ["secret", "publishable"],
            "description": "A publishable key (`pk_…`) holds `tokens:write` only and may sit in a web page.",
        },
        "mode": {"enum": ["test", "live"], "description": "A test key sees and moves test objects only."},
        "livemode": {"type": "boolean", "description": "`mode` as a boolean: true for live."},
        "prefix": {
            "enum": ["sk_test_", "sk_live_", "pk_test_", "pk_live_"],
            "description": "How the secret starts.",
        },
        "last4": _string("The secret's last four characters, to tell keys apart."),
        "scopes": {**_SCOPES, "items": {"enum": [*permissions.SCOPES, permissions.TOKENS]}},
        "created_at": _time("When the key was created"),
        "expires_at": {
            **_nullable("When it stops working (UTC, ISO 8601); null: never."),
            "format": "date-time",
        },
        "last_used_at": {
            **_nullable("Its last use, recorded at most once a minute (UTC, ISO 8601)."),
            "format": "date-time",
        },
        "revoked_at": {**_nullable("When it was revoked (UTC, ISO 8601)."), "format": "date-time"},
        "rolled_to": _nullable("The key that replaced it in a roll."),
        "secret": {
            "type": "string",
            "pattern": "^[sp]k_(test|live)_[A-Za-z0-9]{48}$",
            "description": "The secret, for `Authorization: Bearer`: only in the answer that creates the "
            "key (create, roll), never again (an idempotent replay leaves it out); stored only as a keyed "
            "digest.",
        },
    },
}
API_KEY_CREATE = {
    "type": "object",
    "additionalProperties": False,
    "required": ["name", "mode"],
    "properties": {
        "name": _string("What the key is for.", minLength=1, maxLength=255),
        "mode": {"enum": ["test", "live"], "description": "A test-mode credential creates test keys only."},
        "type": {
            "enum": ["secret", "publishable"],
            "description": "Default `secret`. A `publishable` key holds `tokens:write` only (no `scopes`).",
        },
        "scopes": {**_SCOPES, "description": "Default: every scope the creating credential holds."},
        "expires_at": _time("When it stops working, in the future; default: never"),
    },
}
API_KEY_ROLL = {
    "type": "object",
    "additionalProperties": False,
    "required": ["expires_in_hours"],
    "properties": {
        "expires_in_hours": {
            "type": "integer",
            "minimum": 0,
            "maximum": 168,
            "description": "How long the old key keeps working beside the new one; 0: it stops now.",
        }
    },
}

PROBLEM = {
    "type": "object",
    "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": _string("`/problems/<slug>` naming the kind of problem, or `about:blank`."),
        "title": _string("Short, stable summary of the kind of problem."),
        "status": {"type": "integer", "description": "The HTTP status."},
        "detail": _string("What went wrong this time (anything like a card number masked)."),
        "request_id": _string("The request's `X-Request-Id`, to quote when asking for help."),
        "position": {
            "type": "object",
            "description": "Where a rule's predicate went wrong (`POST`/`PATCH /radar/rules`).",
            "required": ["line", "column"],
            "properties": {
                "line": {"type": "integer", "minimum": 1, "description": "1-based line."},
                "column": {"type": "integer", "minimum": 1, "description": "1-based column."},
            },
        },
        "errors": {
            "type": "array",
            "description": "For validation problems: each bad field.",
            "items": {
                "type": "object",
                "required": ["field", "reason"],
                "properties": {
                    "field": _string("The field, e.g. `payment_method.card.exp_month`."),
                    "reason": _string("What is wrong with it."),
                },
            },
        },
    },
}


def _list_of(ref):
    return {
        "type": "object",
        "required": ["object", "data", "has_more"],
        "properties": {
            "object": _const("list"),
            "has_more": {
                "type": "boolean",
                "description": "More follow: pass the last id as starting_after.",
            },
            "url": _string("The list's path."),
            "data": {
                "type": "array",
                "items": {"$ref": f"#/components/schemas/{ref}"},
                "description": "This page of the list.",
            },
        },
    }


def _operation(operation_id, status, description, content=None, errors=(), body=None, parameters=(), **extra):
    ok = {"description": description, **({"content": content} if content else {}), **extra}
    # Every operation that can fail is rate-limited too (per merchant, or per address for gateway events).
    op = {
        "operationId": operation_id,
        "responses": {str(status): ok, **_errors(*errors, *((429,) if errors else ()))},
    }
    if parameters:
        op["parameters"] = list(parameters)
    if body is not None:
        required, schema = body
        op["requestBody"] = {"required": required, "content": {"application/json": {"schema": schema}}}
    return op


def _object(**properties):
    return {"type": "object", "additionalProperties": False, "properties": properties}


_LOCATION = {"Location": {"schema": {"type": "string"}}}


def _create(operation_id, description, schema, body_schema, status=201, **extra):
    """A POST creating a ``schema`` object from a ``body_schema`` body (``Location``, ``Idempotency-Key``)."""
    body = (True, {"$ref": f"#/components/schemas/{body_schema}"})
    return _operation(
        operation_id,
        status,
        description,
        _json(schema),
        BODY_ERRORS,
        body,
        [_IDEMPOTENCY],
        headers=_LOCATION,
        **extra,
    )


def _list(operation_id, schema, parameters=(), description="Newest first"):
    """A GET of one page of ``schema`` objects (``parameters`` beside the page's own)."""
    content = {"application/json": {"schema": _list_of(schema)}}
    return _operation(
        operation_id, 200, description, content, LIST_ERRORS, parameters=[*PAGE_PARAMETERS, *parameters]
    )


WRITE_ERRORS = (400, 401, 403, 404, 409, 411, 413, 415, 422, 503)
BODY_ERRORS = tuple(code for code in WRITE_ERRORS if code != 404)  # a write that names no object in its path
LIST_ERRORS = (400, 401, 403, 422, 503)
AMOUNT = PAYMENT_CREATE["properties"]["amount"]
PAGE_PARAMETERS = [
    {
        "name": "limit",
        "in": "query",
        "description": f"Page size, 1 to {validation.LIST_LIMIT_MAX} (default 10).",
        "schema": {"type": "integer", "minimum": 1, "maximum": validation.LIST_LIMIT_MAX},
    },
    {
        "name": "starting_after",
        "in": "query",
        "description": "The last id of the previous page: the next page starts after it.",
        "schema": {"type": "string"},
    },
]


def _query(name, description, schema, **style):
    return {"name": name, "in": "query", "description": description, "schema": schema, **style}


def _range(name, what, schema):
    return [
        _query(f"{name}[gte]", f"Only payments {what} at or after (at least) this.", schema),
        _query(f"{name}[lte]", f"Only payments {what} at or before (at most) this.", schema),
    ]


#: The payment search of ``GET /payments`` and ``GET /payments/export`` (``common.payment_filters``).
SEARCH_PARAMETERS = [
    _query(
        "status",
        "Only payments in this status; repeat it for any of several (`status=failed&status=canceled`).",
        {"type": "array", "items": PAYMENT["properties"]["status"]},
        style="form",
        explode=True,
    ),
    _query("customer", "Only payments of this customer (`cus_…`).", {"type": "string"}),
    _query(
        "email",
        "Only payments of customers with this email address (any case; erased customers are not found).",
        {"type": "string"},
    ),
    *_range("created", "created", {"type": "string", "format": "date-time"}),
    *_range(
        "amount",
        "whose amount (in minor units) is",
        {"type": "integer", "minimum": 0, "maximum": validation.MAX_AMOUNT},
    ),
    _query("currency", "Only payments in this currency (ISO 4217, any case).", {"type": "string"}),
    _query("gateway", "Only payments held (or last tried) by this gateway.", {"enum": list(GATEWAYS)}),
    _query("card_last4", "Only payments by a card ending in these 4 digits.", {"type": "string"}),
    _query("card_brand", "Only payments by a card of this network.", {"enum": list(CARD_BRANDS)}),
    _query(
        "metadata",
        "`metadata[KEY]=VALUE`: only payments whose metadata holds KEY with exactly VALUE; several "
        "pairs must all hold. Not indexed: combine it with other filters on a large history.",
        {"type": "object", "additionalProperties": {"type": "string"}},
        style="deepObject",
        explode=True,
    ),
]

EXPORT_PARAMETERS = [
    _query("format", "The file's format (default and only one: `csv`).", {"enum": list(EXPORT_FORMATS)}),
    *SEARCH_PARAMETERS,
]


def _webhook_paths():
    endpoint, read_errors = _json("WebhookEndpoint"), (401, 403, 404, 503)
    deliveries = {"application/json": {"schema": _list_of("WebhookDelivery")}}
    return {
        "/webhook_endpoints": {
            "post": _create(
                "createWebhookEndpoint",
                "Created; the answer holds the signing secret, once",
                "WebhookEndpoint",
                "WebhookEndpointCreate",
            ),
            "get": _list("listWebhookEndpoints", "WebhookEndpoint"),
        },
        "/webhook_endpoints/{endpoint_id}": {
            "parameters": [_ENDPOINT_ID],
            "get": _operation("getWebhookEndpoint", 200, "The endpoint", endpoint, read_errors),
            "patch": _operation(
                "updateWebhookEndpoint",
                200,
                "Updated: disabled, or enabled again",
                endpoint,
                WRITE_ERRORS,
                (True, {"$ref": "#/components/schemas/WebhookEndpointUpdate"}),
                [_IDEMPOTENCY],
            ),
            "delete": _operation(
                "deleteWebhookEndpoint",
                204,
                "Deleted, with its secrets; its pending deliveries are canceled",
                errors=read_errors,
            ),
        },
        "/webhook_endpoints/{endpoint_id}/rotate_secret": {
            "parameters": [_ENDPOINT_ID],
            "post": _operation(
                "rotateWebhookSecret",
                200,
                "The new secret, once; the previous one also signs for 24 hours",
                endpoint,
                WRITE_ERRORS,
                parameters=[_IDEMPOTENCY],
            ),
        },
        "/webhook_endpoints/{endpoint_id}/test": {
            "parameters": [_ENDPOINT_ID],
            "post": _operation(
                "testWebhookEndpoint",
                202,
                f"A `{TEST}` event, delivered to this endpoint only; 409 when it is disabled",
                _json("Event"),
                WRITE_ERRORS,
                parameters=[_IDEMPOTENCY],
            ),
        },
        "/events": {
            "get": _list(
                "listEvents",
                "Event",
                [_query("type", "Only events of this type.", EVENT["properties"]["type"])],
            ),
        },
        "/events/{event_id}": {
            "parameters": [_EVENT_ID],
            "get": _operation("getEvent", 200, "The event", _json("Event"), read_errors),
        },
        "/events/{event_id}/deliveries": {
            "parameters": [_EVENT_ID],
            "get": _operation(
                "listEventDeliveries",
                200,
                "Its deliveries, oldest first, each with every attempt",
                deliveries,
                read_errors,
            ),
        },
        "/events/{event_id}/redeliver": {
            "parameters": [_EVENT_ID],
            "post": _operation(
                "redeliverEvent",
                202,
                "New deliveries to every endpoint subscribed now",
                deliveries,
                WRITE_ERRORS,
                parameters=[_IDEMPOTENCY],
            ),
        },
    }


def _merchant_paths():
    merchant = _json("Merchant")
    return {
        "/merchant": {
            "get": _operation("getMerchant", 200, "The merchant", merchant, (401, 403, 503)),
            "patch": _operation(
                "updateMerchant",
                200,
                "Updated",
                merchant,
                BODY_ERRORS,
                (True, {"$ref": "#/components/schemas/MerchantUpdate"}),
                [_IDEMPOTENCY],
            ),
            "delete": _operation(
                "deleteMerchant", 200, "Deleted", merchant, (401, 403, 409, 503), parameters=[_IDEMPOTENCY]
            ),
        }
    }


def _customer_paths():
    customer, read_errors = _json("Customer"), (401, 403, 404, 503)
    body = (True, {"$ref": "#/components/schemas/CustomerWrite"})
    customer_id = _path_id("customer_id", "customer")
    return {
        "/customers": {
            "post": _create("createCustomer", "Created", "Customer", "CustomerWrite"),
            "get": _list(
                "listCustomers",
                "Customer",
                [_query("email", "Only customers with this email address (any case).", {"type": "string"})],
            ),
        },
        "/customers/{customer_id}": {
            "parameters": [customer_id],
            "get": _operation("getCustomer", 200, "The customer", customer, read_errors),
            "put": _operation(
                "replaceCustomer", 200, "Replaced", customer, WRITE_ERRORS, body, [_IDEMPOTENCY]
            ),
            "delete": _operation(
                "deleteCustomer",
                200,
                "Deleted: personal data erased",
                customer,
                WRITE_ERRORS,
                parameters=[_IDEMPOTENCY],
            ),
        },
    }


def _api_key_paths():
    key = _json("ApiKey")
    read_errors = (401, 403, 404, 503)
    return {
        "/api_keys": {
            "post": _create(
                "createApiKey", "Created; the answer holds the secret, once", "ApiKey", "ApiKeyCreate"
            ),
            "get": _list("listApiKeys", "ApiKey"),
        },
        "/api_keys/{key_id}": {
            "parameters": [_KEY_ID],
            "get": _operation("getApiKey", 200, "The key, without its secret", key, read_errors),
            "delete": _operation("revokeApiKey", 200, "Revoked", key, read_errors),
        },
        "/api_keys/{key_id}/roll": {
            "parameters": [_KEY_ID],
            "post": _operation(
                "rollApiKey",
                201,
                "The new key with its secret, once",
                key,
                WRITE_ERRORS,
                (True, {"$ref": "#/components/schemas/ApiKeyRoll"}),
                [_IDEMPOTENCY],
                headers=_LOCATION,
            ),
        },
    }


def _admin_paths():
    """Operators only (scope ``admin``), across merchants."""
    resolution = _object(
        status={"enum": list(SETTLED), "description": "What the operator found at the gateway."},
        reference=_string(
            "The gateway's charge id, or a ticket: the evidence.",
            minLength=1,
            maxLength=validation.REFERENCE_MAX,
        ),
        reason=_string("Why, for the audit log.", maxLength=validation.DESCRIPTION_MAX),
    )
    resolution["required"] = ["status", "reference"]
    return {
        "/admin/payments": {
            "get": _list(
                "listPaymentsForReview", "Payment", description="Payments in requires_review, newest first"
            )
        },
        "/admin/payments/{payment_id}/resolve": {
            "parameters": [_ID],
            "post": _operation(
                "resolvePayment",
                200,
                "Settled: the event is written and the action audited",
                _json("Payment"),
                WRITE_ERRORS,
                (True, resolution),
                [_IDEMPOTENCY],
            ),
        },
    }


AUDIT_EVENT = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "created_at",
        "actor",
        "action",
        "object_id",
        "request_id",
        "ip",
        "user_agent",
        "summary",
    ],
    "description": "One write, by whom and from where; never changed or deleted.",
    "properties": {
        "id": _string("`aev_` and the event's number: later events have greater numbers.", pattern="^aev_"),
        "object": _const("audit_event"),
        "created_at": _time("When the write was made"),
        "actor": {
            **_object(
                type={"enum": list(ACTOR_TYPES), "description": "What kind of credential acted."},
                id=_nullable(
                    "The user's or API key's id, the service token's `sub`, an operator's `cli:<OS user>` "
                    "or `api:<token sub>`."
                ),
            ),
            "required": ["type", "id"],
            "description": "Who made the write.",
        },
        "action": _string("`<object>.<verb>`: `payment.created`, `merchant.updated`, ..."),
        "object_id": _nullable("The id of the object written."),
        "request_id": _nullable("The request's `X-Request-Id` (null for the CLI)."),
        "ip": _nullable("The client's address (null for the CLI)."),
        "user_agent": _nullable("The client's `User-Agent`."),
        "summary": {
            "type": "object",
            "description": "`before` and `after`: the fields that changed, as the API shows the object "
            "(the whole object for a creation or deletion); never a secret or a card number.",
            "properties": {
                "before": {"type": "object", "description": "The fields as they were."},
                "after": {"type": "object", "description": "The fields as they became."},
            },
        },
    },
}
_AUDIT_EVENT_ID = _path_id("audit_event_id", "audit event")


def _audit_paths():
    """The audit trail: read only (scope ``audit:read``)."""
    moment = {"type": "string", "format": "date-time"}
    filters = [
        _query("actor", "Only events by this actor id.", {"type": "string", "maxLength": 255}),
        _query("actor_type", "Only events by this kind of actor.", {"enum": list(ACTOR_TYPES)}),
        _query(
            "action",
            "Only this action (`payment.created`), or every action of a prefix (`payment.*`).",
            {"type": "string", "pattern": r"^[a-z][a-z0-9_]*(\.[a-z][a-z0-9_]*)*(\.\*)?$", "maxLength": 64},
        ),
        _query("object", "Only events about this object id.", {"type": "string", "maxLength": 255}),
        _query("created[gte]", "Only events created at or after this.", moment),
        _query("created[lte]", "Only events created at or before this.", moment),
    ]
    return {
        "/audit_events": {"get": _list("listAuditEvents", "AuditEvent", filters)},
        "/audit_events/{audit_event_id}": {
            "parameters": [_AUDIT_EVENT_ID],
            "get": _operation(
                "getAuditEvent", 200, "The audit event", _json("AuditEvent"), (401, 403, 404, 503)
            ),
        },
    }


_RULE_ID = _path_id("rule_id", "rule")
_VALUE_LIST_ID = _path_id("value_list_id", "value list")
_ITEM_ID = _path_id("item_id", "item")
_ACTION = {"enum": list(ACTIONS), "description": "What the rule does when its predicate holds."}
_PREDICATE = _string(
    "The condition, in the rule language (`:card_country: in ('US', 'CA') and :amount_in_usd: > 50000`).",
    minLength=1,
    maxLength=language.MAX_LENGTH,
)
_RULE_DESCRIPTION = _string("What the rule is for, for your records.", maxLength=radar.DESCRIPTION_MAX)
_ENABLED = {"type": "boolean", "description": "false: kept, never evaluated."}
_THRESHOLD = {
    "type": "integer",
    "minimum": 0,
    "maximum": validation.MAX_AMOUNT,
    "description": "A built-in rule's number: declines for card testing, US cents for the new-card review.",
}
RADAR_RULE = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "livemode",
        "action",
        "predicate",
        "description",
        "enabled",
        "builtin",
        "threshold",
        "created_at",
        "updated_at",
    ],
    "properties": {
        "id": _string("`rule_` and 24 characters, or a built-in rule's `rule_default_…`."),
        "object": _const("radar_rule"),
        "livemode": LIVEMODE,
        "action": _ACTION,
        "predicate": _PREDICATE,
        "description": {**_RULE_DESCRIPTION, "type": ["string", "null"]},
        "enabled": _ENABLED,
        "builtin": {"type": "boolean", "description": "A built-in rule: it can be disabled, not deleted."},
        "threshold": {
            **_THRESHOLD,
            "type": ["integer", "null"],
            "description": "A built-in rule's number "
            "(declines for card testing, US cents for the new-card review); null otherwise.",
        },
        "created_at": {**_time("When the rule was created"), "type": ["string", "null"]},
        "updated_at": {**_time("When the rule last changed"), "type": ["string", "null"]},
    },
}
RADAR_RULE_CREATE = {
    **_object(action=_ACTION, predicate=_PREDICATE, description=_RULE_DESCRIPTION, enabled=_ENABLED),
    "required": ["action", "predicate"],
}
_PER_CURRENCY = {
    "type": "object",
    "additionalProperties": {"type": "integer"},
    "description": "Currency (ISO 4217) -> amount in its minor units.",
}
RADAR_RULE_TEST = {
    **_object(
        predicate=_PREDICATE,
        action=_ACTION,
        since=_time("Only payments created since then (default: all)"),
    ),
    "required": ["predicate", "action"],
}
RADAR_RULE_TEST_RESULT = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "object",
        "predicate",
        "action",
        "evaluated",
        "matched",
        "matched_succeeded",
        "matched_disputed_or_fraud_refunded",
        "amounts",
        "missing",
    ],
    "properties": {
        "object": _const("radar_rule_test"),
        "predicate": _PREDICATE,
        "action": _ACTION,
        "evaluated": {"type": "integer", "description": "Payments decided on in the period (with `risk`)."},
        "matched": {"type": "integer", "description": "How many the predicate matches."},
        "matched_succeeded": {"type": "integer", "description": "Of those, how many succeeded."},
        "matched_disputed_or_fraud_refunded": {
            "type": "integer",
            "description": "Of those, how many were disputed or refunded with `reason: fraudulent`.",
        },
        "amounts": {
            "type": "object",
            "additionalProperties": False,
            "required": ["matched", "matched_succeeded", "matched_disputed_or_fraud_refunded"],
            "description": "The three counts' amounts, per currency.",
            "properties": {
                "matched": _PER_CURRENCY,
                "matched_succeeded": _PER_CURRENCY,
                "matched_disputed_or_fraud_refunded": _PER_CURRENCY,
            },
        },
        "missing": {
            "type": "array",
            "items": {"type": "string"},
            "description": "Attributes some payment lacked: a comparison over them did not match it.",
        },
    },
}
RADAR_RULE_UPDATE = {
    **_object(
        action=_ACTION,
        predicate=_PREDICATE,
        description=_RULE_DESCRIPTION,
        enabled=_ENABLED,
        threshold=_THRESHOLD,
    ),
    "minProperties": 1,
    "description": "The fields to change; a built-in rule takes `enabled` and `threshold` only.",
}
_ALIAS = _string("How a predicate names the list (`@alias`).", pattern=f"^{radar.ALIAS}$")
_ITEM_TYPE = {"enum": list(LIST_TYPES), "description": "What the list holds."}
RADAR_VALUE_LIST = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "object", "livemode", "alias", "item_type", "name", "item_count", "created_at"],
    "properties": {
        "id": _string("`rsl_` and 24 characters."),
        "object": _const("radar_value_list"),
        "livemode": LIVEMODE,
        "alias": _ALIAS,
        "item_type": _ITEM_TYPE,
        "name": _string("A name for people."),
        "item_count": {"type": "integer", "description": "How many items it holds."},
        "created_at": _time("When the list was created"),
    },
}
RADAR_VALUE_LIST_CREATE = {
    **_object(
        alias=_ALIAS,
        item_type=_ITEM_TYPE,
        name=_string("A name for people (default: the alias).", minLength=1, maxLength=radar.NAME_MAX),
    ),
    "required": ["alias", "item_type"],
}
RADAR_VALUE_LIST_ITEM = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "object", "value_list", "value", "created_at"],
    "properties": {
        "id": _string("`rsli_` and 24 characters."),
        "object": _const("radar_value_list_item"),
        "value_list": _string("The list's id."),
        "value": _string("The value as the list compares it (emails lowercase, countries uppercase, ...)."),
        "created_at": _time("When the item was added"),
    },
}
RADAR_VALUE_LIST_ITEM_CREATE = {
    **_object(value=_string("A value of the list's item type.", minLength=1, maxLength=radar.VALUE_MAX)),
    "required": ["value"],
}


def _radar_paths():
    """Fraud rules and value lists (scopes ``radar:read``, ``radar:write``)."""
    rule, value_list = _json("RadarRule"), _json("RadarValueList")
    read_errors, delete_errors = (401, 403, 404, 503), (401, 403, 404, 409, 503)
    items = {"application/json": {"schema": _list_of("RadarValueListItem")}}
    add_item = _create("addRadarValueListItem", "Added", "RadarValueListItem", "RadarValueListItemCreate")
    add_item["responses"].update(_errors(404))  # the list in the path
    return {
        "/radar/rules": {
            "post": _create("createRadarRule", "Created", "RadarRule", "RadarRuleCreate"),
            "get": _list(
                "listRadarRules", "RadarRule", description="Built-in rules first, then yours, newest first"
            ),
        },
        "/radar/rules/test": {
            "post": _operation(
                "testRadarRule",
                200,
                "How the rule would have done",
                _json("RadarRuleTestResult"),
                BODY_ERRORS,
                (True, {"$ref": "#/components/schemas/RadarRuleTest"}),
            ),
        },
        "/radar/rules/{rule_id}": {
            "parameters": [_RULE_ID],
            "get": _operation("getRadarRule", 200, "The rule", rule, read_errors),
            "patch": _operation(
                "updateRadarRule",
                200,
                "Updated",
                rule,
                WRITE_ERRORS,
                (True, {"$ref": "#/components/schemas/RadarRuleUpdate"}),
                [_IDEMPOTENCY],
            ),
            "delete": _operation("deleteRadarRule", 204, "Deleted", errors=delete_errors),
        },
        "/radar/value_lists": {
            "post": _create("createRadarValueList", "Created", "RadarValueList", "RadarValueListCreate"),
            "get": _list("listRadarValueLists", "RadarValueList"),
        },
        "/radar/value_lists/{value_list_id}": {
            "parameters": [_VALUE_LIST_ID],
            "get": _operation("getRadarValueList", 200, "The value list", value_list, read_errors),
            "delete": _operation(
                "deleteRadarValueList", 204, "Deleted, with its items", errors=delete_errors
            ),
        },
        "/radar/value_lists/{value_list_id}/items": {
            "parameters": [_VALUE_LIST_ID],
            "post": add_item,
            "get": _operation(
                "listRadarValueListItems",
                200,
                "Newest first",
                items,
                (*LIST_ERRORS, 404),
                parameters=PAGE_PARAMETERS,
            ),
        },
        "/radar/value_lists/{value_list_id}/items/{item_id}": {
            "parameters": [_VALUE_LIST_ID, _ITEM_ID],
            "delete": _operation("deleteRadarValueListItem", 204, "Removed", errors=read_errors),
        },
    }


_REVIEW_ID = _path_id("review_id", "review")
REVIEW = {
    "type": "object",
    "additionalProperties": False,
    "required": [
        "id",
        "object",
        "livemode",
        "payment",
        "reason",
        "open",
        "closed_reason",
        "opened_at",
        "closed_at",
    ],
    "properties": {
        "id": _string("`rev_` and 24 characters."),
        "object": _const("review"),
        "livemode": LIVEMODE,
        "payment": _string("The payment reviewed (`pay_…`)."),
        "reason": _string("The `review` rule that opened it (`rule_…`, a built-in rule's id)."),
        "open": {"type": "boolean", "description": "Waiting for approval or rejection."},
        "closed_reason": {
            "enum": ["approved", "refunded", "canceled", None],
            "description": "approved; or rejected: the authorization canceled, the capture refunded "
            "(`reason: fraudulent`), or the payment had failed or been canceled already.",
        },
        "opened_at": _time("When a rule opened it"),
        "closed_at": {**_time("When it was closed"), "type": ["string", "null"]},
    },
}


def _review_paths():
    """Fraud reviews (scopes ``reviews:read``, ``reviews:write``)."""
    review = _json("Review")
    is_open = {
        "name": "open",
        "in": "query",
        "description": "`true`: the open reviews only; `false`: the closed ones.",
        "schema": {"enum": ["true", "false"]},
    }
    return {
        "/reviews": {"get": _list("listReviews", "Review", [is_open])},
        "/reviews/{review_id}": {
            "parameters": [_REVIEW_ID],
            "get": _operation("getReview", 200, "The review", review, (401, 403, 404, 503)),
        },
        "/reviews/{review_id}/approve": {
            "parameters": [_REVIEW_ID],
            "post": _operation(
                "approveReview",
                200,
                "Closed (approved): the payment stands",
                review,
                WRITE_ERRORS,
                parameters=[_IDEMPOTENCY],
            ),
        },
        "/reviews/{review_id}/reject": {
            "parameters": [_REVIEW_ID],
            "post": _operation(
                "rejectReview",
                200,
                "Closed: the authorization canceled or the capture refunded as fraudulent (409 while the "
                "payment is still being authorized)",
                review,
                WRITE_ERRORS,
                parameters=[_IDEMPOTENCY],
            ),
        },
    }


_USER_ID = _path_id("user_id", "user")
_ROLE = {
    "enum": list(permissions.ROLES),
    "description": "The role for the merchant (README: Roles and scopes).",
}
_EMAIL = _string(
    "An email address; the same whatever its case.", maxLength=254, pattern="^[^@\\s]+@[^@\\s]+\\.[^@\\s]+$"
)
_LIVEMODE = {"type": "boolean", "description": "false: a test-mode session (default true)."}
_OTP = _string("The current code of the authenticator app.", pattern="^[0-9]{6,8}$")
_NO_STORE = {
    "Cache-Control": {"description": "`no-store`: tokens are never cached.", "schema": {"type": "string"}}
}

USER = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "object", "email", "name", "role", "totp_enabled", "created_at"],
    "properties": {
        "id": _string("`usr_` and 24 characters.", pattern="^usr_"),
        "object": _const("user"),
        "email": _string("Lowercased."),
        "name": _nullable("The name given when joining."),
        "role": _ROLE,
        "totp_enabled": {"type": "boolean", "description": "Whether logins need a one-time code."},
        "created_at": _time("When the user was created"),
    },
}
INVITATION = {
    "type": "object",
    "additionalProperties": False,
    "required": ["id", "object", "email", "role", "expires_at"],
    "properties": {
        "id": _string("`inv_` and 24 characters.", pattern="^inv_"),
        "object": _const("invitation"),
        "email": _string("Whom it invites (lowercased)."),
        "role": _ROLE,
        "expires_at": _time("Until when it can be accepted"),
        "token": _string("What `POST /users/accept` takes: shown in this answer only (not in a replay)."),
    },
}
TOKENS = {
    "type": "object",
    "additionalProperties": False,
    "required": ["access_token", "token_type", "expires_in", "refresh_token"],
    "properties": {
        "access_token": _string("A JWT (`typ: user`, `sub` the user, `mid` the merchant, `role`, `sid`)."),
        "token_type": _const("Bearer"),
        "expires_in": {"type": "integer", "description": "Seconds the access token is valid."},
        "refresh_token": _string("Exchanged once at `POST /auth/refresh`; a second use ends the session."),
    },
}


def _required(schema, *names):
    return {**schema, "required": list(names)}


def _account_paths():
    tokens, user, public = _json("Tokens"), _json("User"), {"security": []}
    login = _required(
        _object(
            email=_EMAIL,
            password=_string("The password.", minLength=1, maxLength=PASSWORD_MAX),
            otp=_OTP,
            merchant=_string("The merchant to act for (default: the first one joined).", maxLength=255),
            livemode=_LIVEMODE,
        ),
        "email",
        "password",
    )
    refresh = _required(
        _object(refresh_token=_string("The refresh token last received.", maxLength=128)), "refresh_token"
    )
    accept = _required(
        _object(
            token=_string("The invitation's token.", maxLength=128),
            password=_string(
                "A new user's password (12 characters or more, not a common one), or an existing user's.",
                minLength=1,
                maxLength=PASSWORD_MAX,
            ),
            name=_string("The new user's name.", maxLength=255),
        ),
        "token",
        "password",
    )
    otp = (True, _required(_object(otp=_OTP), "otp"))
    me_errors = (401, 403, 503)
    return {
        "/auth/login": {
            "post": {
                **_operation(
                    "login",
                    200,
                    "Logged in",
                    tokens,
                    (400, 401, 403, 411, 413, 415, 422, 503),
                    (True, login),
                    headers=_NO_STORE,
                ),
                **public,
            }
        },
        "/auth/refresh": {
            "post": {
                **_operation(
                    "refreshSession",
                    200,
                    "New tokens",
                    tokens,
                    (400, 401, 411, 413, 415, 422, 503),
                    (True, refresh),
                    headers=_NO_STORE,
                ),
                **public,
            }
        },
        "/auth/logout": {
            "post": {
                **_operation(
                    "logout",
                    204,
                    "The session ended",
                    errors=(400, 401, 411, 413, 415, 422, 503),
                    body=(False, refresh),
                ),
                "security": [{}, {"bearer": []}],
            }
        },
        "/auth/switch": {
            "post": _operation(
                "switchMerchant",
                200,
                "Tokens for the other merchant",
                tokens,
                BODY_ERRORS + (404,),
                (
                    True,
                    _required(
                        _object(
                            merchant=_string("A merchant the user is a member of.", maxLength=255),
                            livemode=_LIVEMODE,
                        ),
                        "merchant",
                    ),
                ),
                headers=_NO_STORE,
            )
        },
        "/users": {
            "post": _operation(
                "inviteUser",
                201,
                "Invited; the answer holds the token, once",
                _json("Invitation"),
                BODY_ERRORS,
                (True, _required(_object(email=_EMAIL, role=_ROLE), "email", "role")),
                [_IDEMPOTENCY],
            ),
            "get": _list("listUsers", "User", description="Newest member first"),
        },
        "/users/accept": {
            "post": {
                **_operation("acceptInvitation", 201, "Joined", user, BODY_ERRORS + (404,), (True, accept)),
                **public,
            }
        },
        "/users/me": {"get": _operation("getMe", 200, "The session's user", user, me_errors)},
        "/users/me/totp": {
            "post": _operation(
                "setUpTotp",
                200,
                "The secret, once; confirm it to enable",
                {
                    "application/json": {
                        "schema": _required(
                            _object(
                                secret=_string("Base32, for the authenticator app."),
                                otpauth_uri=_string("The same as an `otpauth://` URI (a QR code)."),
                            ),
                            "secret",
                            "otpauth_uri",
                        )
                    }
                },
                (401, 403, 409, 503),
                headers=_NO_STORE,
            ),
            "delete": _operation("disableTotp", 200, "Disabled", user, BODY_ERRORS, otp),
        },
        "/users/me/totp/confirm": {"post": _operation("confirmTotp", 200, "Enabled", user, BODY_ERRORS, otp)},
        "/users/me/password": {
            "post": _operation(
                "changePassword",
                200,
                "Changed; the user's other sessions ended",
                user,
                BODY_ERRORS,
                (
                    True,
                    _required(
                        _object(
                            current_password=_string(
                                "The password now.", minLength=1, maxLength=PASSWORD_MAX
                            ),
                            new_password=_string(
                                "At least 12 characters, not a common one.",
                                minLength=12,
                                maxLength=PASSWORD_MAX,
                            ),
                        ),
                        "current_password",
                        "new_password",
                    ),
                ),
            )
        },
        "/users/{user_id}": {
            "parameters": [_USER_ID],
            "get": _operation("getUser", 200, "The member", user, (401, 403, 404, 503)),
            "patch": _operation(
                "updateUser",
                200,
                "The new role",
                user,
                WRITE_ERRORS,
                (True, _required(_object(role=_ROLE), "role")),
                [_IDEMPOTENCY],
            ),
            "delete": _operation(
                "removeUser",
                204,
                "No longer a member; their sessions for it ended",
                errors=(401, 403, 404, 409, 503),
            ),
        },
    }


def _signature_header(name, description):
    return {
        "name": name,
        "in": "header",
        "required": True,
        "schema": {"type": "string"},
        "description": description,
    }


def _gateway_events(operation_id, status, description, type_field, headers):
    """A gateway's events in: public (each delivery proves itself); 200 for one received before."""
    body = {
        "type": "object",
        "required": ["id", type_field],
        "properties": {
            "id": _string("The gateway's event id: an id received before changes nothing."),
            type_field: _string("The gateway's event type."),
        },
    }
    op = _operation(
        operation_id,
        status,
        description,
        errors=(400, 411, 413, 415, 503),
        body=(True, body),
        parameters=headers,
    )
    op["responses"]["200"] = {"description": "Received before: nothing changes"}
    return {"post": {**op, "security": []}}


GATEWAY_EVENT_PATHS = {
    "/webhooks/stripe": _gateway_events(
        "receiveStripeEvent",
        200,
        "Verified and stored, or received before; applied in the background",
        "type",
        [
            _signature_header(
                "Stripe-Signature",
                "`t=<unix seconds>,v1=<HMAC-SHA256>` with the endpoint's secret "
                "(PAYWAVE_STRIPE_WEBHOOK_SECRET); refused beyond 5 minutes.",
            )
        ],
    ),
    "/webhooks/paypal": _gateway_events(
        "receivePayPalEvent",
        202,
        "Accepted pending verification: the ops pool verifies it with PayPal, then "
        "applies it (a forged event is rejected, never applied)",
        "event_type",
        [
            _signature_header(
                f"PAYPAL-{name}",
                "Checked for form here (the time within 5 minutes), verified with PayPal by the ops pool.",
            )
            for name in ("TRANSMISSION-ID", "TRANSMISSION-TIME", "TRANSMISSION-SIG", "CERT-URL", "AUTH-ALGO")
        ],
    ),
}


#: What PayWave sends to an endpoint (Standard Webhooks); README shows how to verify it.
WEBHOOKS = {
    "event": {
        "post": {
            "operationId": "receiveEvent",
            "tags": ["Events"],
            "summary": "An event, signed; delivered at least once and in no guaranteed order",
            "description": (
                "PayWave posts each event to every enabled endpoint subscribed to its type. Verify the "
                "signature, deduplicate on `webhook-id`, and read `data.updated_at` rather than trusting "
                "arrival order."
            ),
            "security": [],
            "parameters": [
                _signature_header("webhook-id", "The event id: deduplicate on it."),
                _signature_header(
                    "webhook-timestamp", "Unix seconds; refuse it beyond 5 minutes either way."
                ),
                _signature_header(
                    "webhook-signature",
                    "Space-separated `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` "
                    "(two during a secret rotation).",
                ),
            ],
            "requestBody": {
                "required": True,
                "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}},
            },
            "responses": {
                "2XX": {
                    "description": (
                        "Received. Any other answer, a redirect included, is retried on the schedule; "
                        "410 disables the endpoint; 429 and 503 may send Retry-After."
                    )
                }
            },
        }
    }
}


TAGS = [
    {
        "name": "Payments",
        "description": "Create a payment (charged in the background), read, list, update, capture "
        "or cancel it.",
    },
    {
        "name": "Tokens",
        "description": "A card tokenized from the customer's browser with a publishable key, so its number "
        "never reaches the merchant's server; a token pays one payment.",
    },
    {
        "name": "Refunds",
        "description": "Refund part or all of what a payment captured, and read the refunds.",
    },
    {
        "name": "Webhook endpoints",
        "description": "Where PayWave posts events, each signed with the endpoint's secret.",
    },
    {
        "name": "Events",
        "description": "What happened to payments, as sent to webhook endpoints, and their deliveries.",
    },
    {
        "name": "Gateway webhooks",
        "description": "Stripe's and PayPal's own notifications in (public; each proves itself).",
    },
    {
        "name": "Customers",
        "description": "Who pays: create, read, list by email, replace, and delete (erasing the personal "
        "data).",
    },
    {"name": "Health", "description": "Probes for the platform (public; metrics are on their own port)."},
    {
        "name": "Merchant",
        "description": "The credential's merchant and its settings: name, currencies, gateway route.",
    },
    {
        "name": "API keys",
        "description": "Secret keys (`sk_test_…`, `sk_live_…`) with their own scopes: create, roll, revoke.",
    },
    {
        "name": "Sessions",
        "description": "A user logs in (password, one-time code), refreshes, logs out, switches merchant.",
    },
    {
        "name": "Users",
        "description": "A merchant's members and their roles, invitations, and a user's own account.",
    },
    {
        "name": "Admin",
        "description": "Operators only (scope `admin`), across merchants: payments that await a person.",
    },
    {"name": "Audit", "description": "Who changed what, when and from where: the append-only audit trail."},
    {
        "name": "Radar",
        "description": "Fraud rules in a small language, built-in rules, and the value lists rules test; "
        "every payment is decided on before any gateway call (its `risk`).",
    },
    {
        "name": "Reviews",
        "description": "Payments a `review` rule matched: they proceed, and wait for a person to approve or "
        "reject them (a manual capture waits for the approval).",
    },
]

#: Per operation id: ``(tag, summary, description)``, applied to the paths by ``document``.
OPERATIONS = {
    "createToken": (
        "Tokens",
        "Tokenize a card",
        "With a publishable key (`pk_test_…`, `pk_live_…`; any other credential is 403), from the "
        "customer's browser: the card is sealed in the vault and the answer holds its brand, last four "
        "digits and expiry. "
        'Pay with it once, before `expires_at`: `payment_method: {"type": "token", "token": "tok_…"}` on '
        "`POST /payments` with a secret key of the same merchant and mode.",
    ),
    "createPayment": (
        "Payments",
        "Create a payment",
        "Validates and stores the payment with its first job in one transaction and answers 202 at once; "
        "workers then charge it (retries; a card falls back to the other gateway, a `paypal` or "
        "`stripe_payment_method` never does). A payment that needs the customer moves to "
        "`requires_action`: send their browser to `next_action.redirect_to_url.url`. Card numbers need "
        "the merchant's raw card switch (else 403 `raw-card-data-not-allowed`: use a token). Poll "
        "`GET /payments/{id}` or subscribe to events for the outcome. Send an `Idempotency-Key` to retry "
        "safely.",
    ),
    "listPayments": (
        "Payments",
        "List payments",
        "The merchant's payments, newest first, a page at a time (`starting_after`), filtered by status "
        "(one or several), customer, creation time, amount range, currency, gateway, card brand and last "
        "four digits, and metadata pairs: every filter given must hold. A bad value is a 422 naming it.",
    ),
    "exportPayments": (
        "Payments",
        "Export payments as CSV",
        "Every payment the filters of `GET /payments` select, newest first, as one CSV file streamed as it "
        "is read (no page size): a header row, then id, created_at, status, amount, amount_captured, "
        "amount_refunded, currency, gateway, card_brand, card_last4, customer, description. Amounts are "
        "integers in the currency's minor units; card data is the brand and last four digits only; "
        "metadata is left out. A cell that starts with `=`, `+`, `-`, `@`, a tab or a carriage return "
        "gets a leading `'` so a spreadsheet shows it as text.",
    ),
    "getPayment": (
        "Payments",
        "Get a payment",
        "The payment with its status, amounts and every gateway attempt. Another merchant's payment is 404.",
    ),
    "updatePayment": (
        "Payments",
        "Update a payment",
        "Changes description and metadata (propagated to the gateway), or the amount before any "
        "gateway attempt.",
    ),
    "capturePayment": (
        "Payments",
        "Capture an authorized payment",
        "For `capture: manual` payments in `requires_capture`: captures all or part of the authorized "
        "amount in the background.",
    ),
    "cancelPayment": (
        "Payments",
        "Cancel a payment",
        "A pending payment is canceled at once; an authorized one is voided at the gateway in the "
        "background; one waiting for its customer (`requires_action`) is canceled at the gateway first, in "
        "the background: a customer who completed the action before keeps the payment (it ends "
        "`succeeded`, not `canceled`).",
    ),
    "redactPayment": (
        "Payments",
        "Erase a payment's personal data",
        "Erases `customer_details`, `billing_address`, `shipping` and the personal signals of `risk` (email, "
        "IP address; the risk digests and counts stay) from a succeeded, failed or canceled payment, from "
        "its events and from its idempotency key's saved response, as deleting its customer does: for a "
        "payment with no customer object. 409 while the payment is not finished. Writes `payment.updated`; "
        "needs `payments:write`.",
    ),
    "createRefund": (
        "Refunds",
        "Refund a payment",
        "Refunds part or all of what was captured (never more than captured minus refunded) in the "
        "background; the answer's `Location` is the refund. `reason: fraudulent` labels the payment's card, "
        "email and IP address as fraudulent for the merchant (the `*_seen_as_fraud` fraud rule attributes).",
    ),
    "listPaymentNotifications": (
        "Payments",
        "List a payment's notifications",
        "The emails its customer was sent (or is to be sent) for the events its merchant enabled "
        "(`settings.notifications`), with the SMTP answer and when it was accepted; the address masked.",
    ),
    "listRefunds": ("Refunds", "List a payment's refunds", "Every refund of the payment, oldest first."),
    "getRefund": (
        "Refunds",
        "Get a refund",
        "One refund of the payment, as its `Location` names it; another merchant's or an unknown one is 404.",
    ),
    "createWebhookEndpoint": (
        "Webhook endpoints",
        "Register a webhook endpoint",
        "The URL must be https, without credentials, and lead only to public addresses. The "
        "answer holds the signing secret, shown this once.",
    ),
    "listWebhookEndpoints": (
        "Webhook endpoints",
        "List webhook endpoints",
        "The merchant's endpoints, newest first.",
    ),
    "getWebhookEndpoint": (
        "Webhook endpoints",
        "Get a webhook endpoint",
        "The endpoint, without its secret.",
    ),
    "deleteWebhookEndpoint": (
        "Webhook endpoints",
        "Delete a webhook endpoint",
        "Deletes the endpoint and its secrets and cancels its pending deliveries.",
    ),
    "rotateWebhookSecret": (
        "Webhook endpoints",
        "Rotate an endpoint's secret",
        "Returns a new secret, once; the previous one keeps signing beside it for 24 hours.",
    ),
    "updateWebhookEndpoint": (
        "Webhook endpoints",
        "Disable or enable a webhook endpoint",
        "`disabled` stops its deliveries and cancels the pending ones; `enabled` sends it events again "
        "(an endpoint disabled after failing deliveries is re-enabled this way).",
    ),
    "testWebhookEndpoint": (
        "Webhook endpoints",
        "Send a test event",
        "Sends a `webhook_endpoint.test` event, whose data is the endpoint, to this endpoint only, signed "
        "and retried like any event; read its delivery at `/events/{id}/deliveries`. On the per-hour "
        "budget of a redelivery.",
    ),
    "listEvents": ("Events", "List events", "The merchant's events, newest first, optionally of one type."),
    "getEvent": ("Events", "Get an event", "The event, with the payment as it was when it happened."),
    "listEventDeliveries": (
        "Events",
        "List an event's deliveries",
        "One delivery per endpoint, oldest first, with every attempt and the answers received.",
    ),
    "redeliverEvent": (
        "Events",
        "Redeliver an event",
        "Sends the event again to every endpoint subscribed to it now.",
    ),
    "receiveStripeEvent": (
        "Gateway webhooks",
        "Receive a Stripe event",
        "Stripe's notification, verified with the endpoint secret and stored; applied by the ops pool.",
    ),
    "receivePayPalEvent": (
        "Gateway webhooks",
        "Receive a PayPal event",
        "PayPal's notification, checked for form and stored; verified with PayPal and applied by "
        "the ops pool.",
    ),
    "createCustomer": (
        "Customers",
        "Create a customer",
        "In the credential's mode; name it as `customer` on payments of that mode.",
    ),
    "listCustomers": ("Customers", "List customers", "The merchant's customers not deleted, newest first."),
    "getCustomer": (
        "Customers",
        "Get a customer",
        "The customer; a deleted one keeps its id and dates, `deleted: true`, its personal data null.",
    ),
    "replaceCustomer": (
        "Customers",
        "Replace a customer",
        "Sets every field: one left out becomes empty. A deleted customer is 404.",
    ),
    "deleteCustomer": (
        "Customers",
        "Delete a customer",
        "Erases the email, name, phone and metadata; the customer's payments stay and still name it. Writes "
        "a `customer.deleted` event. Cannot be undone.",
    ),
    "health": ("Health", "Liveness", "200 while the process serves requests."),
    "ready": (
        "Health",
        "Readiness",
        "200 when the database, the broker and the cache are reachable, else 503.",
    ),
    "getMerchant": (
        "Merchant",
        "Get the merchant",
        "The merchant the credential acts for, with its settings.",
    ),
    "updateMerchant": (
        "Merchant",
        "Update the merchant",
        "Changes the fields given, each checked (422 names every bad one, nothing is written); needs "
        "`payments:write`. New payments follow the route and accepted currencies within "
        "PAYWAVE_MERCHANT_CACHE_SECONDS on every ingress process.",
    ),
    "deleteMerchant": (
        "Merchant",
        "Delete the merchant",
        "Owners only (`merchant:delete`). Refused (409) while a payment or refund is not final. Then every "
        "credential of the merchant is refused (403) within PAYWAVE_CREDENTIAL_CACHE_SECONDS, its webhook "
        "endpoints are disabled, and its payments, customers, events and audit trail are kept. Cannot be "
        "undone through the API.",
    ),
    "createApiKey": (
        "API keys",
        "Create an API key",
        "A new secret key holding the scopes asked (default: all the credential holds; 403 names one "
        "beyond it); a test-mode credential creates test keys only. The answer holds the secret, shown "
        "this once; an `Idempotency-Key` replay answers the same key without it.",
    ),
    "listApiKeys": (
        "API keys",
        "List API keys",
        "The merchant's keys, newest first, revoked and expired ones included (a test-mode credential "
        "sees test keys only).",
    ),
    "getApiKey": (
        "API keys",
        "Get an API key",
        "The key with its prefix and last four characters, no secret.",
    ),
    "revokeApiKey": (
        "API keys",
        "Revoke an API key",
        "The key stops working at once on the process that answers, within "
        "PAYWAVE_CREDENTIAL_CACHE_SECONDS on every other. Revoking a revoked key changes nothing.",
    ),
    "rollApiKey": (
        "API keys",
        "Roll an API key",
        "A new key with the same name, mode, scopes and expiry, its secret shown once; the old key keeps "
        "working for `expires_in_hours` (0: stops now). The credential must hold every scope of the key. "
        "A revoked, expired or already rolled key is 409.",
    ),
    "login": (
        "Sessions",
        "Log in",
        "An access token (a JWT for PAYWAVE_SESSION_ACCESS_SECONDS) and a refresh token. Every refusal is "
        "the same 401: unknown email, wrong password or code, too many attempts for the account or address.",
    ),
    "refreshSession": (
        "Sessions",
        "Refresh the tokens",
        "Exchanges the refresh token for a new pair. A refresh token used twice ends its session (401).",
    ),
    "logout": (
        "Sessions",
        "Log out",
        "Ends the session of the access token sent (Authorization) or of the refresh token given; other "
        "processes refuse its access tokens within PAYWAVE_CREDENTIAL_CACHE_SECONDS.",
    ),
    "switchMerchant": (
        "Sessions",
        "Switch merchant",
        "User sessions only: tokens for another merchant the user is a member of (404 otherwise); the "
        "current session ends.",
    ),
    "inviteUser": (
        "Users",
        "Invite a user",
        "An invitation for PAYWAVE_INVITATION_HOURS, its token shown once. A role above the credential's own "
        "is 403; a member already, 409.",
    ),
    "listUsers": ("Users", "List members", "The merchant's users with their roles, newest member first."),
    "acceptInvitation": (
        "Users",
        "Accept an invitation",
        "Creates the user with the password given (422 when weak), or, when the email has an account, adds "
        "the membership once its password is given (401 otherwise). Unknown, expired or used: 404.",
    ),
    "getMe": ("Users", "Get my account", "User sessions only: the user and their role for the merchant."),
    "setUpTotp": (
        "Users",
        "Set up a second factor",
        "User sessions only: a new TOTP secret, shown once, enabled once a code confirms it.",
    ),
    "disableTotp": ("Users", "Disable the second factor", "User sessions only, proven by a current code."),
    "confirmTotp": (
        "Users",
        "Enable the second factor",
        "A current code of the secret set up; logins then need `otp`.",
    ),
    "changePassword": (
        "Users",
        "Change my password",
        "User sessions only: the current password (422 if wrong) and a strong new one; every other session "
        "of the user ends.",
    ),
    "getUser": ("Users", "Get a member", "A member of the merchant, with their role."),
    "updateUser": (
        "Users",
        "Change a member's role",
        "Only to a role, and of a member, whose scopes the credential holds (only an owner touches owners); "
        "the last owner cannot be demoted (409).",
    ),
    "removeUser": (
        "Users",
        "Remove a member",
        "Ends the membership and the user's sessions for the merchant; the last owner stays (409).",
    ),
    "listPaymentsForReview": (
        "Admin",
        "List the payments that await a person",
        "Every merchant's `requires_review` payments: outcomes the machine could not settle.",
    ),
    "resolvePayment": (
        "Admin",
        "Settle a payment that awaits review",
        "Only a `requires_review` payment (409 otherwise), of any merchant: `succeeded` (captured) or "
        "`failed`, with the gateway's id or a ticket as `reference`. Writes the event and an audit event.",
    ),
    "listAuditEvents": (
        "Audit",
        "List audit events",
        "The merchant's audit events, newest first, a page at a time (`starting_after`), filtered by actor, "
        "actor type, action (exact, or `prefix.*`), object and creation time; needs `audit:read` (admin "
        "and owner). A bad value is a 422 naming it.",
    ),
    "getAuditEvent": (
        "Audit",
        "Get an audit event",
        "One audit event of the merchant; another merchant's or an unknown one is 404.",
    ),
    "createRadarRule": (
        "Radar",
        "Create a rule",
        "The predicate is parsed and checked against the attributes and your value lists: a 422 names "
        "`predicate` with its `position` (line, column). Rules are stored, not yet applied to payments.",
    ),
    "listRadarRules": (
        "Radar",
        "List rules",
        "The built-in rules (`builtin: true`) first, then yours, newest first.",
    ),
    "getRadarRule": ("Radar", "Get a rule", "One rule, built-in or yours."),
    "testRadarRule": (
        "Radar",
        "Backtest a rule",
        "Evaluates a candidate predicate on the merchant's payments of the period, on their signals as they "
        "were when each was decided on (`risk.signals`), against the value lists as they are now: how many "
        "it matches, how many of those succeeded, how many were disputed or refunded as fraud, and their "
        "amounts. Writes nothing.",
    ),
    "updateRadarRule": (
        "Radar",
        "Update a rule",
        "Changes the fields given. A built-in rule takes `enabled` and `threshold` (where it has one) only.",
    ),
    "deleteRadarRule": ("Radar", "Delete a rule", "A built-in rule cannot be deleted (409): disable it."),
    "createRadarValueList": (
        "Radar",
        "Create a value list",
        "A list of emails, IP addresses, card fingerprints, BINs, countries or customers that rules test "
        "with `in @alias`. The alias is unique per mode (409).",
    ),
    "listRadarValueLists": ("Radar", "List value lists", "Your value lists, newest first."),
    "getRadarValueList": ("Radar", "Get a value list", "One value list and how many items it holds."),
    "deleteRadarValueList": (
        "Radar",
        "Delete a value list",
        "Deletes it with its items; refused (409) while a rule names it.",
    ),
    "addRadarValueListItem": (
        "Radar",
        "Add an item",
        "The value is checked and normalized for the list's item type (422), and added once (409).",
    ),
    "listRadarValueListItems": ("Radar", "List a value list's items", "Newest first."),
    "deleteRadarValueListItem": ("Radar", "Remove an item", "Removes one item of the list."),
    "listReviews": ("Reviews", "List reviews", "Newest first; `open=true` for those waiting for a person."),
    "getReview": ("Reviews", "Get a review", "One review."),
    "approveReview": (
        "Reviews",
        "Approve a review",
        "Closes it (`approved`): the payment stands, and a manual-capture payment may now be captured.",
    ),
    "rejectReview": (
        "Reviews",
        "Reject a review",
        "Closes it and undoes the payment: an authorization is canceled (voided at the gateway), a capture "
        "refunded in full with `reason: fraudulent`; 409 while the payment is still being authorized.",
    ),
}


def _described(paths):
    """``paths`` with each operation's tag, summary and description from ``OPERATIONS``."""
    for item in paths.values():
        for op in item.values():
            if isinstance(op, dict) and op.get("operationId") in OPERATIONS:
                tag, op["summary"], op["description"] = OPERATIONS[op["operationId"]]
                op["tags"] = [tag]
    return paths


def document():
    payment = _json("Payment")
    get_link = {
        "GetPayment": {"operationId": "getPayment", "parameters": {"payment_id": "$response.body#/id"}}
    }
    update = {
        **_object(
            description=PAYMENT_CREATE["properties"]["description"],
            metadata=METADATA,
            amount={**AMOUNT, "description": "The new amount, only before any gateway attempt."},
        ),
        "minProperties": 1,
    }
    refund = _object(
        amount={**AMOUNT, "description": "In minor units; default: all that is captured and not refunded."},
        reason=_string("Why, for your records.", maxLength=255),
    )
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "PayWave",
            "version": "1.0.0",
            "description": "Accept a payment at once (202), charge it through Stripe or PayPal in the "
            "background, poll it or receive webhooks. Amounts are integers in minor units.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "tags": TAGS,
        "paths": _described(
            {
                "/payments": {
                    "post": _create(
                        "createPayment",
                        "Accepted; charged in the background",
                        "Payment",
                        "PaymentCreate",
                        status=202,
                        links=get_link,
                    ),
                    "get": _list("listPayments", "Payment", SEARCH_PARAMETERS),
                },
                "/payments/export": {
                    "get": _operation(
                        "exportPayments",
                        200,
                        "The CSV file",
                        {"text/csv": {"schema": {"type": "string"}}},
                        LIST_ERRORS,
                        parameters=EXPORT_PARAMETERS,
                        headers={
                            "Content-Disposition": {
                                "description": '`attachment; filename="payments.csv"`',
                                "schema": {"type": "string"},
                            }
                        },
                    ),
                },
                "/payments/{payment_id}": {
                    "parameters": [_ID],
                    "get": _operation("getPayment", 200, "The payment", payment, (401, 403, 404, 503)),
                    "put": _operation(
                        "updatePayment", 200, "Updated", payment, WRITE_ERRORS, (True, update), [_IDEMPOTENCY]
                    ),
                },
                "/payments/{payment_id}/capture": {
                    "parameters": [_ID],
                    "post": _operation(
                        "capturePayment",
                        202,
                        "Capture queued",
                        payment,
                        WRITE_ERRORS,
                        (
                            False,
                            _object(
                                amount={
                                    **AMOUNT,
                                    "description": "In minor units, at most the "
                                    "amount authorized; default: all of it.",
                                }
                            ),
                        ),
                        [_IDEMPOTENCY],
                    ),
                },
                "/payments/{payment_id}/cancel": {
                    "parameters": [_ID],
                    "post": _operation(
                        "cancelPayment",
                        202,
                        "Canceled, or void queued",
                        payment,
                        WRITE_ERRORS,
                        parameters=[_IDEMPOTENCY],
                    ),
                },
                "/payments/{payment_id}/redact": {
                    "parameters": [_ID],
                    "post": _operation(
                        "redactPayment",
                        200,
                        "The payment, its customer's personal data erased",
                        payment,
                        WRITE_ERRORS,
                        (False, _object()),
                        [_IDEMPOTENCY],
                    ),
                },
                "/payments/{payment_id}/refunds": {
                    "parameters": [_ID],
                    "post": _operation(
                        "createRefund",
                        202,
                        "Refund queued",
                        _json("Refund"),
                        WRITE_ERRORS,
                        (False, refund),
                        [_IDEMPOTENCY],
                    ),
                    "get": _operation(
                        "listRefunds",
                        200,
                        "Refunds of the payment",
                        {"application/json": {"schema": _list_of("Refund")}},
                        (401, 403, 404, 503),
                    ),
                },
                "/payments/{payment_id}/notifications": {
                    "parameters": [_ID],
                    "get": _operation(
                        "listPaymentNotifications",
                        200,
                        "What the payment's customer was sent, oldest first",
                        {"application/json": {"schema": _list_of("Notification")}},
                        (401, 403, 404, 503),
                    ),
                },
                "/payments/{payment_id}/refunds/{refund_id}": {
                    "parameters": [_ID, _REFUND_ID],
                    "get": _operation("getRefund", 200, "The refund", _json("Refund"), (401, 403, 404, 503)),
                },
                "/tokens": {
                    "post": {
                        **_operation(
                            "createToken",
                            201,
                            "The token (the card's brand, last four digits, expiry)",
                            _json("CardToken"),
                            BODY_ERRORS,
                            (True, {"$ref": "#/components/schemas/CardTokenCreate"}),
                            [_IDEMPOTENCY],
                        ),
                        "security": [{"publishable": []}],
                    }
                },
                **_merchant_paths(),
                **_customer_paths(),
                **_webhook_paths(),
                **_admin_paths(),
                **_api_key_paths(),
                **_audit_paths(),
                **_radar_paths(),
                **_review_paths(),
                **_account_paths(),
                **GATEWAY_EVENT_PATHS,
                # Not here: GET /v1/actions/{payment_id}/return (ingress.resources.actions), where a
                # gateway sends a customer's browser back. No client calls it: its only address is the one
                # PayWave signs and hands the gateway (shared.returns); it answers a redirect, not JSON.
                "/healthz": {"get": {**_operation("health", 200, "Process up"), "security": []}},
                "/readyz": {
                    "get": {
                        "operationId": "ready",
                        "security": [],
                        "responses": {
                            "200": {"description": "Ready"},
                            "503": {"description": "A dependency is unreachable"},
                        },
                    }
                },
            }
        ),
        "webhooks": WEBHOOKS,
        "components": {
            "securitySchemes": {
                "bearer": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "JWT or API key",
                    "description": "A service token (JWT) or an API key (`sk_test_…`, `sk_live_…`).",
                },
                "publishable": {
                    "type": "http",
                    "scheme": "bearer",
                    "bearerFormat": "publishable key",
                    "description": "A publishable key (`pk_test_…`, `pk_live_…`): may sit in a web page; "
                    "creates tokens (`POST /tokens`) and nothing else.",
                },
            },
            "schemas": {
                "Payment": PAYMENT,
                "Attempt": ATTEMPT,
                "Refund": REFUND,
                "PaymentCreate": PAYMENT_CREATE,
                **METHODS,
                "CardToken": CARD_TOKEN,
                "CardTokenCreate": CARD_TOKEN_CREATE,
                "Problem": PROBLEM,
                "WebhookEndpoint": WEBHOOK_ENDPOINT,
                "WebhookEndpointCreate": WEBHOOK_ENDPOINT_CREATE,
                "WebhookEndpointUpdate": WEBHOOK_ENDPOINT_UPDATE,
                "Event": EVENT,
                "WebhookDelivery": WEBHOOK_DELIVERY,
                "WebhookAttempt": WEBHOOK_ATTEMPT,
                "Merchant": MERCHANT,
                "Notification": NOTIFICATION,
                "Customer": CUSTOMER,
                "CustomerWrite": CUSTOMER_WRITE,
                "MerchantUpdate": MERCHANT_UPDATE,
                "ApiKey": API_KEY,
                "ApiKeyCreate": API_KEY_CREATE,
                "ApiKeyRoll": API_KEY_ROLL,
                "AuditEvent": AUDIT_EVENT,
                "User": USER,
                "Invitation": INVITATION,
                "Tokens": TOKENS,
                "RadarRule": RADAR_RULE,
                "RadarRuleCreate": RADAR_RULE_CREATE,
                "RadarRuleUpdate": RADAR_RULE_UPDATE,
                "RadarValueList": RADAR_VALUE_LIST,
                "RadarValueListCreate": RADAR_VALUE_LIST_CREATE,
                "RadarValueListItem": RADAR_VALUE_LIST_ITEM,
                "RadarValueListItemCreate": RADAR_VALUE_LIST_ITEM_CREATE,
                "Review": REVIEW,
                "RadarRuleTest": RADAR_RULE_TEST,
                "RadarRuleTestResult": RADAR_RULE_TEST_RESULT,
            },
            "responses": {
                "Problem": {
                    "description": "RFC 9457 problem details",
                    "content": {
                        "application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}
                    },
                }
            },
        },
    }


class OpenAPI:
    public = True

    def __init__(self):
        self.document = document()

    def on_get(self, req, resp):
        resp.media = self.document
