"""The compose profile ``observability`` (Elasticsearch, Kibana, Filebeat, OpenTelemetry Collector, Jaeger,
Prometheus, Grafana), checked statically like the rest of compose.yaml: wiring, the one rules file and the one
dashboard mounted, configurations in deploy/observability/ (Prometheus's by promtool)."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
CONFIGS = ROOT / "deploy" / "observability"
PROFILE = {"elasticsearch", "kibana", "filebeat", "otel-collector", "jaeger", "prometheus", "grafana"}
RULES = "charts/paywave/files/alerts.yaml"
DASHBOARDS = "charts/paywave/dashboards"


@pytest.fixture(scope="module")
def services() -> dict:
    return yaml.safe_load((ROOT / "compose.yaml").read_text())["services"]


def config(name: str) -> dict:
    return yaml.safe_load((CONFIGS / name).read_text())


def mounts(service: dict) -> dict[str, str]:
    """Container path -> host path of a service's bind mounts (./ relative to the repository)."""
    out = {}
    for volume in service.get("volumes", []):
        source, target = volume.split(":")[:2]
        if source.startswith(("./", "/")):
            out[target] = source
    return out


def paywave_services(services) -> dict[str, dict]:
    return {n: s for n, s in services.items() if (s.get("command") or [""])[0] in ("ingress", "worker")}


def test_the_profile_holds_the_whole_stack_and_nothing_else(services):
    profiled = {n for n, s in services.items() if s.get("profiles")}
    assert profiled == PROFILE
    for name in PROFILE:
        assert services[name]["profiles"] == ["observability"], name
    for name, svc in services.items():
        if name not in PROFILE:  # a plain `docker compose up` must not need the profile
            assert not set(svc.get("depends_on") or {}) & PROFILE, name


def test_profile_ports_are_local_only(services):
    for name in PROFILE:
        for port in services[name].get("ports", []):
            assert str(port).startswith("127.0.0.1:"), f"{name}: {port}"


def test_bind_mounts_exist_in_the_repository(services):
    for name in PROFILE:
        for source in mounts(services[name]).values():
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name}: {source}"


def test_prometheus_loads_the_charts_rules_file_and_promtool_accepts_its_config(services, promtool, tmp_path):
    prometheus = services["prometheus"]
    files = mounts(prometheus)
    assert files["/etc/prometheus/prometheus.yml"] == "./deploy/observability/prometheus.yml"
    [rules_path] = config("prometheus.yml")["rule_files"]
    assert files[rules_path] == "./" + RULES, "the same file the chart's PrometheusRule wraps"
    # promtool reads the rule file where the container would: point it at the repository's copy
    local = tmp_path / "prometheus.yml"
    local.write_text((CONFIGS / "prometheus.yml").read_text().replace(rules_path, str(ROOT / RULES)))
    result = subprocess.run(
        [promtool, "check", "config", str(local)], capture_output=True, text=True, timeout=60
    )
    assert result.returncode == 0, result.stdout + result.stderr


def test_prometheus_scrapes_the_ingress_and_every_pool_with_its_name(services, env_example):
    """The Docker discovery's keep rule, applied to each compose service as Prometheus would (anchored)."""
    active, _ = env_example
    [job] = [j for j in config("prometheus.yml")["scrape_configs"] if j["job_name"] == "paywave"]
    keep, _service, pool = job["relabel_configs"]
    assert keep["action"] == "keep"
    ports = {"ingress": active["PAYWAVE_INGRESS_METRICS_PORT"], "worker": active["PAYWAVE_METRICS_PORT"]}
    for name, svc in services.items():
        role = (svc.get("command") or [""])[0]
        kept = {p for p in ("8000", "9190", "9191") if re.fullmatch(keep["regex"], f"{name};{p}")}
        assert kept == ({ports[role]} if role in ports else set()), f"{name}: scraped on {kept}"
        if role == "worker":
            match = re.fullmatch(pool["regex"], name)
            assert match and match.group(1) == svc["command"][svc["command"].index("--pool") + 1]
    assert "/var/run/docker.sock" in mounts(services["prometheus"])


def test_grafana_provisions_the_charts_dashboard_over_prometheus(services):
    grafana = mounts(services["grafana"])
    [provider] = config("grafana/dashboards/paywave.yaml")["providers"]
    assert grafana[provider["options"]["path"]] == "./" + DASHBOARDS, "the chart's dashboard, not a copy"
    assert grafana["/etc/grafana/provisioning/dashboards"] == "./deploy/observability/grafana/dashboards"
    sources = {d["type"]: d for d in config("grafana/datasources/datasources.yaml")["datasources"]}
    assert sources["prometheus"]["url"] == "http://prometheus:9090" and sources["prometheus"]["isDefault"]
    assert sources["jaeger"]["url"] == "http://jaeger:16686"


def test_traces_flow_from_every_process_through_the_collector_to_jaeger(services, env_example):
    _, documented = env_example
    text = (ROOT / ".env.example").read_text()
    assert "OTEL_EXPORTER_OTLP_ENDPOINT" in documented
    assert re.search(r"^# OTEL_EXPORTER_OTLP_ENDPOINT=http://otel-collector:4318$", text, re.M), (
        "off by default (no collector without the profile), one uncommented line away"
    )
    names = {}
    for name, svc in paywave_services(services).items():
        names[name] = (svc.get("environment") or {}).get("OTEL_SERVICE_NAME")
        assert names[name] == f"paywave-{name}", name
    assert len(set(names.values())) == len(names) >= 6
    collector = config("otel-collector.yaml")
    assert collector["receivers"]["otlp"]["protocols"]["http"]["endpoint"] == "0.0.0.0:4318"
    assert collector["exporters"]["otlp/jaeger"]["endpoint"] == "jaeger:4317"
    traces = collector["service"]["pipelines"]["traces"]
    assert traces["receivers"] == ["otlp"] and traces["exporters"] == ["otlp/jaeger"]
    assert mounts(services["otel-collector"])["/etc/otelcol-contrib/config.yaml"] == (
        "./deploy/observability/otel-collector.yaml"
    )
    assert services["otel-collector"]["depends_on"] == {"jaeger": {"condition": "service_healthy"}}


def test_filebeat_ships_only_paywave_containers_json_lines_to_elasticsearch(services):
    filebeat = mounts(services["filebeat"])
    assert filebeat["/usr/share/filebeat/filebeat.yml"] == "./deploy/observability/filebeat.yml"
    assert filebeat["/var/lib/docker/containers"] == "/var/lib/docker/containers"
    beat = config("filebeat.yml")
    [source] = beat["filebeat.inputs"]
    assert source["paths"] == ["/var/lib/docker/containers/*/*.log"]
    parsers = [next(iter(p)) for p in source["parsers"]]
    assert parsers == ["container", "ndjson"], "unwrap Docker's line, then read PayWave's ECS JSON"
    [kept] = [
        p["drop_event"]["when"]["not"]["and"][1]["regexp"]["container.labels.com_docker_compose_service"]
        for p in source["processors"]
        if "drop_event" in p
    ]
    for name in services:
        shipped = re.search(kept, name) is not None
        assert shipped == (name in paywave_services(services) or name == "migrate"), name
    assert beat["output.elasticsearch"]["hosts"] == ["http://elasticsearch:9200"]
    assert services["kibana"]["environment"]["ELASTICSEARCH_HOSTS"] == "http://elasticsearch:9200"
