"""The Helm chart: lint, render, validate offline against the Kubernetes schemas, and check what
the schemas cannot (KEDA wiring, hooks, security, secrets)."""

from __future__ import annotations

import json
import re
from pathlib import Path

import kubernetes_validate
import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CHART = ROOT / "charts" / "paywave"
VALUES = CHART / "values.yaml"
PRODUCTION = CHART / "ci" / "production-values.yaml"
RELEASE = "paywave"  # the release name conftest.Helm renders with
KUBE_VERSION = "1.30.0"  # conftest.KUBE_VERSION: oldest Kubernetes we target
# CRDs kubernetes-validate has no schema for; checked field by field below instead.
CRD_KINDS = {
    ("keda.sh/v1alpha1", "ScaledObject"),
    ("keda.sh/v1alpha1", "TriggerAuthentication"),
    ("monitoring.coreos.com/v1", "ServiceMonitor"),
    ("monitoring.coreos.com/v1", "PrometheusRule"),
}
SECRET_WORDS = re.compile(
    r"(password|passwd|secret|token|api_?key|private_?key|credential|"
    r"vault_?keys|fingerprint_?key|webhook_?id|client_?id)",
    re.I,
)
# values.yaml subtrees whose every leaf would be a secret (except references to Secrets).
SECRET_SUBTREES = (("secrets",), ("keda", "rabbitmq", "auth"))
# Keys that name a Secret (or a key in it) rather than hold a secret value.
SECRET_REFERENCE_KEYS = {"existingSecret", "hostKey", "secretName", "name"}
SECRET_ENV = {
    "PAYWAVE_DATABASE_URL",
    "PAYWAVE_REDIS_URL",
    "PAYWAVE_BROKER_URL",
    "PAYWAVE_JWT_SECRET",
    "PAYWAVE_JWT_PUBLIC_KEY",
    "PAYWAVE_JWT_PRIVATE_KEY",
    "PAYWAVE_VAULT_KEYS",
    "PAYWAVE_VAULT_PUBLIC_KEYS",
    "PAYWAVE_VAULT_PRIVATE_KEYS",
    "PAYWAVE_WEBHOOK_SECRET_KEYS",
    "PAYWAVE_FINGERPRINT_KEY",
    "PAYWAVE_API_KEY_DIGEST_KEY",
    "PAYWAVE_STRIPE_API_KEY",
    "PAYWAVE_STRIPE_WEBHOOK_SECRET",
    "PAYWAVE_PAYPAL_CLIENT_ID",
    "PAYWAVE_PAYPAL_CLIENT_SECRET",
    "PAYWAVE_PAYPAL_WEBHOOK_ID",
    "PAYWAVE_STRIPE_TEST_API_KEY",
    "PAYWAVE_PAYPAL_TEST_CLIENT_ID",
    "PAYWAVE_PAYPAL_TEST_CLIENT_SECRET",
    "PAYWAVE_SMTP_URL",
}
DASHBOARD_METRICS = (
    "paywave_http_requests_total",
    "paywave_payments_total",
    "paywave_gateway_attempts_total",
    "paywave_gateway_request_duration_seconds_bucket",
    "paywave_fallbacks_total",
    "paywave_unknown_outcomes_total",
    "paywave_circuit_state",
    "paywave_outbox_lag_seconds",
    "rabbitmq_queue_messages_ready",
    "dramatiq_messages_total",
    "paywave_worker_heartbeat_timestamp_seconds",
    "paywave_risk_decisions_total",
    "paywave_notifications_total",
    "paywave_payments_stuck",
)
RULES = CHART / "files" / "alerts.yaml"
# Series from outside PayWave's processes: RabbitMQ's own exporter (rabbitmq_prometheus plugin).
EXTERNAL_METRICS = {"rabbitmq_queue_messages_ready", "rabbitmq_queue_messages_unacked"}


# ---------------------------------------------------------------------------------- helpers


def values() -> dict:
    return yaml.safe_load(VALUES.read_text())


def production_values() -> dict:
    return yaml.safe_load(PRODUCTION.read_text())


def of_kind(docs, kind, api_version=None):
    return [d for d in docs if d["kind"] == kind and (api_version is None or d["apiVersion"] == api_version)]


def by_name(docs, kind):
    return {d["metadata"]["name"]: d for d in of_kind(docs, kind)}


def pod_specs(docs):
    """(object, pod spec) for everything that runs PayWave pods."""
    out = []
    for doc in docs:
        if doc["kind"] in ("Deployment", "Job"):
            out.append((doc, doc["spec"]["template"]["spec"]))
        elif doc["kind"] == "Pod":
            out.append((doc, doc["spec"]))
    return out


