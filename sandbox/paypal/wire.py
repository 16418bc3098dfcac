"""PayPal's wire conventions the sandbox's modules share: its error envelope with the issue texts of each
API and operation (PayPal's documents enumerate them), and the checks of request fields."""

import secrets

#: HTTP status → PayPal's error ``name`` and ``message``.
NAMES = {
    400: ("INVALID_REQUEST", "Request is not well-formed, syntactically incorrect, or violates schema."),
    401: (
        "AUTHENTICATION_FAILURE",
        "Authentication failed due to missing authorization header, or invalid authentication credentials.",
    ),
    403: ("NOT_AUTHORIZED", "Authorization failed due to insufficient permissions."),
    404: ("RESOURCE_NOT_FOUND", "The specified resource does not exist."),
    409: ("RESOURCE_CONFLICT", "The server has detected a conflict while processing this request."),
    422: (
        "UNPROCESSABLE_ENTITY",
        "The requested action could not be performed, semantically incorrect, or failed business validation.",
    ),
    429: ("RATE_LIMIT_REACHED", "Too many requests. Blocked due to rate limiting."),
    500: ("INTERNAL_SERVER_ERROR", "An internal server error occurred."),
    503: ("SERVICE_UNAVAILABLE", "Service Unavailable."),
}

#: ``details[].issue`` → PayPal's description of it in Orders v2 ...
ORDER_ISSUES = {
    "MALFORMED_REQUEST_JSON": "The request JSON is not well formed.",
    "MISSING_REQUIRED_PARAMETER": "A required parameter is missing.",
    "INVALID_PARAMETER_SYNTAX": "The value of a field does not conform to the expected format.",
    "INVALID_PARAMETER_VALUE": "A parameter value is not valid.",
    "INVALID_STRING_LENGTH": "The value of a field is either too short or too long",
    "INVALID_ARRAY_MIN_ITEMS": "The number of items in an array parameter is too small.",
    "NOT_SUPPORTED": "This field is not currently supported.",
    "PAYPAL_REQUEST_ID_REQUIRED": (
        "A PayPal-Request-Id is required if you are trying to process payment for an Order. Please specify a "
        "PayPal-Request-Id or Create the Order without a 'payment_source' specified."
    ),
    "CARD_EXPIRED": "The card is expired",
    "DECIMAL_PRECISION": "If the currency supports decimals, only two decimal place precision is supported.",
    "INVALID_CURRENCY_CODE": (
        "Currency code is invalid or is not currently supported. Please refer "
        "https://developer.paypal.com/api/rest/reference/currency-codes/ "
        "for list of supported currency codes."
    ),
    "CANNOT_BE_ZERO_OR_NEGATIVE": (
        "Must be greater than zero. If the currency supports decimals, only two decimal place precision is "
        "supported."
    ),
    "DUPLICATE_INVOICE_ID": (
        "Duplicate Invoice ID detected. To avoid a potential duplicate transaction your account setting "
        "requires that Invoice Id be unique for each transaction."
    ),
    "INVALID_RESOURCE_ID": (
        "Specified resource ID does not exist. Please check the resource ID and try again."
    ),
    "INVALID_PATCH_OPERATION": (
        "The operation cannot be honored. Cannot add a property that's already present, use replace. Cannot "
        "remove a property thats not present, use add. Cannot replace a property thats not present, use add."
    ),
    "FIELD_NOT_PATCHABLE": "Field cannot be patched.",
    "ORDER_ALREADY_COMPLETED": "The order cannot be patched after it is completed.",
    "NOT_PATCHABLE": "Cannot be patched.",
    "PATCH_VALUE_REQUIRED": "Please specify a 'value' to for the field that is being patched.",
    "PATCH_PATH_REQUIRED": (
        "Please specify a 'path' for the field for which the operation needs to be performed."
    ),
    "PREVIOUS_REQUEST_IN_PROGRESS": (
        "A previous request on this resource is currently in progress. Please wait for sometime and try "
        "again. It is best to space out the initial and the subsequent request(s) to avoid receiving this "
        "error."
    ),
}
#: ... and in Payments v2, where some texts differ.
PAYMENT_ISSUES = {
    **ORDER_ISSUES,
    "MISSING_REQUIRED_PARAMETER": "A required field / parameter is missing.",
    "INVALID_PARAMETER_VALUE": "The value of a field is invalid.",
    "INVALID_STRING_LENGTH": "The value of a field is either too short or too long.",
    "INVALID_CURRENCY_CODE": (
        "Currency code is invalid or is not currently supported. Please refer "
        "https://developer.paypal.com/docs/api/reference/currency-codes/ "
        "for list of supported currency codes."
    ),
    "AUTH_CAPTURE_CURRENCY_MISMATCH": "Currency of capture must be the same as currency of authorization.",
    "AUTHORIZATION_VOIDED": "A voided authorization cannot be captured or reauthorized. ",
    "AUTHORIZATION_ALREADY_CAPTURED": "Authorization has previously been captured.",
    "AUTHORIZATION_DENIED": "An denied authorization cannot be captured.",
    "MAX_CAPTURE_AMOUNT_EXCEEDED": (
        "Capture amount exceeds allowable limit. Please contact customer service or your account manager to "
        "request the change to your overage limit. The default overage limit is 115%, which allows the sum "
        "of all captures to be up to 115% of the order amount. The ability to over capture is subjected to "
        "regulatory approvals."
    ),
    "PREVIOUSLY_CAPTURED": "Authorization has been previously captured and hence cannot be voided.",
    "PREVIOUSLY_VOIDED": "Authorization has been previously voided and hence cannot be voided again.",
    "CANNOT_BE_VOIDED": "A reauthorization cannot be voided. Please void the original parent authorization.",
    "REFUND_AMOUNT_EXCEEDED": (
        "The refund amount must be less than or equal to the capture amount that has not yet been refunded."
    ),
    "CAPTURE_FULLY_REFUNDED": "The capture has already been fully refunded",
    "CURRENCY_MISMATCH": "The refund must be in the currency of the capture.",
    "REFUND_NOT_ALLOWED": "Capture cannot be refunded.",
}

