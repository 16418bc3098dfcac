"""The OpenAPI 3.1 contract, served at ``/openapi.json`` and checked by the tests."""
from ingress import validation
from store.events import TYPES

_ERROR = {"$ref": "#/components/responses/Problem"}
_ID = {"name": "payment_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^pay_[A-Za-z0-9]{24}$"}}
_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "pattern": "^[\\x21-\\x7e]{1,255}$"},
                "description": "1 to 255 printable ASCII characters; replays return the first response for 24 hours."}
_NULLABLE_STR = {"type": ["string", "null"]}
_TIMESTAMP = {"type": "string", "format": "date-time"}
_ENDPOINT_ID = {"name": "endpoint_id", "in": "path", "required": True,
                "schema": {"type": "string", "pattern": "^we_[A-Za-z0-9]{24}$"}}
_REFUND_ID = {"name": "refund_id", "in": "path", "required": True,
              "schema": {"type": "string", "pattern": "^re_[A-Za-z0-9]{24}$"}}
_EVENT_ID = {"name": "event_id", "in": "path", "required": True,
             "schema": {"type": "string", "pattern": "^evt_[A-Za-z0-9]{24}$"}}


def _json(ref):
    return {"application/json": {"schema": {"$ref": f"#/components/schemas/{ref}"}}}


def _errors(*codes):
    return {str(code): _ERROR for code in codes}


PAYMENT = {
    "type": "object",
    "required": ["id", "object", "status", "amount", "amount_captured", "amount_refunded", "currency", "capture",
                 "gateway", "attempts", "failure_code", "failure_message", "card", "description", "metadata",
                 "customer", "disputed", "created_at", "updated_at"],
    "additionalProperties": False,
    "properties": {
        "id": {"type": "string", "pattern": "^pay_"},
        "object": {"const": "payment"},
        "status": {"enum": ["pending", "processing", "requires_capture", "succeeded", "failed", "canceled"]},
        "amount": {"type": "integer", "minimum": 1},
        "amount_captured": {"type": "integer", "minimum": 0},
        "amount_refunded": {"type": "integer", "minimum": 0},
        "currency": {"type": "string", "pattern": "^[A-Z]{3}$"},
        "capture": {"enum": ["automatic", "manual"]},
        "gateway": {"type": ["string", "null"]},
        "attempts": {"type": "array", "items": {"$ref": "#/components/schemas/Attempt"}},
        "failure_code": _NULLABLE_STR,
        "failure_message": _NULLABLE_STR,
        "card": {"type": "object", "required": ["brand", "last4", "exp_month", "exp_year"],
                 "additionalProperties": False,
                 "properties": {"brand": {"type": "string"}, "last4": {"type": "string", "pattern": "^[0-9]{4}$"},
                                "exp_month": {"type": "integer"}, "exp_year": {"type": "integer"}}},
        "description": _NULLABLE_STR,
        "metadata": {"type": "object", "additionalProperties": {"type": "string"}},
        "customer": _NULLABLE_STR,
        "disputed": {"type": "boolean"},
        "created_at": {"type": "string", "format": "date-time"},
        "updated_at": {"type": "string", "format": "date-time"},
    },
}

ATTEMPT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "gateway", "operation", "status", "amount", "error_class", "error_code", "latency_ms", "created_at"],
    "properties": {
        "id": {"type": "string"}, "gateway": {"type": "string"},
        "operation": {"enum": ["authorize", "charge", "capture", "void", "refund", "update"]},
        "status": {"enum": ["started", "succeeded", "declined", "error", "unknown"]},
        "amount": {"type": ["integer", "null"]}, "error_class": _NULLABLE_STR, "error_code": _NULLABLE_STR,
        "latency_ms": {"type": ["integer", "null"]}, "created_at": {"type": "string", "format": "date-time"},
    },
}