def worker_deployments(docs):
    return {
        d["metadata"]["labels"]["paywave.io/pool"]: d
        for d in of_kind(docs, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "worker"
    }


def ingress_deployment(docs):
    [deployment] = [
        d
        for d in of_kind(docs, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "ingress"
    ]
    return deployment


def dashboard_deployment(docs):
    [deployment] = [
        d
        for d in of_kind(docs, "Deployment")
        if d["metadata"]["labels"].get("app.kubernetes.io/component") == "dashboard"
    ]
    return deployment


def effective_pools(vals: dict) -> dict[str, dict]:
    """Enabled pools as the chart resolves them (workerDefaults, then the pool's keys)."""
    defaults = vals.get("workerDefaults") or {}
    out = {}
    for name, spec in (vals.get("workers") or {}).items():
        if not spec:
            continue
        pool = {**defaults, **spec}  # like the chart: top-level keys replace, autoscaling merges
        pool["autoscaling"] = {**defaults.get("autoscaling", {}), **spec.get("autoscaling", {})}
        if pool.get("enabled", True):
            out[name] = pool
    return out


def selector_matches(selector: dict, labels: dict) -> bool:
    return all(labels.get(k) == v for k, v in selector.items())


def container_env_names(container) -> set[str]:
    return {e["name"] for e in container.get("env", [])}


def secret_refs(container) -> set[str]:
    """Names of the Secrets a container reads, whole (envFrom) or key by key."""
    return {r["secretRef"]["name"] for r in container.get("envFrom", []) if "secretRef" in r} | {
        e["valueFrom"]["secretKeyRef"]["name"] for e in container.get("env", []) if "valueFrom" in e
    }


def held_secrets(container) -> set[str]:
    """The env vars a container takes from a Secret (keys set empty are withheld)."""
    assert not any("secretRef" in r for r in container.get("envFrom", [])), "a whole Secret is mounted"
    return {e["name"] for e in container.get("env", []) if "secretKeyRef" in e.get("valueFrom", {})}


@pytest.fixture(scope="module")
def default_docs(helm):
    return helm.template()


@pytest.fixture(scope="module")
def production_docs(helm):
    return helm.template(values_files=[PRODUCTION])


def deep_merge(base: dict, override: dict) -> dict:
    """Helm's coalescing of a values file over values.yaml: maps merge, the rest replaces,
    null deletes."""
    out = dict(base)
    for key, value in override.items():
        if value is None:
            out.pop(key, None)
        elif isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = deep_merge(out[key], value)
        else:
            out[key] = value
    return out


@pytest.fixture(scope="module", params=["default", "production"])
def rendered(request, helm):
    """(label, rendered objects, the values they were rendered from), for both values sets."""
    if request.param == "default":
        return "default", helm.template(), values()
    return "production", helm.template(values_files=[PRODUCTION]), deep_merge(values(), production_values())


# ---------------------------------------------------------------------------------- lint/render


@pytest.mark.parametrize("values_file", [None, PRODUCTION], ids=["default", "production"])
def test_helm_lint_strict(helm, values_file):
    args = ["lint", str(CHART), "--kube-version", KUBE_VERSION]
    if values_file:
        args += ["-f", str(values_file)]
    plain = helm.run(*args, check=False)
    assert plain.returncode == 0, f"helm lint failed:\n{plain.stdout}\n{plain.stderr}"
    strict = helm.run(*args, "--strict", check=False)
    assert strict.returncode == 0, f"helm lint --strict failed:\n{strict.stdout}\n{strict.stderr}"


@pytest.mark.parametrize("kube_version", [KUBE_VERSION, "latest"])
def test_every_object_validates_against_kubernetes_schemas(rendered, kube_version):
    """Strict (no unknown fields) against the oldest version we target and the newest bundled one."""
    label, docs, _ = rendered
    version = kubernetes_validate.latest_version() if kube_version == "latest" else kube_version
    assert docs, "nothing rendered"
    checked = 0
    for doc in docs:
        key = (doc["apiVersion"], doc["kind"])
        if key in CRD_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, version, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(
                f"[{label}, k8s {version}] {doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}"
            )
        except kubernetes_validate.SchemaNotFoundError:
            pytest.fail(
                f"[{label}] no schema for {key} in k8s {version}: a new CRD kind must be "
                f"added to CRD_KINDS and checked by hand, or the apiVersion is wrong"
            )
        checked += 1
    assert checked >= 10


EVERYTHING_ON = {
    "imagePullSecrets": [{"name": "registry"}],
    "podAnnotations": {"example.com/team": "payments"},
    "tmpVolume": {"medium": "Memory", "sizeLimit": "32Mi"},
    "config": {
        "jwtIssuer": "https://issuer.example/",
        "jwtAudience": "paywave",
        "webhookAllowedHosts": "hooks.example.com",
        "queuePrefix": "t1.",
        "extraEnv": {"PAYWAVE_RETRY_MAX": 5, "PAYWAVE_CIRCUIT_ERROR_RATE": 0.4},
    },
    "secrets": {"existingSecret": "", "values": {"PAYWAVE_JWT_SECRET": "test-only"}},
    "keda": {
        "rabbitmq": {
            "vhostName": "paywave",
            "auth": {"existingSecret": "", "host": "http://u:p@rabbitmq:15672/paywave"},
        }
    },
    "service": {"type": "NodePort"},
    "ingress": {"enabled": True},
    "autoscaling": {"enabled": True, "targetMemoryUtilizationPercentage": 80},
    "podDisruptionBudget": {"minAvailable": "50%"},
    "topologySpreadConstraints": [
        {"maxSkew": 1, "topologyKey": "kubernetes.io/hostname", "whenUnsatisfiable": "DoNotSchedule"}
    ],
    "workers": {
        "reports": {
            "queues": ["reports", "exports"],
            "replicas": 2,
            "image": {"repository": "example/reports", "tag": "1.2.3"},
            "extraEnv": {"REPORTS_BUCKET": "b"},
            "podDisruptionBudget": {"enabled": True, "minAvailable": 1},
            "autoscaling": {"enabled": False},
            "volumes": [{"name": "scratch", "emptyDir": {}}],
            "volumeMounts": [{"name": "scratch", "mountPath": "/scratch"}],
        }
    },
    "networkPolicy": {
        "enabled": True,
        "metricsFrom": [{"podSelector": {}}],
        "egress": {
            "enabled": True,
            "to": [{"to": [{"ipBlock": {"cidr": "0.0.0.0/0"}}], "ports": [{"port": 443, "protocol": "TCP"}]}],
        },
    },
    "serviceMonitor": {"enabled": True},
    "dashboards": {"enabled": True},
    "prometheusRule": {"enabled": True, "labels": {"release": "kube-prometheus-stack"}},
    "observability": {
        "otlp": {
            "endpoint": "http://otel-collector.monitoring:4318",
            "env": {"OTEL_TRACES_SAMPLER": "always_on"},
        }
    },
    "logShipper": {"enabled": True, "tolerations": [{"operator": "Exists"}]},
}


def test_every_optional_branch_renders_valid_objects(helm, tmp_path):
    values_file = tmp_path / "everything-on.yaml"
    values_file.write_text(yaml.safe_dump(EVERYTHING_ON))
    docs = helm.template(values_files=[PRODUCTION, values_file])
    for doc in docs:
        if (doc["apiVersion"], doc["kind"]) in CRD_KINDS:
            continue
        try:
            kubernetes_validate.validate(doc, KUBE_VERSION, strict=True)
        except kubernetes_validate.ValidationError as exc:
            path = ".".join(str(p) for p in exc.path)
            pytest.fail(f"{doc['kind']}/{doc['metadata']['name']}: {path}: {exc.message}")
    reports = worker_deployments(docs)["reports"]
    container = reports["spec"]["template"]["spec"]["containers"][0]
    assert container["image"] == "example/reports:1.2.3"
    assert reports["spec"]["replicas"] == 2
    assert {"name": "REPORTS_BUCKET", "value": "b"} in container["env"]
    kinds = {d["kind"] for d in docs}
    assert {"Secret", "NetworkPolicy", "PodDisruptionBudget", "HorizontalPodAutoscaler"} <= kinds
    [policy] = [p for p in of_kind(docs, "NetworkPolicy") if p["metadata"]["name"].endswith("-worker")]
    assert policy["spec"]["egress"][0]["ports"][0]["port"] == 53, "DNS first"
    [configmap] = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-config")]
    assert configmap["data"]["PAYWAVE_RETRY_MAX"] == "5"


def test_the_offline_validator_does_reject_mistakes():
    """Guard against a validator that passes everything (e.g. a schema set it cannot find)."""
    bad = {
        "apiVersion": "apps/v1",
        "kind": "Deployment",
        "metadata": {"name": "x"},
        "spec": {
            "selector": {"matchLabels": {"a": "b"}},
            "replicas": "two",
            "template": {
                "metadata": {"labels": {"a": "b"}},
                "spec": {"containers": [{"name": "c", "image": "i", "bogus": 1}]},
            },
        },
    }
    with pytest.raises(kubernetes_validate.ValidationError):
        kubernetes_validate.validate(bad, KUBE_VERSION, strict=True)


def test_names_are_unique_per_kind(rendered):
    label, docs, _ = rendered
    seen = set()
    for doc in docs:
        key = (doc["kind"], doc["metadata"]["name"])
        assert key not in seen, f"[{label}] duplicate {key}"
        seen.add(key)
        assert len(doc["metadata"]["name"]) <= 63, key


# ---------------------------------------------------------------------------------- workers + KEDA


def test_each_pool_has_a_deployment_and_a_scaledobject(rendered):
    label, docs, vals = rendered
    pools = effective_pools(vals)
    deployments = worker_deployments(docs)
    assert set(deployments) == set(pools), f"[{label}] worker Deployments {sorted(deployments)}"
    scaled = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(docs, "ScaledObject")}
    for name, pool in pools.items():
        deployment = deployments[name]
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert container["command"] + container["args"] == ["paywave", "worker", "--pool", name]
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["PAYWAVE_WORKER_THREADS"] == str(pool["threads"])
        assert env["PAYWAVE_WORKER_PROCESSES"] == str(pool["processes"])
        assert container["resources"] == pool["resources"]
        if pool["autoscaling"]["enabled"]:
            assert deployment["metadata"]["name"] in scaled, f"[{label}] no ScaledObject for {name}"
            assert "replicas" not in deployment["spec"], (
                f"[{label}] {name}: KEDA owns the replica count; helm must not reset it"
            )
        else:
            assert deployment["spec"]["replicas"] == pool["replicas"]


def test_scaledobjects_are_wired_to_deployments_queues_and_auth(rendered):
    label, docs, vals = rendered
    pools = effective_pools(vals)
    prefix = vals["config"].get("queuePrefix") or ""
    deployments = by_name(docs, "Deployment")
    auths = by_name(docs, "TriggerAuthentication")
    scaled_objects = of_kind(docs, "ScaledObject", "keda.sh/v1alpha1")
    assert scaled_objects, f"[{label}] no ScaledObject rendered"
    for so in scaled_objects:
        spec = so["spec"]
        target = spec["scaleTargetRef"]["name"]
        assert target in deployments, f"[{label}] {so['metadata']['name']} targets unknown {target}"
        pool_name = deployments[target]["metadata"]["labels"]["paywave.io/pool"]
        pool = pools[pool_name]
        autoscaling = pool["autoscaling"]
        assert spec["minReplicaCount"] == autoscaling["minReplicas"]
        assert spec["maxReplicaCount"] == autoscaling["maxReplicas"]
        assert spec["cooldownPeriod"] == autoscaling["cooldownPeriod"]
        assert spec["pollingInterval"] == autoscaling["pollingInterval"]
        assert spec["minReplicaCount"] <= spec["maxReplicaCount"]

        queues = []
        for trigger in spec["triggers"]:
            assert trigger["type"] == "rabbitmq"
            meta = trigger["metadata"]
            for key in ("queueName", "mode", "value", "protocol"):
                assert isinstance(meta.get(key), str) and meta[key], f"[{label}] trigger.{key}: {meta}"
            assert meta["mode"] == "QueueLength"
            assert meta["protocol"] == "http"
            assert meta["value"] == str(autoscaling["queueLength"])
            assert "host" not in meta and "password" not in json.dumps(meta).lower(), (
                "credentials come from the TriggerAuthentication"
            )
            assert trigger["authenticationRef"]["name"] in auths, f"[{label}] unknown authenticationRef"
            queues.append(meta["queueName"])
        expected = [prefix + q for q in pool.get("queues") or [pool["queue"]]]
        assert sorted(queues) == sorted(expected + [q + ".DQ" for q in expected]), (
            f"[{label}] {pool_name}: triggers on {queues}"
        )


def test_pool_queues_match_the_code(pools):
    """values.yaml's pools are the code's pools (POOLS), with the same queues."""
    configured = {
        name: tuple(p.get("queues") or [p["queue"]]) for name, p in effective_pools(values()).items()
    }
    assert configured == pools


def test_trigger_authentication_reads_the_management_url_from_a_secret(default_docs, production_docs):
    for docs, secret in ((default_docs, f"{RELEASE}-keda"), (production_docs, "paywave-rabbitmq-management")):
        [auth] = of_kind(docs, "TriggerAuthentication", "keda.sh/v1alpha1")
        [ref] = auth["spec"]["secretTargetRef"]
        assert ref == {"parameter": "host", "name": secret, "key": "host"}
        assert not of_kind(docs, "Secret"), "no Secret is rendered unless values are given explicitly"


def test_an_extra_pool_needs_no_template_change(helm):
    docs = helm.template(
        sets=[
            "workers.reports.queue=reports",
            "workers.reports.autoscaling.maxReplicas=4",
            "config.queuePrefix=acme.",
        ]
    )
    deployments = worker_deployments(docs)
    assert "reports" in deployments
    container = deployments["reports"]["spec"]["template"]["spec"]["containers"][0]
    assert container["args"] == ["worker", "--pool", "reports"]
    assert container["resources"] == values()["workerDefaults"]["resources"]
    [so] = [
        s
        for s in of_kind(docs, "ScaledObject")
        if s["spec"]["scaleTargetRef"]["name"] == deployments["reports"]["metadata"]["name"]
    ]
    assert so["spec"]["maxReplicaCount"] == 4
    assert so["spec"]["minReplicaCount"] == values()["workerDefaults"]["autoscaling"]["minReplicas"]
    assert sorted(t["metadata"]["queueName"] for t in so["spec"]["triggers"]) == [
        "acme.reports",
        "acme.reports.DQ",
    ]
    # every other pool follows the prefix too
    queues = {
        t["metadata"]["queueName"] for s in of_kind(docs, "ScaledObject") for t in s["spec"]["triggers"]
    }
    assert all(q.startswith("acme.") for q in queues)


def test_pools_can_be_disabled_or_unscaled_and_zero_survives(helm):
    docs = helm.template(
        sets=[
            "workers.fallback.enabled=false",
            "workers.webhooks.autoscaling.enabled=false",
            "workers.webhooks.replicas=3",
            "workers.paypal.autoscaling.minReplicas=0",
        ]
    )
    deployments = worker_deployments(docs)
    assert "fallback" not in deployments
    assert deployments["webhooks"]["spec"]["replicas"] == 3
    targets = {s["spec"]["scaleTargetRef"]["name"]: s for s in of_kind(docs, "ScaledObject")}
    assert deployments["webhooks"]["metadata"]["name"] not in targets
    assert targets[deployments["paypal"]["metadata"]["name"]]["spec"]["minReplicaCount"] == 0


def test_bad_pool_definitions_fail_the_render(helm):
    no_queue = helm.template(sets=["workers.reports.threads=2"], check=False)
    assert no_queue.returncode != 0 and "queue" in no_queue.stderr
    bad_name = helm.template(sets=["workers.Reports_1.queue=x"], check=False)
    assert bad_name.returncode != 0


def test_sweeper_pool_never_scales_to_zero(rendered):
    """The ops pool runs the sweeper in-process: at least one replica must always exist."""
    label, _, vals = rendered
    ops = effective_pools(vals)["ops"]
    floor = ops["autoscaling"]["minReplicas"] if ops["autoscaling"]["enabled"] else ops["replicas"]
    assert floor >= 1, f"[{label}] ops pool may scale to zero"


# ---------------------------------------------------------------------------------- pods


def test_security_context_everywhere(rendered):
    label, docs, _ = rendered
    specs = pod_specs(docs)
    assert len(specs) >= 7
    for obj, spec in specs:
        where = f"[{label}] {obj['kind']}/{obj['metadata']['name']}"
        pod = spec.get("securityContext") or {}
        assert pod.get("runAsNonRoot") is True, where
        assert pod.get("seccompProfile", {}).get("type") == "RuntimeDefault", where
        assert spec.get("automountServiceAccountToken") is False, f"{where}: no API token needed"
        for container in spec["containers"] + spec.get("initContainers", []):
            sc = container.get("securityContext") or {}
            assert sc.get("allowPrivilegeEscalation") is False, where
            assert sc.get("readOnlyRootFilesystem") is True, where
            assert sc.get("runAsNonRoot") is True, where
            assert sc.get("capabilities", {}).get("drop") == ["ALL"], where
            assert not sc.get("capabilities", {}).get("add"), where
            assert not sc.get("privileged"), where
            assert sc.get("runAsUser", pod.get("runAsUser")) not in (None, 0), where
        if obj["kind"] in ("Deployment", "Job"):
            mounts = {m["mountPath"]: m["name"] for m in spec["containers"][0]["volumeMounts"]}
            assert "/tmp" in mounts, f"{where}: /tmp must be writable (emptyDir)"
            volumes = {v["name"]: v for v in spec["volumes"]}
            assert "emptyDir" in volumes[mounts["/tmp"]], where


def test_ingress_probes_ports_and_service(rendered):
    label, docs, vals = rendered
    deployment = ingress_deployment(docs)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] + container["args"] == [
        "paywave",
        "ingress",
        "--host",
        "0.0.0.0",
        "--port",
        "8000",
    ]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert {"containerPort": 8000, "name": "http", "protocol": "TCP"} in container["ports"]
    assert {"PAYWAVE_WEB_WORKERS", "PAYWAVE_WEB_THREADS"} <= container_env_names(container)

    [service] = [
        s
        for s in of_kind(docs, "Service")
        if s["spec"].get("clusterIP") != "None"
        and s["metadata"]["labels"]["app.kubernetes.io/component"] == "ingress"
    ]
    pod_labels = deployment["spec"]["template"]["metadata"]["labels"]
    assert selector_matches(service["spec"]["selector"], pod_labels)
    for pool, worker in worker_deployments(docs).items():
        assert not selector_matches(
            service["spec"]["selector"], worker["spec"]["template"]["metadata"]["labels"]
        ), f"[{label}] the API Service would send traffic to the {pool} workers"


