"""The ingress killed with SIGKILL under load: a payment it accepted is never lost, and a
client that lost its answer and retries with the same Idempotency-Key never pays twice."""

import concurrent.futures
import dataclasses
import os
import signal
import time
import urllib.parse

import requests

from store.models import Payment
from tests.support.api import card_payment
from tests.support.processes import start_ingress
from tests.support.proxy import TcpProxy, via_proxy
from tests.support.sandbox import wait_status


def test_sigkill_of_the_ingress_loses_no_accepted_payment_and_charges_each_key_once(
    chaos_config, mint, merchant, workers, stripe, db
):
    workers("stripe", threads=4)
    # The ingress reaches RabbitMQ through a proxy we cut: its relay cannot publish, so the jobs of
    # what it accepted are only in its outbox when it dies. Another process's relay must find them.
    broker = urllib.parse.urlparse(chaos_config.broker_url)
    proxy = TcpProxy(broker.hostname, broker.port)
    cfg = dataclasses.replace(chaos_config, broker_url=via_proxy(chaos_config.broker_url, proxy))
    proc, base = start_ingress(cfg)
    proxy.cut()
    token = mint(merchant)
    keys = [f"kill-{merchant}-{i}" for i in range(120)]
    answers = {}

    def post(key, url):
        try:
            resp = requests.post(
                url + "/payments",
                json=card_payment(amount=1000 + keys.index(key)),
                timeout=10,
                headers={"Authorization": f"Bearer {token}", "Idempotency-Key": key},
            )
            return key, resp.status_code, resp.json().get("id") if resp.status_code == 202 else None
        except requests.RequestException:
            return key, None, None  # the answer was lost: the client will retry with the same key

    with concurrent.futures.ThreadPoolExecutor(8) as pool:
        futures = [pool.submit(post, key, base) for key in keys]
        # Killed once the first payment is accepted (not after a fixed delay, which a loaded machine can
        # outlast before the first answer): mid-load, some answered, some cut, some never sent.
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline and not any(f.done() and f.result()[1] == 202 for f in futures):
            time.sleep(0.01)
        os.killpg(proc.pid, signal.SIGKILL)
        for future in futures:
            key, status, pid = future.result()
            answers[key] = (status, pid)
    proc.wait(10)
    proxy.restore()
    proxy.close()
    accepted = {key: pid for key, (status, pid) in answers.items() if status == 202}
    assert accepted, "the ingress died before accepting anything: the kill came too early"

    restarted, base = start_ingress(chaos_config)
    try:
        for key in keys:  # every client retries what it did not hear back, and replays the rest
            _, status, pid = post(key, base)
            # a key whose request died mid-flight is free at once: the claim's backend died with it
            assert status == 202, (key, status)
            assert accepted.setdefault(key, pid) == pid  # a replay answers the same payment
    finally:
        os.killpg(restarted.pid, signal.SIGTERM)
        restarted.wait(20)
    assert Payment.select().where(Payment.merchant_id == merchant).count() == len(keys)  # one payment per key
    for key, pid in accepted.items():
        payment = wait_status(pid, timeout=60)
        assert payment.status == "succeeded", (key, payment.status)
        assert stripe.captured(pid) == payment.amount  # charged, exactly once