REFUND = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "object", "payment_id", "amount", "currency", "status", "reason", "failure_code",
                 "failure_message", "created_at", "updated_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^re_"}, "object": {"const": "refund"},
        "payment_id": {"type": "string"}, "amount": {"type": "integer", "minimum": 1},
        "currency": {"type": "string"}, "status": {"enum": ["pending", "succeeded", "failed"]},
        "reason": _NULLABLE_STR, "failure_code": _NULLABLE_STR, "failure_message": _NULLABLE_STR,
        "created_at": {"type": "string", "format": "date-time"}, "updated_at": {"type": "string", "format": "date-time"},
    },
}

EVENT_TYPES = {"type": "array", "minItems": 1,
               "items": {"enum": [*TYPES, "*"]}, "description": 'Event types, or `["*"]` for every type.'}

WEBHOOK_ENDPOINT = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "object", "url", "description", "enabled_events", "status", "disabled_reason", "created_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^we_"}, "object": {"const": "webhook_endpoint"},
        "url": {"type": "string"}, "description": _NULLABLE_STR, "enabled_events": EVENT_TYPES,
        "status": {"enum": ["enabled", "disabled"]},
        "disabled_reason": {**_NULLABLE_STR, "description": "Why PayWave disabled it (a 410 answer, or failing too long)."},
        "created_at": _TIMESTAMP,
        "secret": {"type": "string", "pattern": "^whsec_",
                   "description": "The signing secret: only in the answers of create and rotate_secret, never again "
                                  "(an idempotent replay leaves it out)."},
    },
}

WEBHOOK_ENDPOINT_CREATE = {
    "type": "object", "additionalProperties": False, "required": ["url", "enabled_events"],
    "properties": {
        "url": {"type": "string", "maxLength": 2048,
                "description": "https (http only where allowed), no credentials, a host with public addresses."},
        "enabled_events": EVENT_TYPES,
        "description": {"type": "string", "maxLength": validation.DESCRIPTION_MAX},
    },
}

EVENT = {
    "type": "object", "additionalProperties": False, "required": ["id", "object", "type", "created_at", "data"],
    "description": "Also the body of every webhook.",
    "properties": {
        "id": {"type": "string", "pattern": "^evt_"}, "object": {"const": "event"}, "type": {"enum": list(TYPES)},
        "created_at": _TIMESTAMP, "data": {"$ref": "#/components/schemas/Payment"},
    },
}

WEBHOOK_ATTEMPT = {
    "type": "object", "additionalProperties": False,
    "required": ["number", "status_code", "latency_ms", "response_snippet", "error", "created_at"],
    "properties": {
        "number": {"type": "integer", "minimum": 1},
        "status_code": {"type": ["integer", "null"], "description": "Null when no HTTP answer came (see error)."},
        "latency_ms": {"type": "integer", "minimum": 0},
        "response_snippet": {"type": ["string", "null"], "maxLength": 1024, "description": "The answer's first 1 KiB."},
        "error": _NULLABLE_STR, "created_at": _TIMESTAMP,
    },
}

WEBHOOK_DELIVERY = {
    "type": "object", "additionalProperties": False,
    "required": ["id", "object", "event_id", "endpoint_id", "status", "next_attempt_at", "attempts", "created_at"],
    "properties": {
        "id": {"type": "string", "pattern": "^whd_"}, "object": {"const": "webhook_delivery"},
        "event_id": {"type": "string"}, "endpoint_id": {"type": "string"},
        "status": {"enum": ["pending", "succeeded", "failed", "canceled"],
                   "description": "canceled: its endpoint was deleted or disabled first."},
        "next_attempt_at": {"type": ["string", "null"], "format": "date-time"},
        "attempts": {"type": "array", "items": {"$ref": "#/components/schemas/WebhookAttempt"}},
        "created_at": _TIMESTAMP,
    },
}

METADATA = {"type": "object", "maxProperties": validation.METADATA_MAX_KEYS,
            "propertyNames": {"minLength": 1, "maxLength": validation.METADATA_KEY_MAX},
            "additionalProperties": {"type": "string", "maxLength": validation.METADATA_VALUE_MAX}}