def test_ingress_gets_time_to_drain(rendered):
    """preStop sleep + gunicorn's graceful timeout must fit in terminationGracePeriodSeconds."""
    label, docs, _ = rendered
    server = ROOT / "shared" / "server.py"
    match = re.search(r'"graceful_timeout":\s*(\d+)', server.read_text()) if server.exists() else None
    graceful = int(match.group(1)) if match else 30
    spec = ingress_deployment(docs)["spec"]["template"]["spec"]
    pre_stop = spec["containers"][0].get("lifecycle", {}).get("preStop", {})
    command = pre_stop.get("exec", {}).get("command", [])
    sleep = int(command[1]) if command[:1] == ["sleep"] else pre_stop.get("sleep", {}).get("seconds", 0)
    assert spec["terminationGracePeriodSeconds"] > graceful + sleep, (
        f"[{label}] grace {spec['terminationGracePeriodSeconds']}s < preStop {sleep}s + gunicorn {graceful}s"
    )


def test_deployment_selectors_are_disjoint(rendered):
    label, docs, _ = rendered
    deployments = of_kind(docs, "Deployment")
    for deployment in deployments:
        selector = deployment["spec"]["selector"]["matchLabels"]
        own = deployment["spec"]["template"]["metadata"]["labels"]
        assert selector_matches(selector, own), deployment["metadata"]["name"]
        for other in deployments:
            if other is not deployment:
                assert not selector_matches(selector, other["spec"]["template"]["metadata"]["labels"]), (
                    f"[{label}] {deployment['metadata']['name']} selects {other['metadata']['name']}'s pods"
                )


