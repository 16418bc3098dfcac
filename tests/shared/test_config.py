"""One typed configuration, validated at start with a message per bad value."""
import subprocess
import sys

import pytest

from shared.config import Config, ConfigError, settings_table


def test_defaults_are_valid_for_development():
    config = Config.from_env({})
    assert config.route == ("stripe", "paypal") and config.dev_defaults_in_use()


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        Config.from_env({"PAYWAVE_WEB_WORKERS": "many", "PAYWAVE_ROUTE": "stripe,adyen",
                         "PAYWAVE_DATABASE_URL": "mysql://x", "PAYWAVE_VAULT_KEYS": "k1:c2hvcnQ="})
    text = str(info.value)
    for name in ("PAYWAVE_WEB_WORKERS", "PAYWAVE_ROUTE", "PAYWAVE_DATABASE_URL", "PAYWAVE_VAULT_KEYS"):
        assert name in text


def test_production_refuses_development_secrets():
    with pytest.raises(ConfigError, match="production refuses"):
        Config.from_env({"PAYWAVE_ENV": "production"})


def test_the_command_refuses_to_start_in_production_with_dev_secrets():
    out = subprocess.run([sys.executable, "-m", "shared.cli", "token", "--merchant", "m"],
                         env={"PAYWAVE_ENV": "production", "PATH": ""}, capture_output=True, text=True)
    assert out.returncode != 0 and "production refuses" in out.stderr


def test_dev_secrets_print_a_loud_warning(capsys):
    Config.from_env({}).warn_dev_defaults()
    assert "WARNING: development secrets in use" in capsys.readouterr().err


def test_hs_and_public_key_cannot_be_mixed():
    with pytest.raises(ConfigError, match="algorithm confusion"):
        Config.from_env({"PAYWAVE_JWT_PUBLIC_KEY": "-----BEGIN PUBLIC KEY-----"})


def test_readme_documents_every_setting():
    import pathlib
    readme = (pathlib.Path(__file__).parents[2] / "README.md").read_text()
    for line in settings_table().splitlines()[2:]:
        assert line.split("|")[1].strip() in readme


def test_as_environ_gives_the_same_configuration_back():
    config = Config.from_env({"PAYWAVE_ROUTE": "paypal,stripe", "PAYWAVE_QUORUM_QUEUES": "true",
                              "PAYWAVE_GATEWAY_READ_TIMEOUT": "2.5"})
    assert Config.from_env(config.as_environ()) == config
