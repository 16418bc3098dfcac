"""Static checks of compose.yaml and .env.example (no Docker engine needed)."""

from __future__ import annotations

import dataclasses
import re
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "compose.yaml"
ONE_SHOT = {"migrate"}
HEALTH_CONDITIONS = {"service_healthy", "service_completed_successfully"}
SANDBOXES = {"stripe-sandbox": ("stripe", 12111), "paypal-sandbox": ("paypal", 12112)}

# Every setting of the configuration contract; each must be documented in .env.example.
CONTRACT_ENV = {
    "PAYWAVE_ENV",
    "PAYWAVE_DATABASE_URL",
    "PAYWAVE_REDIS_URL",
    "PAYWAVE_BROKER_URL",
    "PAYWAVE_JWT_SECRET",
    "PAYWAVE_JWT_PUBLIC_KEY",
    "PAYWAVE_JWT_ALGORITHMS",
    "PAYWAVE_JWT_ISSUER",
    "PAYWAVE_JWT_AUDIENCE",
    "PAYWAVE_VAULT_KEYS",
    "PAYWAVE_FINGERPRINT_KEY",
    "PAYWAVE_ROUTE",
    "PAYWAVE_STRIPE_API_BASE",
    "PAYWAVE_STRIPE_API_KEY",
    "PAYWAVE_STRIPE_WEBHOOK_SECRET",
    "PAYWAVE_PAYPAL_API_BASE",
    "PAYWAVE_PAYPAL_CLIENT_ID",
    "PAYWAVE_PAYPAL_CLIENT_SECRET",
    "PAYWAVE_PAYPAL_WEBHOOK_ID",
    "PAYWAVE_WEB_WORKERS",
    "PAYWAVE_WEB_THREADS",
    "PAYWAVE_WORKER_PROCESSES",
    "PAYWAVE_WORKER_THREADS",
    "PAYWAVE_QUORUM_QUEUES",
    "PAYWAVE_LOG_LEVEL",
    "PAYWAVE_METRICS_PORT",
    "PAYWAVE_HEARTBEAT_FILE",
    "PAYWAVE_WEBHOOK_ALLOW_HTTP",
    "PAYWAVE_WEBHOOK_ALLOWED_HOSTS",
    "PAYWAVE_QUEUE_PREFIX",
}
PACKAGES = ("ingress", "workers", "gateways", "store", "shared")
# Set by PayWave itself for its own child processes, never by an operator.
INTERNAL_ENV = {
    "PAYWAVE_POOL",  # `paywave worker --pool X` passes the pool to the Dramatiq processes it execs
}


@pytest.fixture(scope="module")
def compose() -> dict:
    return yaml.safe_load(COMPOSE.read_text())


@pytest.fixture(scope="module")
def services(compose) -> dict:
    return compose["services"]


def _command(service: dict) -> list[str]:
    command = service.get("command") or []
    assert isinstance(command, list), f"use exec-form (list) commands, got {command!r}"
    return command


def _worker_services(services) -> dict[str, str]:
    """service name -> pool, for every service running `worker --pool X`."""
    out = {}
    for name, svc in services.items():
        cmd = _command(svc)
        if cmd[:1] == ["worker"]:
            assert "--pool" in cmd, f"{name}: worker without --pool: {cmd}"
            out[name] = cmd[cmd.index("--pool") + 1]
    return out


def test_every_service_has_an_image_or_a_build(services):
    for name, svc in services.items():
        assert svc.get("image") or svc.get("build"), f"{name} has neither image nor build"
        if "build" not in svc:  # third-party images: pinned to an exact version
            image = svc["image"]
            tag = image.split("@")[0].rpartition(":")[2]
            assert ":" in image and tag != "latest", f"{name}: image {image} is not pinned"
            # (Prometheus's own images are tagged v2.55.1)
            assert re.match(r"^v?\d+\.\d+(\.\d+)?(-|$)", tag), f"{name}: {image} needs an exact version tag"


def test_every_long_running_service_has_a_healthcheck(services):
    for name, svc in services.items():
        if name in ONE_SHOT:
            continue
        check = svc.get("healthcheck")
        assert check and not check.get("disable"), f"{name} has no healthcheck"
        test = check["test"]
        assert isinstance(test, list) and test[0] in ("CMD", "CMD-SHELL"), f"{name}: {test!r}"
        assert check.get("interval") and check.get("retries"), f"{name}: set interval/retries"


def test_depends_on_waits_for_health_or_completion(services):
    for name, svc in services.items():
        deps = svc.get("depends_on")
        if deps is None:
            continue
        assert isinstance(deps, dict), f"{name}: depends_on must use the long form with conditions"
        for dep, spec in deps.items():
            assert dep in services, f"{name} depends on unknown service {dep}"
            condition = spec.get("condition")
            assert condition in HEALTH_CONDITIONS, f"{name} -> {dep}: condition {condition!r}"
            if dep in ONE_SHOT:
                assert condition == "service_completed_successfully", f"{name} -> {dep}"
            else:
                assert condition == "service_healthy", f"{name} -> {dep}"
                assert services[dep].get("healthcheck"), f"{name} waits on {dep}, which has none"