def test_worker_liveness_and_metrics_port(rendered):
    label, docs, vals = rendered
    port = vals["config"]["metricsPort"]
    for pool, deployment in worker_deployments(docs).items():
        spec = deployment["spec"]["template"]["spec"]
        container = spec["containers"][0]
        assert container["livenessProbe"]["exec"]["command"] == ["paywave", "heartbeat", "--max-age", "60"]
        assert {"containerPort": port, "name": "metrics", "protocol": "TCP"} in container["ports"]
        assert spec["terminationGracePeriodSeconds"] >= 60, f"[{label}] {pool}: let Dramatiq drain"
    metrics = by_name(docs, "Service")[f"{RELEASE}-worker-metrics"]
    assert metrics["spec"]["clusterIP"] == "None" and metrics["spec"]["ports"][0]["targetPort"] == "metrics"
    for deployment in worker_deployments(docs).values():
        assert selector_matches(
            metrics["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"]
        )


def test_pods_get_config_from_the_configmap_and_secret(rendered):
    label, docs, _ = rendered
    [configmap] = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-config")]
    secret_names = set()
    for deployment in of_kind(docs, "Deployment"):
        container = deployment["spec"]["template"]["spec"]["containers"][0]
        assert {"configMapRef": {"name": configmap["metadata"]["name"]}} in container["envFrom"]
        secret_names |= secret_refs(container)
        assert "checksum/config" in deployment["spec"]["template"]["metadata"]["annotations"]
    assert len(secret_names) == 1, f"[{label}] one Secret for every process: {secret_names}"
    assert not set(configmap["data"]) & SECRET_ENV, f"[{label}] secret settings in the ConfigMap"
    for value in configmap["data"].values():
        assert isinstance(value, str)


