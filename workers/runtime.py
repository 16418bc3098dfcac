"""Everything a worker process needs, built from configuration: used by
``paywave worker`` (through ``workers.main``), ``paywave dev`` and the tests."""

import dataclasses
import functools

from dramatiq.middleware import default_middleware

from gateways.registry import build_gateways
from shared import tracing
from shared.broker import build_broker, publisher
from shared.cache import build_cache
from store.outbox import Relay
from store.vault import Vault
from workers import actors
from workers.actors.sweeper import sweep
from workers.circuit import CircuitBreaker
from workers.context import Context
from workers.middleware import Background, DatabaseConnection, DeadLetters, Heartbeat, Tracing
from workers.radar import Radar


@dataclasses.dataclass
class Runtime:
    broker: object
    context: Context
    relay: Relay
    actors: dict


def build(config, *, pool="all", sweeper=False, heartbeat=True, extra_middleware=(), cache=None):
    """Broker with our middleware, actors registered, relay ready to start.

    Parameters:
      pool: The pool this process serves (``paywave worker --pool``): labels its heartbeat gauge.
      sweeper: Run the sweeper loop in this process (the ops pool does).
    """
    cache = cache or build_cache(config)
    # DeadLetters first: "after" hooks run in reverse, so it sees what Retries decided; Tracing before it,
    # so the span covers every hook (and the log lines they write carry its trace id).
    middleware = [
        *([Tracing()] if tracing.enabled() else []),
        DeadLetters(cache),
        *(m() for m in default_middleware),
        DatabaseConnection(),
        *extra_middleware,
    ]
    broker = build_broker(config, middleware=middleware)
    relay = Relay(publisher(broker, config.queue_prefix))
    context = Context(
        config=config,
        gateways=build_gateways(config, cache),
        test_gateways=build_gateways(config, cache, livemode=False),
        vault=Vault.from_config(config),
        cache=cache,
        circuit=CircuitBreaker.from_config(cache, config),
        radar=Radar.from_config(config),
        notify=relay.notify,
    )
    broker.add_middleware(
        Background(
            relay,
            functools.partial(sweep, context) if sweeper else None,
            interval=config.sweep_interval_seconds,
        )
    )
    if heartbeat:
        broker.add_middleware(Heartbeat(config.heartbeat_file, pool))
    return Runtime(broker, context, relay, actors.register(broker, context, config.queue_prefix))
