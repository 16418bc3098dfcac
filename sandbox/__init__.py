"""Local fakes of the gateways (Stripe, PayPal) for development and tests: never in the wheel or the
images."""