def test_rendered_env_names_are_documented(rendered, env_example):
    label, docs, _ = rendered
    _, documented = env_example
    names = set()
    for configmap in of_kind(docs, "ConfigMap"):
        if configmap["metadata"]["name"].endswith("-config"):
            names |= set(configmap["data"])
    for _, spec in pod_specs(docs):
        for container in spec["containers"]:
            names |= {n for n in container_env_names(container) if n.startswith("PAYWAVE_")}
    missing = names - documented
    assert not missing, f"[{label}] the chart sets {sorted(missing)}, which .env.example does not document"


def test_migration_job_is_a_pre_install_and_pre_upgrade_hook(rendered):
    label, docs, _ = rendered
    [job] = of_kind(docs, "Job")
    annotations = job["metadata"]["annotations"]
    assert set(annotations["helm.sh/hook"].split(",")) == {"pre-install", "pre-upgrade"}
    policy = set(annotations["helm.sh/hook-delete-policy"].split(","))
    assert "before-hook-creation" in policy, f"[{label}] a rerun must replace the old Job"
    spec = job["spec"]["template"]["spec"]
    container = spec["containers"][0]
    assert container["command"] + container["args"] == ["paywave", "migrate"]
    assert spec["restartPolicy"] == "Never"
    assert job["spec"]["backoffLimit"] >= 0 and job["spec"]["activeDeadlineSeconds"] > 0
    # Hooks run before the release's own objects exist: no dependence on them.
    created_sa = {s["metadata"]["name"] for s in of_kind(docs, "ServiceAccount")}
    assert spec.get("serviceAccountName", "default") not in created_sa
    assert not any("configMapRef" in r for r in container.get("envFrom", [])), (
        "the ConfigMap does not exist yet at pre-install: inline the settings"
    )
    env = {e["name"] for e in container["env"]}
    [configmap] = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-config")]
    assert set(configmap["data"]) <= env, "the Job sees the same settings as the pods"


# ---------------------------------------------------------------------------------- secrets


def _walk(node, path=()):
    if isinstance(node, dict):
        for key, value in node.items():
            yield from _walk(value, path + (str(key),))
    elif isinstance(node, list):
        for i, value in enumerate(node):
            yield from _walk(value, path + (str(i),))
    else:
        yield path, node


def test_values_yaml_holds_no_secret_values():
    vals = values()
    assert vals["secrets"]["values"] in ({}, None), "secrets.values must be empty by default"
    assert not vals["secrets"]["existingSecret"] or isinstance(vals["secrets"]["existingSecret"], str)
    for path, value in _walk(vals):
        if value in (None, "", False, True) or isinstance(value, (int, float)):
            continue
        if path[-1] in SECRET_REFERENCE_KEYS or path[:2] == ("secrets", "roles"):  # roles: names of keys
            continue
        in_secret_subtree = any(path[: len(t)] == t for t in SECRET_SUBTREES)
        if (
            in_secret_subtree
            or any(SECRET_WORDS.search(p) for p in path)
            or any(p in SECRET_ENV for p in path)
        ):
            pytest.fail(f"values.yaml: {'.'.join(path)} = {value!r} looks like a secret default")
    text = VALUES.read_text()
    for name in SECRET_ENV:
        assert not re.search(rf"^\s*{name}\s*:\s*\S", text, re.M), f"values.yaml sets {name}"


def test_no_secret_literals_in_rendered_pods(rendered):
    label, docs, _ = rendered
    for _, spec in pod_specs(docs):
        for container in spec["containers"]:
            for env in container.get("env", []):
                assert env["name"] not in SECRET_ENV or "valueFrom" in env or env.get("value") == "", (
                    f"[{label}] {env['name']} is set literally"
                )
    assert not of_kind(docs, "Secret"), f"[{label}] the chart rendered a Secret from defaults"