#: ... and the 422 issues of the order's capture and authorize operations (words differ per operation).
ORDER_ACTION_ISSUES = {
    "capture": {
        "ORDER_NOT_APPROVED": (
            "Payer has not yet approved the Order for payment. Please redirect the payer to the "
            "'rel':'approve' url returned as part of the HATEOAS links within the Create Order call or "
            "provide a valid `payment_source` in the request."
        ),
        "ORDER_ALREADY_CAPTURED": (
            "Order already captured.If 'intent=CAPTURE' only one capture per order is allowed."
        ),
        "INSTRUMENT_DECLINED": (
            "The instrument presented  was either declined by the processor or bank, or it can't be used for "
            "this payment."
        ),
        "ACTION_DOES_NOT_MATCH_INTENT": (
            "Order was created with an intent to 'AUTHORIZE'. Please use "
            "v2/checkout/orders/order_id/authorize to complete the transaction or alternately Create an "
            "order with an intent of 'CAPTURE'."
        ),
    },
    "authorize": {
        "ORDER_NOT_APPROVED": (
            "Payer has not yet approved the Order for payment. Please redirect the payer to the "
            "'rel':'approve' url returned as part of the HATEOAS links within the Create Order call."
        ),
        "ORDER_ALREADY_AUTHORIZED": (
            "Order already authorized.If 'intent=AUTHORIZE' only one authorization per order is allowed."
        ),
        "ACTION_DOES_NOT_MATCH_INTENT": (
            "Order was created with an intent to 'CAPTURE'. Please use "
            "v2/checkout/orders/order_id/capture to complete the transaction or alternately Create an "
            "order with an intent of 'AUTHORIZE'."
        ),
    },
}


class Problem(Exception):
    """A PayPal error answer: ``status`` with one ``details`` entry when ``issue`` is given."""

    def __init__(self, status, issue=None, field=None, location="body"):
        super().__init__(issue or status)
        self.status, self.issue, self.field, self.location = status, issue, field, location

    def body(self, issues=ORDER_ISSUES):
        name, message = NAMES.get(self.status) or NAMES[500 if self.status >= 500 else 400]
        body = {"name": name, "message": message, "debug_id": secrets.token_hex(7)}
        if self.issue:
            detail = {"issue": self.issue, "description": issues[self.issue]}
            if self.field:
                detail.update(field=self.field, location=self.location)
            body["details"] = [detail]
            body["links"] = [
                {
                    "href": f"https://developer.paypal.com/docs/api/orders/v2/#error-{self.issue}",
                    "rel": "information_link",
                    "method": "GET",
                }
            ]
        return body


def required(body, key, field):
    if body.get(key) is None:
        raise Problem(400, "MISSING_REQUIRED_PARAMETER", field)
    return body[key]


def text(value, field, longest):
    if not isinstance(value, str):
        raise Problem(400, "INVALID_PARAMETER_SYNTAX", field)
    if not 1 <= len(value) <= longest:
        raise Problem(400, "INVALID_STRING_LENGTH", field)
    return value


def issues(req):
    """PayPal words some issues differently in Payments v2 and per order operation."""
    if req.path.startswith("/v2/payments"):
        return PAYMENT_ISSUES
    return {**ORDER_ISSUES, **ORDER_ACTION_ISSUES.get(req.path.rpartition("/")[2], {})}
