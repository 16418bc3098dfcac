"""``GET /payments/{id}/notifications``: what the payment's customer was told (issue 16), with the SMTP
answer; and, in development (``PAYWAVE_DEV_MAIL_DIR``, filled by ``paywave dev``'s catcher), ``/_dev/mail``:
the mails caught, so a new user sees the receipt of their first payment."""

import email.message
import email.parser
import email.policy
import email.utils
import html
import mailbox
import re

import falcon

from ingress.resources.common import known_id
from store import notifications

MESSAGE_KEY = re.compile(r"[A-Za-z0-9._-]{1,128}")


@falcon.before(known_id)
class OfPayment:
    """Oldest first; the recipient masked (``j***@example.com``)."""

    actions = {"GET": "payments.read"}

    def on_get(self, req, resp, payment_id):
        data = notifications.of_payment(
            req.context.merchant_id, payment_id, livemode=req.context.principal.livemode
        )
        resp.media = {"object": "list", "data": data, "has_more": False, "url": req.path}


class CaughtMail:
    """``GET /_dev/mail``: the caught mails, newest first (from, to, subject, a link to each HTML body);
    ``GET /_dev/mail/{key}``: one mail's HTML body as it was sent.  No credential: development only."""

    public = True

    def __init__(self, directory: str) -> None:
        self.maildir = mailbox.Maildir(directory, factory=None, create=True)

    def _read(self, key: str) -> email.message.EmailMessage:
        return email.parser.BytesParser(policy=email.policy.default).parsebytes(self.maildir.get_bytes(key))

    def _messages(self) -> list[tuple[str, email.message.EmailMessage]]:
        found = [(key, self._read(key)) for key in self.maildir.keys()]  # noqa: SIM118 (a Maildir, not a dict)
        return sorted(found, key=lambda kv: email.utils.parsedate_to_datetime(kv[1]["Date"]), reverse=True)

    def on_get(self, req, resp):
        rows = "".join(
            f"<tr><td>{html.escape(str(m['Date']))}</td><td>{html.escape(str(m['From']))}</td>"
            f"<td>{html.escape(str(m['To']))}</td>"
            f'<td><a href="/_dev/mail/{html.escape(key)}">{html.escape(str(m["Subject"]))}</a></td></tr>'
            for key, m in self._messages()
        )
        resp.content_type = falcon.MEDIA_HTML
        resp.text = (
            "<!doctype html><meta charset=utf-8><title>Caught mail</title><h1>Caught mail</h1>"
            "<table><tr><th>Date</th><th>From</th><th>To</th><th>Subject</th></tr>" + rows + "</table>"
        )

    def on_get_message(self, req, resp, key):
        if not MESSAGE_KEY.fullmatch(key) or key not in self.maildir:
            raise falcon.HTTPNotFound()
        body = self._read(key).get_body(("html", "plain"))
        resp.content_type = falcon.MEDIA_HTML
        # The HTML body as the notification sent it (autoescaped by its template); a sandbox keeps its
        # scripts, if a merchant's template held any, from running on the ingress's origin.
        resp.set_header("Content-Security-Policy", "sandbox")
        resp.text = body.get_content() if body else ""


def routes(app: falcon.App, config) -> None:
    app.add_route("/payments/{payment_id}/notifications", OfPayment())
    if config.dev_mail_dir:
        caught = CaughtMail(config.dev_mail_dir)
        app.add_route("/_dev/mail", caught)
        app.add_route("/_dev/mail/{key}", caught, suffix="message")