def test_a_secret_is_created_only_from_explicit_values(helm):
    docs = helm.template(
        set_strings=[
            "secrets.values.PAYWAVE_JWT_SECRET=only-for-this-test",
            "keda.rabbitmq.auth.host=http://u:p@rabbitmq:15672/paywave",
        ]
    )
    secrets = by_name(docs, "Secret")
    app = secrets[f"{RELEASE}-secrets"]
    assert app["stringData"] == {"PAYWAVE_JWT_SECRET": "only-for-this-test"}
    # A hook too, so the pre-install migration Job can read it on the first install.
    assert "pre-install" in app["metadata"]["annotations"]["helm.sh/hook"]
    assert int(app["metadata"]["annotations"]["helm.sh/hook-weight"]) < 0
    assert secrets[f"{RELEASE}-keda"]["stringData"] == {"host": "http://u:p@rabbitmq:15672/paywave"}
    for _, spec in pod_specs(docs):
        assert secret_refs(spec["containers"][0]) <= {f"{RELEASE}-secrets"}


def test_existing_secret_is_referenced_not_created(production_docs):
    assert not of_kind(production_docs, "Secret")
    for _, spec in pod_specs(production_docs):
        assert secret_refs(spec["containers"][0]) in (set(), {"paywave-production"})


# ---------------------------------------------------------------------------------- production


def test_production_values_render_the_production_features(production_docs):
    docs = production_docs
    vals = production_values()
    [ingress] = [
        i
        for i in of_kind(docs, "Ingress")
        if i["metadata"]["labels"]["app.kubernetes.io/component"] == "ingress"
    ]
    assert ingress["spec"]["tls"][0]["hosts"] == ["api.paywave.example.com"]
    assert ingress["spec"]["rules"][0]["host"] == "api.paywave.example.com"

    [hpa] = of_kind(docs, "HorizontalPodAutoscaler", "autoscaling/v2")
    assert hpa["spec"]["scaleTargetRef"]["name"] == ingress_deployment(docs)["metadata"]["name"]
    assert hpa["spec"]["metrics"][0]["resource"]["name"] == "cpu"
    assert "replicas" not in ingress_deployment(docs)["spec"], "the HPA owns the ingress replicas"

    [pdb] = [
        p
        for p in of_kind(docs, "PodDisruptionBudget")
        if selector_matches(
            p["spec"]["selector"]["matchLabels"],
            ingress_deployment(docs)["spec"]["template"]["metadata"]["labels"],
        )
    ]
    assert pdb["spec"]["minAvailable"] == vals["podDisruptionBudget"]["minAvailable"]

    policies = of_kind(docs, "NetworkPolicy")
    assert len(policies) == 3  # the ingress's, the workers', the dashboard's
    covered = [p["spec"]["podSelector"]["matchLabels"] for p in policies]
    for deployment in of_kind(docs, "Deployment"):
        labels = deployment["spec"]["template"]["metadata"]["labels"]
        assert any(selector_matches(sel, labels) for sel in covered), deployment["metadata"]["name"]

    monitors = of_kind(docs, "ServiceMonitor", "monitoring.coreos.com/v1")
    assert len(monitors) == 2
    services = of_kind(docs, "Service")
    for monitor in monitors:
        assert monitor["metadata"]["labels"]["release"] == "kube-prometheus-stack"
        endpoint = monitor["spec"]["endpoints"][0]
        assert endpoint["path"] == "/metrics"
        matched = [
            s
            for s in services
            if selector_matches(monitor["spec"]["selector"]["matchLabels"], s["metadata"]["labels"])
        ]
        assert len(matched) == 1, f"{monitor['metadata']['name']} selects {len(matched)} Services"
        assert endpoint["port"] in {p["name"] for p in matched[0]["spec"]["ports"]}

    [configmap] = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-config")]
    assert configmap["data"]["PAYWAVE_QUORUM_QUEUES"] == "true"
    assert configmap["data"]["PAYWAVE_ENV"] == "production"
    assert configmap["data"]["PAYWAVE_WEBHOOK_ALLOW_HTTP"] == "false"

    for deployment in of_kind(docs, "Deployment"):
        resources = deployment["spec"]["template"]["spec"]["containers"][0]["resources"]
        assert resources["requests"]["cpu"] and resources["limits"]["memory"], deployment["metadata"]["name"]


def test_default_values_leave_optional_extras_off(default_docs):
    for kind in ("Ingress", "HorizontalPodAutoscaler", "ServiceMonitor", "PrometheusRule", "DaemonSet"):
        assert not of_kind(default_docs, kind), f"{kind} should be opt-in"
    for _, spec in pod_specs(default_docs):
        for container in spec["containers"]:
            assert not any(n.startswith("OTEL_") for n in container_env_names(container)), "tracing is opt-in"
    assert not [
        c for c in of_kind(default_docs, "ConfigMap") if "grafana_dashboard" in c["metadata"]["labels"]
    ]


def test_chart_app_version_is_the_package_version():
    """Image tags default to appVersion: it must be the version the images are built from."""
    import configparser

    cfg = configparser.ConfigParser()
    cfg.read(ROOT / "setup.cfg")
    chart = yaml.safe_load((CHART / "Chart.yaml").read_text())
    assert chart["apiVersion"] == "v2" and chart["name"] == "paywave"
    assert str(chart["appVersion"]) == cfg["metadata"]["version"]


# ---------------------------------------------------------------------------------- dashboard


def test_dashboard_json_covers_the_operational_questions():
    dashboard = json.loads((CHART / "dashboards" / "paywave.json").read_text())
    assert dashboard["uid"] and dashboard["title"]
    panels = [p for p in dashboard["panels"] if p.get("type") != "row"]
    exprs = " ".join(t["expr"] for p in panels for t in p.get("targets", []))
    for metric in DASHBOARD_METRICS:
        assert metric in exprs, f"dashboard has no panel on {metric}"
    titles = " ".join(p["title"].lower() for p in panels)
    for topic in (
        "throughput",
        "success rate",
        "p99",
        "queue depth",
        "fallback",
        "unknown",
        "circuit",
        "outbox lag",
        "jobs per pool",
        "heartbeat",
        "risk decisions",
        "notifications",
    ):
        assert topic in titles, f"dashboard lacks a '{topic}' panel"
    assert "histogram_quantile(0.99" in exprs
    ids = [p["id"] for p in dashboard["panels"]]
    assert len(ids) == len(set(ids)), "panel ids must be unique"


def test_dashboard_ships_as_a_grafana_sidecar_configmap(production_docs):
    [configmap] = [
        c
        for c in of_kind(production_docs, "ConfigMap")
        if c["metadata"]["labels"].get("grafana_dashboard") == "1"
    ]
    assert json.loads(configmap["data"]["paywave.json"]) == json.loads(
        (CHART / "dashboards" / "paywave.json").read_text()
    )