PAYMENT_CREATE = {
    "type": "object", "additionalProperties": False, "required": ["amount", "currency", "payment_method"],
    "properties": {
        "amount": {"type": "integer", "minimum": 1, "maximum": validation.MAX_AMOUNT,
                   "description": "In the currency's minor units: 1050 is 10.50 USD, 1050 JPY is 1050 yen."},
        "currency": {"type": "string", "pattern": "^[A-Za-z]{3}$", "description": "ISO 4217 code."},
        "payment_method": {
            "type": "object", "additionalProperties": False, "required": ["type", "card"],
            "properties": {
                "type": {"const": "card"},
                "card": {"type": "object", "additionalProperties": False,
                         "required": ["number", "exp_month", "exp_year"],
                         "properties": {"number": {"type": "string", "pattern": "^[0-9 -]{12,23}$"},
                                        "exp_month": {"type": "integer", "minimum": 1, "maximum": 12},
                                        "exp_year": {"type": "integer", "minimum": 2000, "maximum": 2100},
                                        "cvc": {"type": "string", "pattern": "^[0-9]{3,4}$"}}}}},
        "capture": {"enum": ["automatic", "manual"], "default": "automatic"},
        "gateway": {"enum": ["stripe", "paypal"]},
        "description": {"type": "string", "maxLength": validation.DESCRIPTION_MAX},
        "metadata": METADATA,
        "customer": {"type": "string", "maxLength": validation.CUSTOMER_MAX},
    },
}

PROBLEM = {
    "type": "object", "required": ["type", "title", "status", "detail"],
    "properties": {
        "type": {"type": "string"}, "title": {"type": "string"}, "status": {"type": "integer"},
        "detail": {"type": "string"}, "request_id": {"type": "string"},
        "errors": {"type": "array", "items": {"type": "object", "required": ["field", "reason"],
                                              "properties": {"field": {"type": "string"},
                                                             "reason": {"type": "string"}}}},
    },
}


def _list_of(ref):
    return {"type": "object", "required": ["object", "data", "has_more"],
            "properties": {"object": {"const": "list"}, "has_more": {"type": "boolean"}, "url": {"type": "string"},
                           "data": {"type": "array", "items": {"$ref": f"#/components/schemas/{ref}"}}}}


def _operation(operation_id, status, description, content=None, errors=(), body=None, parameters=(), **extra):
    ok = {"description": description, **({"content": content} if content else {}), **extra}
    op = {"operationId": operation_id, "responses": {str(status): ok, **_errors(*errors)}}
    if parameters:
        op["parameters"] = list(parameters)
    if body is not None:
        required, schema = body
        op["requestBody"] = {"required": required, "content": {"application/json": {"schema": schema}}}
    return op


def _object(**properties):
    return {"type": "object", "additionalProperties": False, "properties": properties}


