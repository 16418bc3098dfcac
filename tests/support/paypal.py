"""A buyer's browser on the PayPal sandbox's checkout page (``payer-action`` links)."""

import html
import re
from urllib.parse import urljoin

import requests

FORM = re.compile(r'<form method="post" action="([^"]*)"')


class Buyer:
    """Opens a checkout page and presses its Approve or Cancel button, as a browser submits the form."""

    def __init__(self):
        self.session = requests.Session()

    def open(self, url):
        """The checkout page's HTML."""
        page = self.session.get(url, timeout=5)
        assert page.status_code == 200 and page.headers["Content-Type"].startswith("text/html"), page.text
        return page.text

    def press(self, url, action):
        """Press ``approve`` or ``cancel`` on the page at ``url``: the answer, redirect not followed."""
        form = FORM.search(self.open(url))
        assert form, "the page has no form"
        target = urljoin(url, html.unescape(form.group(1)))
        return self.session.post(target, data={"action": action}, allow_redirects=False, timeout=5)

    def answer(self, url, action):
        """Press ``action``; where the page sends the browser back (its 303 ``Location``)."""
        answer = self.press(url, action)
        assert answer.status_code == 303, answer.text
        return answer.headers["Location"]