def test_app_services_wait_for_backing_services_and_migrations(services):
    for name, svc in services.items():
        cmd = _command(svc)
        if cmd[:1] not in (["ingress"], ["worker"], ["migrate"], ["dashboard"]):
            continue
        deps = svc.get("depends_on") or {}
        assert "postgres" in deps, f"{name} must wait for postgres"
        if cmd[0] != "migrate":
            for dep in ("postgres", "redis", "rabbitmq", "migrate"):
                assert dep in deps, f"{name} must wait for {dep}"


def test_migrate_is_a_one_shot(services):
    migrate = services["migrate"]
    assert _command(migrate) == ["migrate"]
    assert migrate.get("restart") == "no"
    assert not migrate.get("healthcheck") or migrate["healthcheck"].get("disable") is True
    assert migrate["build"]["dockerfile"] in ("Dockerfile.ingress", "Dockerfile.worker")


def test_ingress_service(services):
    ingress = services["ingress"]
    assert ingress["build"]["dockerfile"] == "Dockerfile.ingress"
    assert _command(ingress) == ["ingress", "--host", "0.0.0.0", "--port", "8000"]
    assert any(str(p).endswith(":8000") for p in ingress.get("ports", [])), "publish port 8000"
    assert "/healthz" in " ".join(ingress["healthcheck"]["test"])


def test_one_worker_service_per_real_pool(services, pools):
    workers = _worker_services(services)
    for name, pool in workers.items():
        assert pool in pools, f"{name}: --pool {pool} is not a real pool ({sorted(pools)})"
        svc = services[name]
        assert svc["build"]["dockerfile"] == "Dockerfile.worker", name
        assert svc.get("stop_grace_period"), f"{name}: give Dramatiq time to finish in-flight work"
        assert "heartbeat" in svc["healthcheck"]["test"], name
    assert sorted(workers.values()) == sorted(pools), "exactly one service per pool"


def test_worker_services_share_one_anchored_block():
    text = COMPOSE.read_text()
    assert re.search(r"^x-worker:\s*&worker\b", text, re.M), "define the worker block once (&worker)"
    pools_cmds = re.findall(r'command:\s*\["worker",\s*"--pool"', text)
    merges = re.findall(r"^\s+<<:\s*\*worker\s*$", text, re.M)
    assert len(merges) == len(pools_cmds) >= 1, "every worker service merges <<: *worker"


def test_sandboxes(services, env_example):
    active, _ = env_example
    for name, (gateway, port) in SANDBOXES.items():
        svc = services[name]
        cmd = _command(svc)
        assert cmd[:2] == ["sandbox", gateway], cmd
        assert cmd[cmd.index("--port") + 1] == str(port)
        assert cmd[cmd.index("--host") + 1] == "0.0.0.0"
        assert f"{port}/_sandbox/faults" in " ".join(svc["healthcheck"]["test"])
        assert svc["build"]["dockerfile"] == "Dockerfile.sandbox", (
            f"{name}: the production images hold no sandbox"
        )
    sandbox_image = services["stripe-sandbox"]["image"]
    assert [name for name, svc in services.items() if svc.get("image") == sandbox_image] == list(SANDBOXES)
    assert active["PAYWAVE_STRIPE_API_BASE"] == "http://stripe-sandbox:12111"
    assert active["PAYWAVE_PAYPAL_API_BASE"] == "http://paypal-sandbox:12112"


def test_named_volumes_are_declared_and_used(compose, services):
    declared = set((compose.get("volumes") or {}).keys())
    used = set()
    for name, svc in services.items():
        for volume in svc.get("volumes", []):
            source = volume.get("source") if isinstance(volume, dict) else volume.split(":")[0]
            if source and not source.startswith(("/", ".", "~", "$")):
                assert source in declared, f"{name}: volume {source} is not declared"
                used.add(source)
    assert {"postgres", "redis", "rabbitmq"} <= {v.split("-")[0] for v in used}, "persist the data"
    assert declared == used, f"declared but unused volumes: {declared - used}"


def test_paywave_services_read_dotenv(services):
    for name, svc in services.items():
        if _command(svc)[:1] in (["ingress"], ["worker"], ["migrate"]):
            env_file = svc.get("env_file")
            files = [env_file] if isinstance(env_file, str) else env_file or []
            files = [f if isinstance(f, str) else f.get("path") for f in files]
            assert ".env" in files, f"{name} must use env_file: .env"


