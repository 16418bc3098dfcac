"""Fixtures for the static deployment tests: compose.yaml, the Dockerfiles and the Helm chart."""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "paywave"
RELEASE = "paywave"
NAMESPACE = "payments"
# Kubernetes version the chart is rendered for and validated against (kubernetes-validate
# bundles schemas from 1.25 on; this is the oldest version we claim to support in practice).
KUBE_VERSION = "1.30.0"

# The pools of the contract, used until `shared.queues.POOLS` exists (test_pools.py insists on it).
CONTRACT_POOLS = {
    "stripe": ("payments.stripe",),
    "paypal": ("payments.paypal",),
    "fallback": ("payments.fallback",),
    "ops": ("ops",),
    "webhooks": ("webhooks",),
}


def normalize_pools(pools) -> dict[str, tuple[str, ...]]:
    """POOLS maps a pool name to its queue name(s): a string or an iterable of strings."""
    out = {}
    for name, queues in dict(pools).items():
        if isinstance(queues, str):
            queues = (queues,)
        out[str(name)] = tuple(str(q) for q in queues)
    return out


def import_pools():
    """`shared.queues.POOLS`, normalized; raises ImportError/AttributeError when it is missing."""
    from shared.queues import POOLS  # noqa: PLC0415  (the lead's module; see test_pools.py)

    return normalize_pools(POOLS)


@pytest.fixture(scope="session")
def pools() -> dict[str, tuple[str, ...]]:
    """The real pools when shared/queues.py exists, else the contract's list."""
    try:
        return import_pools()
    except ModuleNotFoundError as exc:
        if exc.name != "shared.queues":
            raise
        return dict(CONTRACT_POOLS)


# ---------------------------------------------------------------------------------- secrets per role

COMMON_SECRETS = {"PAYWAVE_DATABASE_URL", "PAYWAVE_REDIS_URL", "PAYWAVE_BROKER_URL"}
VAULT_OPENERS = {"PAYWAVE_VAULT_PRIVATE_KEYS", "PAYWAVE_VAULT_KEYS"}
STRIPE = {"PAYWAVE_STRIPE_API_KEY", "PAYWAVE_STRIPE_TEST_API_KEY"}
PAYPAL = {
    "PAYWAVE_PAYPAL_CLIENT_ID",
    "PAYWAVE_PAYPAL_CLIENT_SECRET",
    "PAYWAVE_PAYPAL_TEST_CLIENT_ID",
    "PAYWAVE_PAYPAL_TEST_CLIENT_SECRET",
}
ROLE_SECRETS = {  # what each role needs, beyond COMMON_SECRETS (the database, cache and broker URLs)
    "ingress": {
        "PAYWAVE_JWT_SECRET",
        "PAYWAVE_JWT_PUBLIC_KEY",
        "PAYWAVE_VAULT_PUBLIC_KEYS",
        "PAYWAVE_FINGERPRINT_KEY",
        "PAYWAVE_API_KEY_DIGEST_KEY",
        "PAYWAVE_WEBHOOK_SECRET_KEYS",
        "PAYWAVE_STRIPE_WEBHOOK_SECRET",
        "PAYWAVE_PAYPAL_WEBHOOK_ID",
    },
    "migrate": set(),
    "stripe": STRIPE | VAULT_OPENERS,
    "paypal": PAYPAL | VAULT_OPENERS,
    "fallback": STRIPE | PAYPAL | VAULT_OPENERS,
    "ops": STRIPE | PAYPAL | {"PAYWAVE_PAYPAL_WEBHOOK_ID"},
    "webhooks": {"PAYWAVE_WEBHOOK_SECRET_KEYS"},
    "notifications": {"PAYWAVE_SMTP_URL"},
    "dashboard": {"PAYWAVE_API_KEY_DIGEST_KEY", "PAYWAVE_WEBHOOK_SECRET_KEYS"},
}


