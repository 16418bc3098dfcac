"""Entry module for Dramatiq's CLI (``paywave worker`` runs ``dramatiq workers.main``).

Imported once in every worker process: reads the configuration, opens the
database pool and registers the actors on the broker.
"""

import os

import dramatiq
from dramatiq.middleware.prometheus import Prometheus

from shared import tracing
from shared.config import Config
from shared.logging import configure
from store.db import open_database
from workers import runtime

config = Config.from_env()
role = f"worker-{os.environ['PAYWAVE_POOL']}" if os.environ.get("PAYWAVE_POOL") else "worker"
configure(config.log_level, role=role)
tracing.configure(role)  # here, in each worker process Dramatiq started: never across a fork
open_database(config.database_url, max_connections=config.worker_threads + 4)
pool = os.environ.get("PAYWAVE_POOL", "all")
broker = runtime.build(config, pool=pool, sweeper=pool == "ops", extra_middleware=[Prometheus()]).broker
dramatiq.set_broker(broker)
