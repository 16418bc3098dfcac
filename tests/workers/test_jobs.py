"""Every job constructor names an actor the workers register, on a queue a pool consumes."""

import inspect

import pytest

from shared import jobs
from shared.queues import GATEWAYS, POOLS
from workers.actors import ACTORS

CONSTRUCTORS = [f for _, f in inspect.getmembers(jobs, inspect.isfunction) if f.__module__ == jobs.__name__]


@pytest.mark.parametrize("gateway", GATEWAYS)
@pytest.mark.parametrize("constructor", CONSTRUCTORS, ids=lambda f: f.__name__)
def test_each_job_names_a_registered_actor_on_a_queue_a_pool_consumes(constructor, gateway):
    params = inspect.signature(constructor).parameters
    job = constructor(**{name: gateway if name == "gateway" else "x_1" for name in params})
    assert job.actor_name == constructor.__name__ and job.actor_name in ACTORS
    assert job.queue_name in {queue for queues in POOLS.values() for queue in queues}
    # process_payment is registered on one gateway's queue and consumed from every gateway's: the job names
    # it.
    default = ACTORS[job.actor_name][1]
    assert job.queue_name == (POOLS[gateway][0] if job.actor_name == "process_payment" else default)
    assert len(job.args) == len(params)


def test_every_registered_actor_has_a_constructor():
    assert {f.__name__ for f in CONSTRUCTORS} == set(ACTORS)
