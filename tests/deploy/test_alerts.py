"""The alerting rules (charts/paywave/files/alerts.yaml): promtool checks them and runs their unit tests
(alerts_test.yaml), every alert of issue 16's list exists, is tested firing and silent, and links its section
of docs/runbook.md.

promtool: the ``promtool`` fixture (conftest.py), skipped without it except in CI."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import yaml

ROOT = Path(__file__).resolve().parents[2]
RULES = ROOT / "charts" / "paywave" / "files" / "alerts.yaml"
RULE_TESTS = RULES.with_name("alerts_test.yaml")
RUNBOOK = ROOT / "docs" / "runbook.md"
# Issue 16: outbox lag, dead letters growing, a gateway circuit open, decline rate or unknown-outcome rate
# above normal per gateway, webhook endpoints disabled, payments stuck in processing or requires_review,
# notification failures, workers without heartbeat.
ALERTS = {
    "PayWaveOutboxLag",
    "PayWaveDeadLettersGrowing",
    "PayWaveGatewayCircuitOpen",
    "PayWaveDeclineRateHigh",
    "PayWaveUnknownOutcomeRateHigh",
    "PayWaveWebhookEndpointsDisabled",
    "PayWavePaymentsStuckProcessing",
    "PayWavePaymentsAwaitingReview",
    "PayWaveNotificationFailures",
    "PayWaveWorkerHeartbeatMissing",
}


def alerting_rules() -> dict[str, dict]:
    groups = yaml.safe_load(RULES.read_text())["groups"]
    return {r["alert"]: r for g in groups for r in g["rules"] if "alert" in r}


def run(promtool: str, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run([promtool, *args], cwd=RULES.parent, capture_output=True, text=True, timeout=120)


def test_promtool_checks_the_rules(promtool):
    result = run(promtool, "check", "rules", RULES.name)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "SUCCESS" in result.stdout


def test_the_alert_unit_tests_pass(promtool):
    result = run(promtool, "test", "rules", RULE_TESTS.name)
    assert result.returncode == 0, result.stdout + result.stderr


def test_promtool_does_fail_a_wrong_expectation(promtool, tmp_path):
    """Guard against unit tests that cannot fail: the same file expecting a firing alert to stay silent."""
    tests = yaml.safe_load(RULE_TESTS.read_text())
    tests["rule_files"] = [str(RULES)]
    for case in tests["tests"]:
        for check in case["alert_rule_test"]:
            check.pop("exp_alerts", None)
    broken = tmp_path / "silent_test.yaml"
    broken.write_text(yaml.safe_dump(tests))
    result = run(promtool, "test", "rules", str(broken))
    assert result.returncode != 0
    assert "FAILED" in result.stdout + result.stderr


def test_the_rules_are_exactly_the_issues_list():
    assert set(alerting_rules()) == ALERTS


def test_every_alert_is_tested_firing_and_silent():
    tests = yaml.safe_load(RULE_TESTS.read_text())["tests"]
    firing, silent = set(), set()
    for case in tests:
        for check in case["alert_rule_test"]:
            (firing if check.get("exp_alerts") else silent).add(check["alertname"])
    assert firing == ALERTS, f"no firing case for {sorted(ALERTS - firing)}"
    assert silent == ALERTS, f"no silent case for {sorted(ALERTS - silent)}"


def _anchors(markdown: str) -> set[str]:
    """GitHub's heading anchors: lower case, punctuation dropped, spaces as dashes."""
    return {
        re.sub(r"[^\w\- ]", "", heading.strip().lower()).replace(" ", "-")
        for heading in re.findall(r"^#+ (.+)$", markdown, re.M)
    }


def test_every_alert_links_its_runbook_section():
    anchors = _anchors(RUNBOOK.read_text())
    for name, rule in alerting_rules().items():
        annotations = rule["annotations"]
        assert annotations.get("summary") and annotations.get("description"), name
        assert rule["labels"]["severity"] in ("critical", "warning"), name
        url = annotations["runbook_url"]
        assert url == f"docs/runbook.md#{name.lower()}", f"{name}: runbook_url {url}"
        assert name.lower() in anchors, f"docs/runbook.md has no section {name}"


def test_every_runbook_section_says_what_it_means_where_to_look_and_what_to_do():
    sections = re.split(r"^## ", RUNBOOK.read_text(), flags=re.M)[1:]
    titles = {s.splitlines()[0] for s in sections}
    assert titles == ALERTS
    for section in sections:
        for part in ("**Means.**", "**Look at.**", "**Do.**"):
            assert part in section, f"{section.splitlines()[0]}: no {part}"


def test_alerts_carry_no_high_cardinality_label():
    """Aggregations keep gateway, pool, actor, status or channel, never an id."""
    for name, rule in alerting_rules().items():
        for grouping in re.findall(r"by \(([^)]*)\)", rule["expr"]):
            labels = {label.strip() for label in grouping.split(",")}
            assert labels <= {"gateway", "pool", "actor", "status", "channel"}, f"{name}: by ({grouping})"