@pytest.fixture(scope="session")
def role_secrets() -> tuple[set[str], dict[str, set[str]]]:
    """(secrets every role holds, role -> its own secrets): ingress, migrate and each pool."""
    return COMMON_SECRETS, ROLE_SECRETS


# ---------------------------------------------------------------------------------- .env.example

ENV_LINE = re.compile(r"^\s*#?\s*([A-Z][A-Z0-9_]*)=(.*)$")


def parse_env_example(path: Path = ROOT / ".env.example") -> tuple[dict[str, str], set[str]]:
    """(active NAME -> value, every documented NAME incl. commented-out `# NAME=` lines)."""
    active, documented = {}, set()
    for line in path.read_text().splitlines():
        m = ENV_LINE.match(line)
        if not m:
            continue
        documented.add(m.group(1))
        if not line.lstrip().startswith("#"):
            active[m.group(1)] = m.group(2)
    return active, documented


@pytest.fixture(scope="session")
def env_example():
    return parse_env_example()


# ---------------------------------------------------------------------------------- helm


def _load_helm_module():
    spec = importlib.util.spec_from_file_location("paywave_deploy_helm", Path(__file__).with_name("helm.py"))
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def helm_bin() -> str:
    """The helm binary (fetched once into ~/.cache/paywave/helm). Missing helm fails under CI=true."""
    module = _load_helm_module()
    try:
        return str(module.helm_path())
    except module.HelmUnavailable as exc:
        message = (
            f"helm is needed for the chart tests and could not be obtained: {exc}. "
            f"Run `python tests/deploy/helm.py` to fetch it, or set PAYWAVE_HELM."
        )
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail(message, pytrace=False)
        pytest.skip(message)


class Helm:
    def __init__(self, binary: str):
        self.binary = binary
        self._cache: dict[tuple, list[dict]] = {}

    def run(self, *args: str, check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run([self.binary, *args], capture_output=True, text=True, timeout=120, cwd=ROOT)
        if check and proc.returncode != 0:
            raise AssertionError(
                f"helm {' '.join(args)} failed ({proc.returncode}):\n{proc.stdout}\n{proc.stderr}"
            )
        return proc

    @staticmethod
    def _value_args(values_files=(), sets=(), set_strings=()) -> list[str]:
        args = []
        for f in values_files:
            args += ["-f", str(f)]
        for s in sets:
            args += ["--set", s]
        for s in set_strings:
            args += ["--set-string", s]
        return args

    def template(self, values_files=(), sets=(), set_strings=(), check=True):
        """Rendered objects (list of dicts), cached per argument set; or the failed process."""
        key = (tuple(map(str, values_files)), tuple(sets), tuple(set_strings))
        if check and key in self._cache:
            return self._cache[key]
        proc = self.run(
            "template",
            RELEASE,
            str(CHART),
            "--namespace",
            NAMESPACE,
            "--kube-version",
            KUBE_VERSION,
            *self._value_args(values_files, sets, set_strings),
            check=check,
        )
        if not check:
            return proc
        docs = [d for d in yaml.safe_load_all(proc.stdout) if d]
        self._cache[key] = docs
        return docs


@pytest.fixture(scope="session")
def helm(helm_bin) -> Helm:
    return Helm(helm_bin)


# ---------------------------------------------------------------------------------- promtool


@pytest.fixture(scope="session")
def promtool() -> str:
    """promtool, from Debian's ``prometheus`` package (``make tools``). Missing: skip, but fail under CI=true
    (``.ci/run`` installs it), like the browser tests without Chromium."""
    found = shutil.which("promtool")
    if found:
        return found
    reason = "promtool is not installed (Debian's prometheus package: `make tools`)"
    if os.environ.get("CI") == "true":
        pytest.fail(f"{reason}: CI must check the alerting rules (.ci/run installs it)", pytrace=False)
    pytest.skip(reason)
