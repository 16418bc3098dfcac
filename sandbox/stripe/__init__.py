"""Stripe sandbox: an in-memory Stripe test account the real ``stripe`` SDK talks to unchanged
(``app.create_app``)."""