# ---------------------------------------------------------------------------------- least privilege


def role_containers(docs):
    """role -> its PayWave container (the ingress, the migration Job, each pool, the dashboard)."""
    [job] = of_kind(docs, "Job")
    return {
        "ingress": ingress_deployment(docs)["spec"]["template"]["spec"]["containers"][0],
        "dashboard": dashboard_deployment(docs)["spec"]["template"]["spec"]["containers"][0],
        "migrate": job["spec"]["template"]["spec"]["containers"][0],
        **{
            pool: d["spec"]["template"]["spec"]["containers"][0]
            for pool, d in worker_deployments(docs).items()
        },
    }


def test_each_role_gets_only_its_own_secrets(rendered, role_secrets):
    label, docs, _ = rendered
    common, roles = role_secrets
    containers = role_containers(docs)
    assert set(containers) == set(roles), f"[{label}] roles {sorted(containers)}"
    for role, container in containers.items():
        assert held_secrets(container) == common | roles[role], f"[{label}] {role}"
        # what it does not hold is set empty, so no development default stands in for it
        withheld = {e["name"] for e in container["env"] if e.get("value") == "" and e["name"] in SECRET_ENV}
        assert withheld == set().union(*roles.values()) - roles[role], f"[{label}] {role}"
    assert "PAYWAVE_VAULT_PRIVATE_KEYS" not in held_secrets(containers["ingress"]), (
        "the ingress must not open cards"
    )


def test_the_dashboard_is_its_own_deployment_service_and_ingress_path(production_docs):
    docs = production_docs
    deployment = dashboard_deployment(docs)
    container = deployment["spec"]["template"]["spec"]["containers"][0]
    assert container["command"] + container["args"] == [
        "paywave",
        "dashboard",
        "--host",
        "0.0.0.0",
        "--port",
        "8001",
    ]
    assert container["livenessProbe"]["httpGet"]["path"] == "/dashboard/healthz"
    services = by_name(docs, "Service")
    service = services[f"{RELEASE}-dashboard"]
    assert selector_matches(service["spec"]["selector"], deployment["spec"]["template"]["metadata"]["labels"])
    assert not selector_matches(
        service["spec"]["selector"], ingress_deployment(docs)["spec"]["template"]["metadata"]["labels"]
    )
    ingresses = by_name(docs, "Ingress")
    api, dashboard = ingresses[RELEASE], ingresses[f"{RELEASE}-dashboard"]
    assert [r["host"] for r in dashboard["spec"]["rules"]] == [r["host"] for r in api["spec"]["rules"]]
    [path] = dashboard["spec"]["rules"][0]["http"]["paths"]
    assert (path["path"], path["pathType"]) == ("/dashboard", "Prefix")  # longer than the API's /: it wins
    assert path["backend"]["service"]["name"] == f"{RELEASE}-dashboard"
    assert dashboard["spec"].get("tls") == api["spec"].get("tls")


def test_the_dashboard_can_be_left_out(helm):
    docs = helm.template(sets=["dashboard.enabled=false"])
    assert not [d for d in docs if d["metadata"]["labels"].get("app.kubernetes.io/component") == "dashboard"]


def test_network_policies_are_on_by_default(default_docs):
    policies = by_name(default_docs, "NetworkPolicy")
    ingress, worker = policies[f"{RELEASE}-ingress"], policies[f"{RELEASE}-worker"]
    assert ingress["spec"]["ingress"] == [{"ports": [{"port": "http", "protocol": "TCP"}]}], (
        "API port only, from anyone"
    )
    assert worker["spec"]["ingress"] == [], "workers accept nothing unless metricsFrom says who scrapes"
    for policy, external in ((ingress, False), (worker, True)):
        assert set(policy["spec"]["policyTypes"]) == {"Ingress", "Egress"}
        ports = [{p["port"] for p in rule["ports"]} for rule in policy["spec"]["egress"]]
        assert ports[:2] == [{53}, {5432, 6379, 5672}], "DNS, then the database, cache and broker"
        external_ports = {443, 465, 587}  # HTTPS, SMTP submission (payer notifications)
        assert (external_ports in ports) is external, "only workers reach gateways, merchants and SMTP"


