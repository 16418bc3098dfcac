"""The OpenAPI 3.1 contract, served at ``/openapi.json`` and checked by the tests."""
from ingress import validation

_ERROR = {"$ref": "#/components/responses/Problem"}
_ID = {"name": "payment_id", "in": "path", "required": True, "schema": {"type": "string", "pattern": "^pay_[A-Za-z0-9]{24}$"}}
_IDEMPOTENCY = {"name": "Idempotency-Key", "in": "header", "required": False,
                "schema": {"type": "string", "minLength": 1, "maxLength": 255},
                "description": "Replays return the first response for 24 hours."}
_NULLABLE_STR = {"type": ["string", "null"]}


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
LIST_PARAMETERS = [
    {"name": "limit", "in": "query", "schema": {"type": "integer", "minimum": 1, "maximum": validation.LIST_LIMIT_MAX}},
    {"name": "starting_after", "in": "query", "schema": {"type": "string"}},
    {"name": "status", "in": "query", "schema": PAYMENT["properties"]["status"]},
    {"name": "customer", "in": "query", "schema": {"type": "string"}},
    {"name": "created[gte]", "in": "query", "schema": {"type": "string", "format": "date-time"}},
    {"name": "created[lte]", "in": "query", "schema": {"type": "string", "format": "date-time"}},
]


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
            "/healthz": {"get": {**_operation("health", 200, "Process up"), "security": []}},
            "/readyz": {"get": {"operationId": "ready", "security": [],
                                "responses": {"200": {"description": "Ready"},
                                              "503": {"description": "A dependency is unreachable"}}}},
            "/metrics": {"get": {**_operation("metrics", 200, "Prometheus text format"), "security": []}},
        },
        "components": {
            "securitySchemes": {"bearer": {"type": "http", "scheme": "bearer", "bearerFormat": "JWT"}},
            "schemas": {"Payment": PAYMENT, "Attempt": ATTEMPT, "Refund": REFUND, "PaymentCreate": PAYMENT_CREATE,
                        "Problem": PROBLEM},
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
