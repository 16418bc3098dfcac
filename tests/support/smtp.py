"""A real SMTP server for the tests (``aiosmtpd``, on 127.0.0.1): it records every message offered and answers
each DATA as scripted (``"451 4.3.0 try later"``, ``"550 5.1.1 no such user"``), then accepts."""

import email
import email.message
import email.policy
import logging
import socket
import threading
import time

from aiosmtpd.controller import Controller


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Catcher:
    """Parameters:
    script: DATA answers in order; then ``250``.
    """

    def __init__(self, script=(), **controller_options):
        self.script = list(script)
        self.offered: list[email.message.EmailMessage] = []  # every DATA, accepted or not
        self.accepted: list[email.message.EmailMessage] = []
        self.lock = threading.Lock()
        logging.getLogger("mail.log").setLevel(logging.WARNING)  # the server's lines name every address
        self.controller = Controller(self, hostname="127.0.0.1", port=free_port(), **controller_options)
        self.controller.start()
        self.url = f"smtp://127.0.0.1:{self.controller.port}"

    async def handle_DATA(self, server, session, envelope):
        message = email.message_from_bytes(envelope.content, policy=email.policy.default)
        with self.lock:
            self.offered.append(message)
            answer = self.script.pop(0) if self.script else "250 2.0.0 Ok: queued as CAUGHT"
            if answer.startswith("250"):
                self.accepted.append(message)
        return answer

    def wait(self, count, timeout=20.0) -> list[email.message.EmailMessage]:
        """The accepted messages once there are ``count``."""
        deadline = time.monotonic() + timeout
        while len(self.accepted) < count and time.monotonic() < deadline:
            time.sleep(0.02)
        assert len(self.accepted) >= count, f"{len(self.accepted)} of {count} messages accepted"
        return self.accepted

    def close(self):
        self.controller.stop()


def bodies(message: email.message.EmailMessage) -> tuple[str, str]:
    """``(text, html)`` of a notification."""
    text, html = message.get_body(("plain",)), message.get_body(("html",))
    assert text is not None and html is not None
    return text.get_content(), html.get_content()
