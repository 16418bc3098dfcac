"""PayPal sandbox: Orders v2 and Payments v2 in memory, as PayPal's REST API answers them
(``app.create_app``)."""