WRITE_ERRORS = (400, 401, 403, 404, 409, 413, 415, 422, 503)
AMOUNT = PAYMENT_CREATE["properties"]["amount"]
PAGE_PARAMETERS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": validation.LIST_LIMIT_MAX}},
    {"name": "starting_after", "in": "query", "schema": {"type": "string"}},
]
LIST_PARAMETERS = [
    *PAGE_PARAMETERS,
    {"name": "status", "in": "query", "schema": PAYMENT["properties"]["status"]},
    {"name": "customer", "in": "query", "schema": {"type": "string"}},
    {"name": "created[gte]", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "created[lte]", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]


def _webhook_paths():
    endpoint, read_errors, list_errors = _json("WebhookEndpoint"), (401, 403, 404, 503), (400, 401, 403, 422, 503)
    deliveries = {"application/json": {"schema": _list_of("WebhookDelivery")}}
    return {
        "/webhook_endpoints": {
            "post": _operation("createWebhookEndpoint", 201, "Created; the answer holds the signing secret, once", endpoint,
                               (400, 401, 403, 409, 413, 415, 422, 503),
                               (True, {"$ref": "#/components/schemas/WebhookEndpointCreate"}), [_IDEMPOTENCY],
                               headers={"Location": {"schema": {"type": "string"}}}),
            "get": _operation("listWebhookEndpoints", 200, "Newest first",
                              {"application/json": {"schema": _list_of("WebhookEndpoint")}}, list_errors,
                              parameters=PAGE_PARAMETERS),
        },
        "/webhook_endpoints/{endpoint_id}": {
            "parameters": [_ENDPOINT_ID],
            "get": _operation("getWebhookEndpoint", 200, "The endpoint", endpoint, read_errors),
            "delete": _operation("deleteWebhookEndpoint", 204, "Deleted, with its secrets; its pending deliveries "
                                 "are canceled", errors=read_errors),
        },
        "/webhook_endpoints/{endpoint_id}/rotate_secret": {
            "parameters": [_ENDPOINT_ID],
            "post": _operation("rotateWebhookSecret", 200, "The new secret, once; the previous one also signs for "
                               "24 hours", endpoint, WRITE_ERRORS, parameters=[_IDEMPOTENCY]),
        },
        "/events": {
            "get": _operation("listEvents", 200, "Newest first", {"application/json": {"schema": _list_of("Event")}},
                              list_errors, parameters=[*PAGE_PARAMETERS, {"name": "type", "in": "query",
                                                                          "schema": EVENT["properties"]["type"]}]),
        },
        "/events/{event_id}": {
            "parameters": [_EVENT_ID],
            "get": _operation("getEvent", 200, "The event", _json("Event"), read_errors),
        },
        "/events/{event_id}/deliveries": {
            "parameters": [_EVENT_ID],
            "get": _operation("listEventDeliveries", 200, "Its deliveries, oldest first, each with every attempt",
                              deliveries, read_errors),
        },
        "/events/{event_id}/redeliver": {
            "parameters": [_EVENT_ID],
            "post": _operation("redeliverEvent", 202, "New deliveries to every endpoint subscribed now", deliveries,
                               WRITE_ERRORS, parameters=[_IDEMPOTENCY]),
        },
    }


def _signature_header(name, description):
    return {"name": name, "in": "header", "required": True, "schema": {"type": "string"}, "description": description}

def _gateway_events(operation_id, status, description, type_field, headers):
    """A gateway's events in: public (each delivery proves itself); 200 for one received before."""
    op = _operation(operation_id, status, description, errors=(400, 413, 415, 503),
                    body=(True, {"type": "object", "required": ["id", type_field]}), parameters=headers)
    op["responses"]["200"] = {"description": "Received before: nothing changes"}
    return {"post": {**op, "security": []}}


GATEWAY_EVENT_PATHS = {
    "/webhooks/stripe": _gateway_events(
        "receiveStripeEvent", 200, "Verified and stored, or received before; applied in the background", "type",
        [_signature_header("Stripe-Signature", "`t=<unix seconds>,v1=<HMAC-SHA256>` with the endpoint's secret "
                                               "(PAYWAVE_STRIPE_WEBHOOK_SECRET); refused beyond 5 minutes.")]),
    "/webhooks/paypal": _gateway_events(
        "receivePayPalEvent", 202, "Accepted pending verification: the ops pool verifies it with PayPal, then "
        "applies it (a forged event is rejected, never applied)", "event_type",
        [_signature_header(f"PAYPAL-{name}", "Checked for form here (the time within 5 minutes), verified with "
                                             "PayPal by the ops pool.")
         for name in ("TRANSMISSION-ID", "TRANSMISSION-TIME", "TRANSMISSION-SIG", "CERT-URL", "AUTH-ALGO")]),
}



#: What PayWave sends to an endpoint (Standard Webhooks); README shows how to verify it.
WEBHOOKS = {"event": {"post": {
    "summary": "An event, signed; delivered at least once and in no guaranteed order",
    "security": [],
    "parameters": [
        _signature_header("webhook-id", "The event id: deduplicate on it."),
        _signature_header("webhook-timestamp", "Unix seconds; refuse it beyond 5 minutes either way."),
        _signature_header("webhook-signature", "Space-separated `v1,<base64 HMAC-SHA256>` of `{id}.{timestamp}.{body}` "
                                               "(two during a secret rotation)."),
    ],
    "requestBody": {"required": True, "content": {"application/json": {"schema": {"$ref": "#/components/schemas/Event"}}}},
    "responses": {"2XX": {"description": "Received. Any other answer, a redirect included, is retried on the schedule; "
                                         "410 disables the endpoint; 429 and 503 may send Retry-After."}},
}}}


def document():
    payment = _json("Payment")
    get_link = {"GetPayment": {"operationId": "getPayment", "parameters": {"payment_id": "$response.body#/id"}}}
    update = {**_object(description=PAYMENT_CREATE["properties"]["description"], metadata=METADATA, amount=AMOUNT),
              "minProperties": 1}
    return {
        "openapi": "3.1.0",
        "info": {"title": "PayWave", "version": "1.0.0",
                 "description": "Accept a payment at once (202), charge it through Stripe or PayPal in the "
                                "background, poll it or receive webhooks. Amounts are integers in minor units."},
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}],
        "paths": {
            "/payments": {
                "post": _operation("createPayment", 202, "Accepted; charged in the background", payment,
                                   (400, 401, 403, 409, 413, 415, 422, 503),
                                   (True, {"$ref": "#/components/schemas/PaymentCreate"}),
                                   [_IDEMPOTENCY], headers={"Location": {"schema": {"type": "string"}}}, links=get_link),
                "get": _operation("listPayments", 200, "Newest first", {"application/json": {"schema": _list_of("Payment")}},
                                  (400, 401, 403, 422, 503), parameters=LIST_PARAMETERS),
            },
            "/payments/{payment_id}": {
                "parameters": [_ID],
                "get": _operation("getPayment", 200, "The payment", payment, (401, 403, 404, 503)),
                "put": _operation("updatePayment", 200, "Updated", payment, WRITE_ERRORS, (True, update), [_IDEMPOTENCY]),
            },
            "/payments/{payment_id}/capture": {
                "parameters": [_ID],
                "post": _operation("capturePayment", 202, "Capture queued", payment, WRITE_ERRORS,
                                   (False, _object(amount=AMOUNT)), [_IDEMPOTENCY]),
            },
            "/payments/{payment_id}/cancel": {
                "parameters": [_ID],
                "post": _operation("cancelPayment", 202, "Canceled, or void queued", payment, WRITE_ERRORS,
                                   parameters=[_IDEMPOTENCY]),
            },
            "/payments/{payment_id}/refunds": {
                "parameters": [_ID],
                "post": _operation("createRefund", 202, "Refund queued", _json("Refund"), WRITE_ERRORS,
                                   (False, _object(amount=AMOUNT, reason={"type": "string", "maxLength": 255})),
                                   [_IDEMPOTENCY]),
                "get": _operation("listRefunds", 200, "Refunds of the payment",
                                  {"application/json": {"schema": _list_of("Refund")}}, (401, 403, 404, 503)),
            },
            "/payments/{payment_id}/refunds/{refund_id}": {
                "parameters": [_ID, _REFUND_ID],
                "get": _operation("getRefund", 200, "The refund", _json("Refund"), (401, 403, 404, 503)),
            },
            **_webhook_paths(),
            **GATEWAY_EVENT_PATHS,
            "/healthz": {"get": {**_operation("health", 200, "Process up"), "security": []}},
            "/readyz": {"get": {"operationId": "ready", "security": [],
                                "responses": {"200": {"description": "Ready"},
                                              "503": {"description": "A dependency is unreachable"}}}},
            "/metrics": {"get": {**_operation("metrics", 200, "Prometheus text format"), "security": []}},
        },
        "webhooks": WEBHOOKS,
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Payment": PAYMENT, "Attempt": ATTEMPT, "Refund": REFUND, "PaymentCreate": PAYMENT_CREATE,
                        "Problem": PROBLEM, "WebhookEndpoint": WEBHOOK_ENDPOINT,
                        "WebhookEndpointCreate": WEBHOOK_ENDPOINT_CREATE, "Event": EVENT,
                        "WebhookDelivery": WEBHOOK_DELIVERY, "WebhookAttempt": WEBHOOK_ATTEMPT},
            "responses": {"Problem": {
                "description": "RFC 9457 problem details",
                "content": {"application/problem+json": {"schema": {"$ref": "#/components/schemas/Problem"}}}}},
        },
    }


class OpenAPI:
    uses_database = False

    def __init__(self):
        self.document = document()

    def on_get(self, req, resp):
        resp.media = self.document
