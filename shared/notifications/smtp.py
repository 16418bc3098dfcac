"""Email over SMTP (``PAYWAVE_SMTP_URL``), with the standard library's ``smtplib``.

- ``smtps://[user:pass@]host[:465]``: TLS from the first byte (implicit TLS).
- ``smtp://user:pass@host[:587]``: STARTTLS is REQUIRED: a server that does not offer it fails the attempt
  (retried: the operator may fix the server), so a password never crosses the network in clear.
- ``smtp://host[:25]``: STARTTLS when the server offers it, plain otherwise (a development catcher).

Certificates are verified against the system's trust store (``SSL_CERT_FILE`` points elsewhere).
"""

import email.message
import email.policy
import email.utils
import smtplib
import ssl
import urllib.parse

from shared.notifications import Channel, Message, Result

SCHEMES = {"smtp": 25, "smtps": 465}


def check_url(url: str) -> None:
    """Raises:
    ValueError: ``url`` is not ``smtp://`` or ``smtps://`` with a host.
    """
    parts = urllib.parse.urlsplit(url)
    if parts.scheme not in SCHEMES or not parts.hostname:
        raise ValueError("expected smtp://[user:pass@]host[:port] or smtps://[user:pass@]host[:port]")
    parts.port  # noqa: B018  (raises ValueError for a port that is not a number)


def _classify(code: int, text: str) -> Result:
    """A reply to the message's transaction: 2xx sent, 5xx permanent, anything else worth a retry."""
    outcome = "sent" if 200 <= code < 300 else "failed" if 500 <= code < 600 else "retry"
    return Result(outcome, code, text)


def _text(reply: bytes | str) -> str:
    return (reply.decode("utf-8", "replace") if isinstance(reply, bytes) else reply).strip()[:500]


class Smtp(Channel):
    """Parameters:
    url: ``PAYWAVE_SMTP_URL`` (checked: ``check_url``).
    timeout: Seconds for the connection and each reply.
    """

    name = "email"

    def __init__(self, url: str, timeout: float) -> None:
        check_url(url)
        parts = urllib.parse.urlsplit(url)
        self.implicit_tls = parts.scheme == "smtps"
        self.host, self.port = parts.hostname or "", parts.port or SCHEMES[parts.scheme]
        self.user = urllib.parse.unquote(parts.username or "")
        self.password = urllib.parse.unquote(parts.password or "")
        self.timeout = timeout

    @staticmethod
    def mime(message: Message) -> bytes:
        """The message as sent: text and HTML alternatives, CRLF line ends."""
        mime = email.message.EmailMessage(policy=email.policy.SMTP)
        mime["Message-ID"] = message.message_id
        mime["Date"] = email.utils.formatdate(localtime=False)
        mime["From"] = email.utils.formataddr((message.sender_name, message.sender))
        mime["To"] = message.recipient
        if message.reply_to:
            mime["Reply-To"] = message.reply_to
        mime["Subject"] = message.subject
        mime.set_content(message.text)
        mime.add_alternative(message.html, subtype="html")
        return mime.as_bytes()

    def _connect(self) -> smtplib.SMTP:
        context = ssl.create_default_context()
        if self.implicit_tls:
            client: smtplib.SMTP = smtplib.SMTP_SSL(
                self.host, self.port, timeout=self.timeout, context=context
            )
            client.ehlo()  # MAIL needs it first (smtplib's sendmail would say it; mail() does not)
            return client
        client = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
        client.ehlo()
        if client.has_extn("starttls"):
            client.starttls(context=context)
            client.ehlo()
        elif self.user:
            client.close()
            raise smtplib.SMTPNotSupportedError(
                "the server offers no STARTTLS: the password is not sent in clear"
            )
        return client

    def send(self, message: Message) -> Result:
        try:
            client = self._connect()
        except smtplib.SMTPResponseException as exc:
            return Result("retry", exc.smtp_code, _text(exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:  # refused, timed out, TLS, no STARTTLS
            return Result("retry", None, f"{type(exc).__name__}: {exc}"[:500])
        try:
            if self.user:
                client.login(self.user, self.password)
            for step in (
                lambda: client.mail(message.sender),
                lambda: client.rcpt(message.recipient),
                lambda: client.data(self.mime(message)),
            ):
                code, reply = step()
                answer = _classify(code, _text(reply))
                if answer.outcome != "sent":
                    return answer
            return answer
        except smtplib.SMTPResponseException as exc:  # a refused login, a refused DATA
            return _classify(exc.smtp_code, _text(exc.smtp_error))
        except (OSError, smtplib.SMTPException) as exc:  # lost mid-way: an unknown outcome, retried
            return Result("retry", None, f"{type(exc).__name__}: {exc}"[:500])
        finally:
            try:
                client.quit()
            except (OSError, smtplib.SMTPException):
                client.close()