def test_every_interpolated_variable_is_documented(env_example):
    _, documented = env_example
    text = COMPOSE.read_text().replace("$$", "")  # $$ is a literal $ for the container's shell
    referenced = set(re.findall(r"\$\{([A-Za-z_][A-Za-z0-9_]*)", text))
    referenced |= set(re.findall(r"\$([A-Za-z_][A-Za-z0-9_]*)", text))
    assert referenced, "expected ${VAR} interpolation (database/broker credentials)"
    missing = referenced - documented
    assert not missing, f"used in compose.yaml but not in .env.example: {sorted(missing)}"


def test_every_environment_key_is_documented(services, env_example):
    _, documented = env_example
    for name, svc in services.items():
        env = svc.get("environment") or {}
        keys = env.keys() if isinstance(env, dict) else [e.split("=")[0] for e in env]
        for key in keys:
            if key.startswith("PAYWAVE_"):
                assert key in documented, f"{name}: {key} is not in .env.example"


def test_env_example_documents_the_whole_contract(env_example):
    _, documented = env_example
    missing = CONTRACT_ENV - documented
    assert not missing, f".env.example lacks {sorted(missing)}"


def test_env_example_documents_every_setting_of_the_config_object(env_example):
    """shared.config.Config reads PAYWAVE_<FIELD> for each of its fields."""
    _, documented = env_example
    try:
        from shared.config import Config
    except ModuleNotFoundError as exc:
        if exc.name not in ("shared", "shared.config"):
            raise
        pytest.skip("shared/config.py does not exist yet")
    prefix = getattr(Config, "PREFIX", "PAYWAVE_")
    names = {prefix + f.name.upper() for f in dataclasses.fields(Config)}
    missing = names - documented
    assert not missing, f"Config settings missing from .env.example: {sorted(missing)}"


def test_env_example_documents_every_variable_the_code_names(env_example):
    _, documented = env_example
    found = {}
    for package in PACKAGES:
        for path in (ROOT / package).rglob("*.py"):
            for var in re.findall(r"\bPAYWAVE_[A-Z0-9_]*[A-Z0-9]\b", path.read_text(errors="replace")):
                found.setdefault(var, path.relative_to(ROOT))
    missing = {
        var: str(path) for var, path in found.items() if var not in documented and var not in INTERNAL_ENV
    }
    assert not missing, f"named in the code but not documented in .env.example: {missing}"


def test_env_example_has_development_values_only(env_example):
    active, _ = env_example
    assert active["PAYWAVE_ENV"] == "development"
    text = (ROOT / ".env.example").read_text()
    for marker in ("sk_live_", "rk_live_", "whsec_live", "BEGIN PRIVATE KEY", "BEGIN RSA PRIVATE"):
        assert marker not in text, f".env.example must not hold real credentials ({marker})"
    # The URLs must agree with the credentials the postgres/rabbitmq containers are created with.
    user, password, db = active["POSTGRES_USER"], active["POSTGRES_PASSWORD"], active["POSTGRES_DB"]
    assert active["PAYWAVE_DATABASE_URL"] == f"postgresql://{user}:{password}@postgres:5432/{db}"
    ruser, rpass, vhost = (
        active["RABBITMQ_DEFAULT_USER"],
        active["RABBITMQ_DEFAULT_PASS"],
        active["RABBITMQ_DEFAULT_VHOST"],
    )
    assert active["PAYWAVE_BROKER_URL"] == f"amqp://{ruser}:{rpass}@rabbitmq:5672/{vhost}"
    assert active["PAYWAVE_REDIS_URL"].startswith("redis://redis:6379/")


def test_dotenv_is_git_ignored():
    ignored = (ROOT / ".gitignore").read_text().split()
    assert ".env" in ignored, ".env (real values) must stay out of git"


def test_each_service_carries_only_its_roles_secrets(services, env_example, role_secrets):
    """.env holds every development secret; what a role must not hold is set empty in its service."""
    active, _ = env_example
    common, roles = role_secrets
    known = common.union(*roles.values())
    optional = {"PAYWAVE_JWT_PUBLIC_KEY", "PAYWAVE_VAULT_KEYS", "PAYWAVE_SMTP_URL"}  # unset in development
    assert {n for n, v in active.items() if v} >= known - optional, (
        ".env.example should set every secret, so this test sees each one withheld"
    )
    seen = set()
    for name, svc in services.items():
        cmd = _command(svc)
        if cmd[:1] not in (["ingress"], ["worker"], ["migrate"], ["dashboard"]):
            continue
        role = cmd[cmd.index("--pool") + 1] if cmd[0] == "worker" else cmd[0]
        env = {**active, **(svc.get("environment") or {})}
        held = {key for key in known if env.get(key)}
        assert held == (common | roles[role]) & {k for k, v in active.items() if v}, f"{name} ({role})"
        seen.add(role)
    assert seen == set(roles)
    ingress = services["ingress"]
    assert "127.0.0.1:9190:9190" in ingress["ports"] and not any(
        p.endswith(":9190") and not p.startswith("127.") for p in ingress["ports"]
    )
