"""The contract describes itself: a client generated from it gets one module per tag and a docstring
for every operation, parameter and field."""

import openapi_spec_validator

from ingress.openapi import document

METHODS = ("get", "put", "post", "delete", "patch")


def operations(doc):
    for group in ("paths", "webhooks"):
        for path, item in doc.get(group, {}).items():
            for method in METHODS:
                if method in item:
                    yield f"{method.upper()} {path}", item, item[method]


def properties(node, where="#"):
    """``(where, schema)`` of every schema property anywhere below ``node``."""
    if isinstance(node, dict):
        if isinstance(node.get("properties"), dict):
            yield from ((f"{where}/properties/{name}", schema) for name, schema in node["properties"].items())
        for key, value in node.items():
            yield from properties(value, f"{where}/{key}")
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from properties(value, f"{where}/{i}")


def test_the_document_is_valid_openapi():
    openapi_spec_validator.validate(document())


def test_every_operation_parameter_and_property_is_described_and_tagged():
    doc = document()
    tags = {t["name"] for t in doc["tags"] if t.get("description")}
    assert (
        tags
        == {
            "Payments",
            "Tokens",
            "Refunds",
            "Webhook endpoints",
            "Events",
            "Gateway webhooks",
            "Health",
            "Merchant",
            "Customers",
            "Sessions",
            "Users",
            "Admin",
            "API keys",
            "Audit",
            "Radar",
            "Reviews",
        }
        <= tags
    )
    missing = []
    for label, item, op in operations(doc):
        if not op.get("tags") or not set(op["tags"]) <= tags:
            missing.append(f"{label}: tags")
        missing += [f"{label}: {key}" for key in ("summary", "description") if not op.get(key)]
        missing += [
            f"{label}: parameter {p['name']}"
            for p in [*item.get("parameters", ()), *op.get("parameters", ())]
            if not p.get("description")
        ]
    missing += [where for where, schema in properties(doc) if not schema.get("description")]
    assert missing == []


def test_operations_fall_into_their_tags():
    by_id = {op["operationId"]: op["tags"] for _, _, op in operations(document()) if "operationId" in op}
    assert by_id["createPayment"] == ["Payments"] and by_id["getRefund"] == ["Refunds"]
    assert by_id["createWebhookEndpoint"] == ["Webhook endpoints"] and by_id["redeliverEvent"] == ["Events"]
    assert by_id["receiveStripeEvent"] == ["Gateway webhooks"] and by_id["ready"] == ["Health"]
    assert by_id["resolvePayment"] == ["Admin"]
    assert by_id["getMerchant"] == by_id["updateMerchant"] == ["Merchant"]
    assert by_id["createCustomer"] == by_id["deleteCustomer"] == ["Customers"]
    assert by_id["createApiKey"] == by_id["rollApiKey"] == by_id["revokeApiKey"] == ["API keys"]
    assert by_id["createRadarRule"] == by_id["addRadarValueListItem"] == ["Radar"]


def test_payment_methods_tokens_and_customer_actions_are_described():
    doc = document()
    schemas = doc["components"]["schemas"]
    chosen = schemas["PaymentCreate"]["properties"]["payment_method"]
    mapping = chosen["discriminator"]["mapping"]
    assert chosen["discriminator"]["propertyName"] == "type"
    assert set(mapping) == {"card", "token", "paypal", "stripe_payment_method"}
    assert [ref["$ref"] for ref in chosen["oneOf"]] == list(mapping.values())
    for kind, ref in mapping.items():
        assert schemas[ref.rsplit("/", 1)[1]]["properties"]["type"]["const"] == kind
    assert "return_url" in schemas["PaymentCreate"]["properties"]
    payment = schemas["Payment"]
    assert {"method", "payment_method", "next_action", "return_url"} <= set(payment["required"])
    assert "requires_action" in payment["properties"]["status"]["enum"]
    redirect = payment["properties"]["next_action"]["properties"]["redirect_to_url"]
    assert redirect["required"] == ["url", "return_url"]
    tokens = doc["paths"]["/tokens"]["post"]
    assert (
        tokens["security"] == [{"publishable": []}] and "publishable" in doc["components"]["securitySchemes"]
    )
    assert tokens["responses"]["201"]["content"]["application/json"]["schema"] == {
        "$ref": "#/components/schemas/CardToken"
    }
    assert {"403", "422"} <= set(tokens["responses"])