def test_ingress_metrics_have_their_own_port_and_service(rendered):
    label, docs, vals = rendered
    container = ingress_deployment(docs)["spec"]["template"]["spec"]["containers"][0]
    port = vals["config"]["ingressMetricsPort"]
    assert {"containerPort": port, "name": "metrics", "protocol": "TCP"} in container["ports"]
    [configmap] = [c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"].endswith("-config")]
    assert configmap["data"]["PAYWAVE_INGRESS_METRICS_PORT"] == str(port)
    services = by_name(docs, "Service")
    api = services[RELEASE]
    assert [p["targetPort"] for p in api["spec"]["ports"]] == ["http"], (
        f"[{label}] metrics on the public Service"
    )
    metrics = services[f"{RELEASE}-metrics"]
    assert metrics["spec"]["ports"] == [
        {"port": port, "targetPort": "metrics", "protocol": "TCP", "name": "metrics"}
    ]
    assert selector_matches(
        metrics["spec"]["selector"], ingress_deployment(docs)["spec"]["template"]["metadata"]["labels"]
    )
    for probe in ("livenessProbe", "readinessProbe", "startupProbe"):
        assert container[probe]["httpGet"]["port"] == "http"
    for monitor in of_kind(docs, "ServiceMonitor"):
        assert monitor["spec"]["endpoints"][0]["port"] == "metrics"


def exported_metrics() -> set[str]:
    """Every series name PayWave's processes expose: shared/metrics.py and Dramatiq's exporter."""
    import inspect

    from dramatiq.middleware import prometheus as dramatiq_prometheus
    from prometheus_client.metrics import MetricWrapperBase

    from shared import metrics

    suffixes = {"counter": ("_total",), "gauge": ("",), "histogram": ("_bucket", "_sum", "_count")}
    names = set()
    for metric in vars(metrics).values():
        if isinstance(metric, MetricWrapperBase):
            names |= {metric._name + suffix for suffix in suffixes[metric._type]}
    # Dramatiq's are declared inside its middleware: counters end in _total, the one histogram does not.
    for name in re.findall(r'"(dramatiq_[a-z_]+)"', inspect.getsource(dramatiq_prometheus)):
        names |= {name} if not name.endswith("_milliseconds") else {name + s for s in suffixes["histogram"]}
    return names


def referenced_metrics(expr: str) -> set[str]:
    """Series names in a PromQL expression (recording rules' names have colons)."""
    return set(re.findall(r"(?<![\w:])([a-z_]+:[a-z0-9_:]+|(?:paywave|dramatiq|rabbitmq)_[a-z0-9_]+)", expr))


def test_every_metric_the_dashboard_and_the_rules_read_is_exported():
    exported = exported_metrics() | EXTERNAL_METRICS
    groups = yaml.safe_load(RULES.read_text())["groups"]
    rules = [r for g in groups for r in g["rules"]]
    recorded = {r["record"] for r in rules if "record" in r}
    dashboard = json.loads((CHART / "dashboards" / "paywave.json").read_text())
    exprs = [("rules", r["expr"]) for r in rules] + [
        ("dashboard", t["expr"]) for p in dashboard["panels"] for t in p.get("targets", [])
    ]
    seen = set()
    for where, expr in exprs:
        for name in referenced_metrics(expr):
            seen.add(name)
            assert name in exported | recorded, f"{where}: {name} is exported by nothing ({expr})"
    assert {"paywave_worker_heartbeat_timestamp_seconds", "dramatiq_messages_total"} <= seen
    assert "paywave_nonexistent_total" not in exported  # the check can fail


def test_the_prometheus_rule_is_the_rules_file(helm, tmp_path):
    values_file = tmp_path / "rules.yaml"
    values_file.write_text(
        yaml.safe_dump(
            {
                "prometheusRule": {
                    "enabled": True,
                    "labels": {"release": "kube-prometheus-stack"},
                    "runbookBaseUrl": "https://git.example.com/paywave/-/blob/main/",
                }
            }
        )
    )
    [rule] = of_kind(helm.template(values_files=[values_file]), "PrometheusRule", "monitoring.coreos.com/v1")
    assert rule["metadata"]["labels"]["release"] == "kube-prometheus-stack"
    expected = yaml.safe_load(RULES.read_text())
    for group in expected["groups"]:
        for r in group["rules"]:
            if "annotations" in r:
                url = r["annotations"]["runbook_url"]
                r["annotations"]["runbook_url"] = "https://git.example.com/paywave/-/blob/main/" + url
    assert rule["spec"] == expected
    assert yaml.safe_load(RULES.read_text())["groups"][1]["rules"][0]["annotations"][
        "runbook_url"
    ].startswith("docs/runbook.md#")


def test_otlp_endpoint_reaches_every_process_with_its_service_name(helm, tmp_path):
    values_file = tmp_path / "otlp.yaml"
    endpoint = "http://otel-collector.monitoring:4318"
    values_file.write_text(
        yaml.safe_dump(
            {"observability": {"otlp": {"endpoint": endpoint, "env": {"OTEL_TRACES_SAMPLER": "always_on"}}}}
        )
    )
    docs = helm.template(values_files=[values_file])
    containers = {
        "paywave-ingress": ingress_deployment(docs)["spec"]["template"]["spec"]["containers"][0],
        **{
            f"paywave-worker-{pool}": d["spec"]["template"]["spec"]["containers"][0]
            for pool, d in worker_deployments(docs).items()
        },
    }
    assert len(containers) == 1 + len(effective_pools(values()))
    for service, container in containers.items():
        env = {e["name"]: e.get("value") for e in container["env"]}
        assert env["OTEL_EXPORTER_OTLP_ENDPOINT"] == endpoint, service
        assert env["OTEL_SERVICE_NAME"] == service
        assert env["OTEL_TRACES_SAMPLER"] == "always_on"
    for policy in of_kind(docs, "NetworkPolicy"):
        ports = [{p["port"] for p in rule["ports"]} for rule in policy["spec"]["egress"]]
        assert {4318} in ports, f"{policy['metadata']['name']}: pods cannot reach the collector"


def test_log_shipper_example_tails_this_releases_containers_into_elasticsearch(helm, tmp_path):
    values_file = tmp_path / "logs.yaml"
    values_file.write_text(
        yaml.safe_dump({"logShipper": {"enabled": True, "elasticsearch": {"host": "es.logging"}}})
    )
    docs = helm.template(values_files=[values_file])
    [daemonset] = of_kind(docs, "DaemonSet", "apps/v1")
    kubernetes_validate.validate(daemonset, KUBE_VERSION, strict=True)
    spec = daemonset["spec"]["template"]["spec"]
    assert spec["automountServiceAccountToken"] is False, "it needs no Kubernetes API"
    [container] = spec["containers"]
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert {m["mountPath"]: m.get("readOnly", False) for m in container["volumeMounts"]}["/var/log"] is True
    [configmap] = [
        c for c in of_kind(docs, "ConfigMap") if c["metadata"]["name"] == daemonset["metadata"]["name"]
    ]
    conf = configmap["data"]["fluent-bit.conf"]
    assert f"/var/log/containers/{RELEASE}-*_" in conf
    assert re.search(r"Host\s+es\.logging\n", conf) and "Parser        ecs_json" in conf
    assert not selector_matches(
        daemonset["spec"]["selector"]["matchLabels"],
        ingress_deployment(docs)["spec"]["template"]["metadata"]["labels"],
    )


def test_observability_values_are_checked_by_the_schema(helm, tmp_path):
    for bad in (
        {"observability": {"otlp": {"endpoint": "otel:4318"}}},  # no scheme
        {"observability": {"otlp": {"env": {"PAYWAVE_ENV": "production"}}}},  # only OTEL_* here
        {"logShipper": {"elasticsearch": {"port": "9200"}}},
        {"prometheusRule": {"enabled": "yes"}},
    ):
        values_file = tmp_path / "bad.yaml"
        values_file.write_text(yaml.safe_dump(bad))
        result = helm.run("template", RELEASE, str(CHART), "-f", str(values_file), check=False)
        assert result.returncode != 0 and "schema" in result.stderr.lower(), (bad, result.stderr)
