"""The issuer's 3-D Secure challenge: its ``next_action`` on a PaymentIntent and the page the customer's
browser is sent to (Complete / Fail), which sends the browser back to the merchant's ``return_url``."""

import contextvars
import html
from urllib.parse import parse_qsl, urlencode

import falcon

from sandbox.stripe.wire import ApiError

#: The sandbox's own address as the request that is answered reached it (``scheme://host``): the
#: challenge page is served there.
ORIGIN: contextvars.ContextVar[str] = contextvars.ContextVar("sandbox_origin", default="http://localhost")
PATH = "/_sandbox/3ds/{pi_id}"

PAGE = """<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>3-D Secure test challenge</title>
<style>body{{font-family:system-ui,sans-serif;max-width:28rem;margin:4rem auto;text-align:center}}
button{{font-size:1rem;padding:.6rem 1.4rem;margin:.5rem;border-radius:.4rem;border:1px solid #888}}
#complete{{background:#1a7f37;color:#fff}}</style></head>
<body><h1>3-D Secure test page</h1>
<p>Your bank asks you to confirm the payment of <strong>{amount}</strong>.</p>
<form method="post"><button id="complete" name="result" value="complete">Complete</button>
<button id="fail" name="result" value="fail">Fail</button></form></body></html>
"""


def challenge(pi_id, return_url):
    """A PaymentIntent's ``next_action`` for the challenge of ``pi_id``, in Stripe's shape.

    Parameters:
      return_url: Where the browser goes afterwards; None: Stripe.js handles the challenge in the page.
    """
    url = ORIGIN.get() + PATH.format(pi_id=pi_id)
    if return_url is None:
        return {
            "type": "use_stripe_sdk",
            "use_stripe_sdk": {"type": "three_d_secure_redirect", "stripe_js": url},
        }
    return {"type": "redirect_to_url", "redirect_to_url": {"url": url, "return_url": return_url}}


class ChallengeResource:
    """``GET`` the challenge page of a PaymentIntent; ``POST result=complete|fail`` answers it, then
    redirects (303) to its ``return_url`` with ``?payment_intent=pi_…`` as Stripe does."""

    def __init__(self, account):
        self.account = account

    def on_get(self, req, resp, pi_id):
        pi = self._waiting(pi_id)
        amount = f"{pi['amount']} {pi['currency'].upper()} (minor units)"
        resp.content_type = falcon.MEDIA_HTML
        resp.text = PAGE.format(amount=html.escape(amount))

    def on_post(self, req, resp, pi_id):
        result = dict(parse_qsl(req.bounded_stream.read().decode("utf-8", "replace"))).get("result")
        if result not in ("complete", "fail"):
            raise falcon.HTTPBadRequest(description="result must be complete or fail")
        action = self._waiting(pi_id)["next_action"]
        try:
            pi = self.account.charges.authenticate(pi_id, completed=result == "complete")
        except ApiError as exc:
            raise falcon.HTTPConflict(description=exc.body["error"]["message"]) from None
        return_url = (action.get("redirect_to_url") or {}).get("return_url")
        if return_url is None:
            resp.content_type = falcon.MEDIA_HTML
            resp.text = "<!doctype html><p>Done: you may close this window.</p>"
            return
        query = urlencode(
            {
                "payment_intent": pi["id"],
                "payment_intent_client_secret": pi["client_secret"],
                "redirect_status": "succeeded" if pi["status"] != "requires_payment_method" else "failed",
            }
        )
        raise falcon.HTTPSeeOther(return_url + ("&" if "?" in return_url else "?") + query)

    def _waiting(self, pi_id):
        with self.account.objects.lock:
            pi = self.account.objects.find(pi_id)
        if pi is None or pi["object"] != "payment_intent":
            raise falcon.HTTPNotFound(description=f"No such payment_intent: {pi_id}")
        if pi["status"] != "requires_action":
            raise falcon.HTTPConflict(description=f"The PaymentIntent is {pi['status']}: no challenge waits")
        return pi
