"""One Stripe test account: where its objects are kept, the rules that move them, and what it tells the
world."""

import dataclasses

from sandbox.stripe.charges import Charges
from sandbox.stripe.events import Emitter, Webhooks
from sandbox.stripe.objects import ObjectStore
from sandbox.stripe.payment_intents import PaymentIntents
from sandbox.stripe.payment_methods import PaymentMethods
from sandbox.stripe.refunds import Refunds


@dataclasses.dataclass(frozen=True)
class Account:
    objects: ObjectStore
    payment_methods: PaymentMethods
    payment_intents: PaymentIntents
    charges: Charges
    refunds: Refunds

    @classmethod
    def open(cls, ledger, webhook_url=None, webhook_secret=None):
        """An empty account whose money movements go to ``ledger`` and, with ``webhook_url``, whose events are
        sent there."""
        objects = ObjectStore()
        emit = Emitter(ledger, Webhooks(webhook_url, webhook_secret) if webhook_url else None)
        charges = Charges(objects, emit)
        return cls(
            objects,
            PaymentMethods(objects),
            PaymentIntents(objects, charges),
            charges,
            Refunds(objects, emit),
        )
