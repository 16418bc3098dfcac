"""The deployment files and the code agree on the worker pools (shared.queues.POOLS).

This imports POOLS unconditionally: the other deploy tests fall back to the contract's list while
shared/queues.py does not exist, this one fails until it does.
"""

from __future__ import annotations

from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]


def _code_pools() -> dict[str, tuple[str, ...]]:
    """POOLS normalized to name -> tuple of queue names. ImportError = the module is missing."""
    from shared.queues import POOLS

    return {
        name: (queues,) if isinstance(queues, str) else tuple(queues) for name, queues in dict(POOLS).items()
    }


def test_pools_registry_exists_and_is_well_formed():
    pools = _code_pools()
    assert pools, "POOLS is empty"
    for name, queues in pools.items():
        assert name == name.lower() and name.replace("-", "").isalnum(), (
            f"pool {name!r}: must be a DNS label (it names Deployments and compose services)"
        )
        assert queues and all(queues), f"pool {name!r} consumes no queue"
        for queue in queues:
            assert not queue.endswith((".DQ", ".XQ")), (
                f"{name}: list base queues; Dramatiq adds the .DQ/.XQ queues itself"
            )


def test_compose_runs_exactly_the_code_pools():
    services = yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]
    pools = []
    for svc in services.values():
        command = svc.get("command") or []
        if command[:1] == ["worker"]:
            pools.append(command[command.index("--pool") + 1])
    assert sorted(pools) == sorted(_code_pools())


def test_chart_deploys_exactly_the_code_pools_with_their_queues():
    values = yaml.safe_load((ROOT / "charts" / "paywave" / "values.yaml").read_text())
    configured = {
        name: tuple(spec.get("queues") or [spec["queue"]])
        for name, spec in values["workers"].items()
        if spec and spec.get("enabled", True)
    }
    assert configured == _code_pools()
