"""The demo checkout in a real browser: paying with the card fields, what the shop's page and server can
see of the card, and who may send ``POST /tokens``."""

import http.server
import re

import requests

from shared.net import free_port
from tests.support import leakscan, services

TOKEN_ID = re.compile(r"tok_[A-Za-z0-9]{24}")


def test_paying_with_the_card_fields_succeeds_and_the_shop_sends_a_token_not_the_card(checkout):
    checkout.fill_card("4242 4242 4242 4242")
    assert checkout.fields.locator("#number").input_value() == "4242 4242 4242 4242"
    assert checkout.fields.locator("#brand").inner_text() == "VISA"
    checkout.page.click("#pay")

    title, detail = checkout.status("succeeded")
    assert title == "Payment succeeded"
    payment_id = re.search(r"pay_[A-Za-z0-9]{24}", detail).group()
    checkout.screenshot("checkout.png")

    log = checkout.stack.log()
    (sent,) = [line for line in log if line.get("message") == "demo_checkout_payment"]
    assert sent["payment"]["id"] == payment_id
    assert sent["sent"]["payment_method"]["type"] == "token"
    assert TOKEN_ID.fullmatch(sent["sent"]["payment_method"]["token"])
    (request,) = [line for line in log if line.get("request") == sent["request"] and "route" in line]
    assert (request["http"], request["route"]) == (
        {"request": {"method": "POST"}, "response": {"status_code": 202}},
        "/payments",
    )
    assert leakscan.find(checkout.stack.log_text()) == []  # no card number anywhere in the ingress's log


def test_the_shop_page_cannot_read_the_card_fields(checkout):
    checkout.fill_card("4242424242424242")
    seen = checkout.page.evaluate(
        """() => {
          const frame = document.querySelector("#card-fields iframe");
          let read;
          try {
            read = frame.contentWindow.document.querySelector("#number").value;
          } catch (error) {
            read = "refused: " + error.name;
          }
          return {document: frame.contentDocument, read};
        }"""
    )
    assert seen == {"document": None, "read": "refused: SecurityError"}


def test_an_invalid_card_shows_an_inline_error_and_nothing_is_sent(checkout):
    sent = []
    checkout.page.on("request", lambda request: sent.append(request.url))
    checkout.pay_with_card("4242 4242 4242 4241")

    error = checkout.fields.locator("#error")
    error.wait_for()
    assert error.inner_text() == "The card number is not valid."
    assert checkout.fields.locator("#number").get_attribute("aria-invalid") == "true"
    assert not [url for url in sent if url.endswith(("/tokens", "/checkout/demo/pay"))]
    assert checkout.page.is_hidden("#status")


class _Blank(http.server.BaseHTTPRequestHandler):
    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/html")
        self.end_headers()
        self.wfile.write(b"<!doctype html><title>another shop</title>")

    def log_message(self, *args):
        pass


def test_a_page_of_an_origin_not_allowed_cannot_send_post_tokens(browser, stack):
    key = stack.config.demo_publishable_key
    card = {"number": "4242424242424242", "exp_month": 12, "exp_year": 2034, "cvc": "123"}
    with services.serving(http.server.ThreadingHTTPServer(("127.0.0.1", free_port()), _Blank)) as server:
        other = f"http://127.0.0.1:{server.server_address[1]}"
        context = browser.new_context()
        try:
            page = context.new_page()
            page.goto(other)
            outcome = page.evaluate(
                """async ([api, key, card]) => {
                  try {
                    const answer = await fetch(api + "/tokens", {
                      method: "POST",
                      headers: {"Authorization": "Bearer " + key, "Content-Type": "application/json"},
                      body: JSON.stringify({card}),
                    });
                    return "answered " + answer.status;
                  } catch (error) {
                    return "refused: " + error.name;
                  }
                }""",
                [stack.api, key, card],
            )
        finally:
            context.close()
    assert outcome == "refused: TypeError"  # the browser saw no Access-Control-Allow-Origin
    refused = [
        line
        for line in stack.log()
        if line.get("route") == "/tokens"
        and line.get("http") == {"request": {"method": "POST"}, "response": {"status_code": 403}}
    ]
    assert refused, "the ingress refused the request itself (403), nothing was written"

    headers = {"Authorization": f"Bearer {key}", "Origin": other}
    answer = requests.post(f"{stack.api}/tokens", json={"card": card}, headers=headers, timeout=10)
    assert answer.status_code == 403
    assert answer.json()["detail"].startswith(other)
    assert "Access-Control-Allow-Origin" not in answer.headers
    assert answer.headers["Vary"] == "Origin"
