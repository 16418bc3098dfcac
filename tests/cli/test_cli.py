"""`paywave --help` and `--version`: what each command reads, with its defaults."""

import configparser
import subprocess
import sys

import pytest

from cli import build_parser
from tests.support.processes import ROOT


def help_of(capsys, *argv):
    with pytest.raises(SystemExit) as info:
        build_parser().parse_args([*argv, "--help"])
    assert info.value.code == 0
    return capsys.readouterr().out


def test_version_prints_the_package_version():
    setup = configparser.ConfigParser()
    setup.read(f"{ROOT}/setup.cfg")
    out = subprocess.run(
        [sys.executable, "-m", "cli", "--version"], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == f"paywave {setup['metadata']['version']}"


def test_options_show_their_defaults(capsys):
    assert "(default: 8000)" in help_of(capsys, "ingress")
    assert "(default: 3600)" in help_of(capsys, "token")


@pytest.mark.parametrize(
    "command,variables",
    [
        (
            "ingress",
            [
                "PAYWAVE_WEB_WORKERS=2",
                "PAYWAVE_DATABASE_URL=sqlite:///paywave.db",
                "PAYWAVE_JWT_SECRET=(dev value)",
            ],
        ),
        ("worker", ["PAYWAVE_WORKER_THREADS=8", "PAYWAVE_METRICS_PORT=9191", "(1 to 65535)"]),
        ("migrate", ["PAYWAVE_DATABASE_URL=sqlite:///paywave.db"]),
        ("token", ["PAYWAVE_JWT_ALGORITHMS=HS256", "PAYWAVE_JWT_LEEWAY=30"]),
        ("heartbeat", ["PAYWAVE_HEARTBEAT_FILE=/tmp/paywave/heartbeat"]),
        ("dev", ["PAYWAVE_BROKER_URL=", "PAYWAVE_STRIPE_API_BASE="]),
    ],
)
def test_each_command_names_the_variables_it_reads_with_their_defaults(capsys, command, variables):
    text = help_of(capsys, command)
    for variable in variables:
        assert variable in text


def test_migrate_names_only_what_it_reads(capsys):
    assert "PAYWAVE_JWT_SECRET" not in help_of(capsys, "migrate")


def test_the_top_level_help_says_where_settings_come_from(capsys):
    assert "PAYWAVE_" in help_of(capsys) and "--version" in help_of(capsys)


def test_sandbox_without_the_sandbox_distribution_is_one_line():
    """A production install holds no sandbox: the command says how to get one, with no traceback."""
    hide = "import sys; sys.modules['sandbox'] = None; from cli import main; main()"
    out = subprocess.run(
        [sys.executable, "-c", hide, "sandbox", "stripe", "--port", "1"],
        cwd=ROOT,
        capture_output=True,
        text=True,
    )
    assert out.returncode != 0 and "Traceback" not in out.stderr
    assert (
        out.stderr.strip().splitlines() == [out.stderr.strip()] and "pip install -e ./sandbox" in out.stderr
    )
