"""An ingress that holds no vault private key takes a card payment; a charging worker opens and charges it."""

import dataclasses

import pytest
from falcon import testing

from ingress.app import create_app
from store.models import Payment
from store.vault import Vault, VaultKeyMissing
from tests.support.api import card_payment
from tests.support.sandbox import wait_status


def test_ingress_without_private_key_accepts_and_the_worker_charges(worker_config, fleet, db, auth, stripe):
    ingress_config = dataclasses.replace(worker_config, vault_private_keys="", vault_keys="")
    ingress_vault = Vault.from_config(ingress_config)
    api = testing.TestClient(
        create_app(
            ingress_config,
            vault=ingress_vault,
            cache=fleet.context.cache,
            relay=fleet.relay,
            broker_check=lambda: True,
        )
    )
    resp = api.simulate_post("/payments", json=card_payment(gateway="stripe", amount=4321), headers=auth)
    assert resp.status_code == 202, resp.text
    pid = resp.json["id"]
    with pytest.raises(VaultKeyMissing):
        ingress_vault.open_card(Payment.get_by_id(pid))
    payment = wait_status(pid)
    assert (payment.status, payment.amount_captured) == ("succeeded", 4321)
    assert stripe.captured(pid) == 4321
