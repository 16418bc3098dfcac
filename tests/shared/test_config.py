"""One typed configuration, validated at start with a message per bad value."""

import base64
import dataclasses
import pathlib
import re
import subprocess
import sys

import pytest

from shared.config import (
    DEV_SECRET,
    DEV_VAULT_KEY,
    DEV_VAULT_PRIVATE_KEY,
    DEV_VAULT_PUBLIC_KEY,
    DEV_WEBHOOK_SECRET_KEY,
    KNOWN_UNSAFE,
    Config,
    ConfigError,
    settings_table,
)
from store.vault import generate_key_pair

ROOT = pathlib.Path(__file__).parents[2]


def test_defaults_are_valid_for_development():
    config = Config.from_env({})
    assert config.route == ("stripe", "paypal") and config.dev_defaults_in_use()


def test_every_bad_value_is_reported_at_once():
    with pytest.raises(ConfigError) as info:
        Config.from_env(
            {
                "PAYWAVE_WEB_WORKERS": "many",
                "PAYWAVE_ROUTE": "stripe,adyen",
                "PAYWAVE_DATABASE_URL": "mysql://x",
                "PAYWAVE_VAULT_KEYS": "k1:c2hvcnQ=",
            }
        )
    text = str(info.value)
    for name in ("PAYWAVE_WEB_WORKERS", "PAYWAVE_ROUTE", "PAYWAVE_DATABASE_URL", "PAYWAVE_VAULT_KEYS"):
        assert name in text


def test_production_refuses_development_secrets():
    with pytest.raises(ConfigError, match="production refuses"):
        Config.from_env({"PAYWAVE_ENV": "production"})


def test_the_demo_checkout_needs_test_keys_and_is_refused_in_production():
    keys = {"PAYWAVE_DEMO_PUBLISHABLE_KEY": "pk_test_x", "PAYWAVE_DEMO_SECRET_KEY": "sk_test_x"}
    assert Config.from_env({"PAYWAVE_DEMO_CHECKOUT": "true", **keys}).demo_checkout
    live = {**keys, "PAYWAVE_DEMO_SECRET_KEY": "sk_live_x"}
    with pytest.raises(ConfigError, match="PAYWAVE_DEMO_CHECKOUT: needs test keys"):
        Config.from_env({"PAYWAVE_DEMO_CHECKOUT": "true", **live})
    production = Config(env="production", demo_checkout=True, **{k[8:].lower(): v for k, v in keys.items()})
    assert "PAYWAVE_DEMO_CHECKOUT: production refuses the demo checkout (development only)" in (
        production.problems()
    )


def test_the_command_refuses_to_start_in_production_with_dev_secrets():
    out = subprocess.run(
        [sys.executable, "-m", "cli", "token", "--merchant", "m"],
        env={"PAYWAVE_ENV": "production", "PATH": ""},
        capture_output=True,
        text=True,
    )
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
    config = Config.from_env(
        {
            "PAYWAVE_ROUTE": "paypal,stripe",
            "PAYWAVE_QUORUM_QUEUES": "true",
            "PAYWAVE_GATEWAY_READ_TIMEOUT": "2.5",
        }
    )
    assert Config.from_env(config.as_environ()) == config


# ------------------------------------------------------------------ ranges
@pytest.mark.parametrize(
    "name,value",
    [
        ("PAYWAVE_GATEWAY_READ_TIMEOUT", "-1"),
        ("PAYWAVE_GATEWAY_READ_TIMEOUT", "0"),
        ("PAYWAVE_GATEWAY_CONNECT_TIMEOUT", "0"),
        ("PAYWAVE_RETRY_MAX", "-1"),
        ("PAYWAVE_RETRY_MAX", "0"),
        ("PAYWAVE_UNKNOWN_MAX_TRIES", "0"),
        ("PAYWAVE_RETRY_MIN_BACKOFF_MS", "-5"),
        ("PAYWAVE_SWEEP_INTERVAL_SECONDS", "0"),
        ("PAYWAVE_STUCK_AFTER_SECONDS", "0"),
        ("PAYWAVE_METRICS_PORT", "70000"),
        ("PAYWAVE_METRICS_PORT", "0"),
        ("PAYWAVE_CIRCUIT_ERROR_RATE", "5"),
        ("PAYWAVE_CIRCUIT_ERROR_RATE", "0"),
        ("PAYWAVE_JWT_LEEWAY", "-1"),
        ("PAYWAVE_CIRCUIT_WINDOW_SECONDS", "0"),
        ("PAYWAVE_CIRCUIT_OPEN_SECONDS", "-30"),
        ("PAYWAVE_WEB_THREADS", "0"),
        ("PAYWAVE_WEBHOOK_READ_TIMEOUT", "0"),
        ("PAYWAVE_WEBHOOK_RETRY_SCHEDULE", "5,700000"),
        ("PAYWAVE_WEBHOOK_RETRY_SCHEDULE", "-1"),
    ],
)
def test_out_of_range_numbers_are_refused(name, value):
    with pytest.raises(ConfigError) as info:
        Config.from_env({name: value})
    assert [p for p in info.value.problems if p.startswith(f"{name}=") and ": must be from" in p]


def numeric_fields():
    return [
        f for f in dataclasses.fields(Config) if f.type in (int, float) or f.name == "webhook_retry_schedule"
    ]


@pytest.mark.parametrize("field", numeric_fields(), ids=lambda f: f.name)
def test_every_numeric_setting_has_a_range_that_holds_its_default_and_refuses_beyond(field):
    low, high = field.metadata["low"], field.metadata["high"]
    default = field.default if isinstance(field.default, tuple) else (field.default,)
    assert all(low <= d <= high for d in default)
    name = Config.PREFIX + field.name.upper()
    for bad in (low - 1, high + 1):
        with pytest.raises(ConfigError, match=name):
            Config.from_env({name: str(bad)})
    assert Config.from_env({name: str(low)}) and Config.from_env({name: str(high)})


def test_the_range_is_shown_in_the_settings_table():
    assert "| `PAYWAVE_METRICS_PORT` | `9191` | worker Prometheus port (1 to 65535) |" in settings_table()


def test_readme_table_is_the_generated_one():
    readme = (ROOT / "README.md").read_text()
    for line in settings_table().splitlines():
        assert line in readme


# ------------------------------------------------------------------ production
VAULT_PAIR = generate_key_pair("p1")
SAFE_PRODUCTION = {
    "PAYWAVE_ENV": "production",
    "PAYWAVE_DATABASE_URL": "postgresql://paywave:" + "p" * 32 + "@db.internal/paywave",
    "PAYWAVE_BROKER_URL": "amqp://paywave:" + "q" * 32 + "@mq.internal/paywave",
    "PAYWAVE_JWT_SECRET": "j" * 32,
    "PAYWAVE_JWT_ISSUER": "https://auth.example",
    "PAYWAVE_JWT_AUDIENCE": "paywave",
    "PAYWAVE_VAULT_KEYS": "k2:" + base64.b64encode(b"v" * 32).decode(),
    "PAYWAVE_FINGERPRINT_KEY": "f" * 32,
    "PAYWAVE_API_KEY_DIGEST_KEY": "a" * 32,
    "PAYWAVE_STRIPE_API_KEY": "sk_live_" + "s" * 32,
    "PAYWAVE_PAYPAL_CLIENT_SECRET": "c" * 40,
    "PAYWAVE_STRIPE_TEST_API_KEY": "sk_test_" + "t" * 32,
    "PAYWAVE_PAYPAL_TEST_CLIENT_SECRET": "d" * 40,
    "PAYWAVE_WEBHOOK_ALLOWED_HOSTS": "10.1.2.0/24,hooks.internal,93.184.216.34,fd12:3456::7",
    "PAYWAVE_VAULT_PUBLIC_KEYS": VAULT_PAIR[0],
    "PAYWAVE_VAULT_PRIVATE_KEYS": VAULT_PAIR[1],
    "PAYWAVE_WEBHOOK_SECRET_KEYS": "w1:" + base64.b64encode(b"w" * 32).decode(),
}


def env_example() -> dict:
    """``.env.example``'s settings: ``{name: (value, commented_out)}``."""
    found = {}
    for line in (ROOT / ".env.example").read_text().splitlines():
        match = re.fullmatch(r"(# )?([A-Z_]+)=(.*)", line)
        if match:
            found[match.group(2)] = (match.group(3), bool(match.group(1)))
    return found


def test_a_safe_production_configuration_starts():
    assert Config.from_env(SAFE_PRODUCTION).production


UNSAFE_PRODUCTION = [
    ("PAYWAVE_JWT_SECRET", DEV_SECRET),
    ("PAYWAVE_JWT_SECRET", "short-secret"),
    ("PAYWAVE_FINGERPRINT_KEY", DEV_SECRET),
    ("PAYWAVE_FINGERPRINT_KEY", "f" * 31),
    ("PAYWAVE_API_KEY_DIGEST_KEY", DEV_SECRET),
    ("PAYWAVE_API_KEY_DIGEST_KEY", "paywave-dev-only-api-key-digest-key-not-secret"),
    ("PAYWAVE_API_KEY_DIGEST_KEY", "a" * 31),
    ("PAYWAVE_VAULT_KEYS", DEV_VAULT_KEY),
    ("PAYWAVE_VAULT_PUBLIC_KEYS", DEV_VAULT_PUBLIC_KEY),
    ("PAYWAVE_VAULT_PRIVATE_KEYS", DEV_VAULT_PRIVATE_KEY),
    ("PAYWAVE_VAULT_PRIVATE_KEYS", VAULT_PAIR[1] + "," + DEV_VAULT_PRIVATE_KEY),
    ("PAYWAVE_WEBHOOK_SECRET_KEYS", DEV_WEBHOOK_SECRET_KEY),
    ("PAYWAVE_VAULT_KEYS", SAFE_PRODUCTION["PAYWAVE_VAULT_KEYS"] + ",old:" + DEV_VAULT_KEY.partition(":")[2]),
    ("PAYWAVE_PAYPAL_CLIENT_SECRET", "paywave-sandbox-secret"),
    ("PAYWAVE_STRIPE_API_KEY", "sk_test_paywave_sandbox"),
    ("PAYWAVE_STRIPE_API_KEY", "sk_test_" + "s" * 32),  # live payments need a live key
    ("PAYWAVE_STRIPE_TEST_API_KEY", "sk_test_paywave_sandbox_for_test_mode"),
    ("PAYWAVE_PAYPAL_TEST_CLIENT_SECRET", "paywave-sandbox-secret-for-test-mode"),
    ("PAYWAVE_PAYPAL_TEST_API_BASE", "https://api-m.paypal.com"),  # test payments never reach live PayPal
    ("PAYWAVE_PAYPAL_TEST_CLIENT_ID", "paywave-sandbox-client"),  # the live app's id
    ("PAYWAVE_STRIPE_WEBHOOK_SECRET", "whsec_short"),
    ("PAYWAVE_WEBHOOK_ALLOW_HTTP", "true"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "0.0.0.0/0"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "::/0"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "169.254.169.254"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "169.254.169.0/24"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "fd00:ec2::254"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "10.0.0.0/8"),
    ("PAYWAVE_WEBHOOK_ALLOWED_HOSTS", "8.8.8.0/24"),
    ("PAYWAVE_DATABASE_URL", "sqlite:///paywave.db"),
    ("PAYWAVE_DATABASE_URL", "postgresql://paywave:paywave-dev-password@db.internal/paywave"),
    ("PAYWAVE_BROKER_URL", ""),
    ("PAYWAVE_BROKER_URL", "amqp://paywave:paywave-dev-password@mq.internal/paywave"),
    ("PAYWAVE_JWT_ISSUER", ""),
    ("PAYWAVE_JWT_AUDIENCE", ""),
]


@pytest.mark.parametrize("name,value", UNSAFE_PRODUCTION)
def test_production_refuses(name, value):
    with pytest.raises(ConfigError) as info:
        Config.from_env({**SAFE_PRODUCTION, name: value})
    assert len(info.value.problems) == 1 and info.value.problems[0].startswith(name)
    Config.from_env({**SAFE_PRODUCTION, name: value, "PAYWAVE_ENV": "development"})  # development accepts it


def test_production_refuses_a_missing_api_key_digest_key_and_no_environment_accepts_an_empty_one():
    missing = {k: v for k, v in SAFE_PRODUCTION.items() if k != "PAYWAVE_API_KEY_DIGEST_KEY"}
    with pytest.raises(ConfigError, match="PAYWAVE_API_KEY_DIGEST_KEY"):
        Config.from_env(missing)
    for env in ("production", "development"):
        with pytest.raises(ConfigError, match="PAYWAVE_API_KEY_DIGEST_KEY: required"):
            Config.from_env({**SAFE_PRODUCTION, "PAYWAVE_ENV": env, "PAYWAVE_API_KEY_DIGEST_KEY": ""})


def test_production_lists_every_problem_at_once():
    unsafe = {
        "PAYWAVE_ENV": "production",
        "PAYWAVE_WEBHOOK_ALLOW_HTTP": "true",
        "PAYWAVE_WEBHOOK_ALLOWED_HOSTS": "::/0",
    }
    with pytest.raises(ConfigError) as info:
        Config.from_env(unsafe)  # every other setting at its development default
    named = {p.split(":")[0].split("=")[0] for p in info.value.problems}
    assert named >= {
        "PAYWAVE_JWT_SECRET",
        "PAYWAVE_FINGERPRINT_KEY",
        "PAYWAVE_VAULT_PUBLIC_KEYS",
        "PAYWAVE_VAULT_PRIVATE_KEYS",
        "PAYWAVE_WEBHOOK_SECRET_KEYS",
        "PAYWAVE_PAYPAL_CLIENT_SECRET",
        "PAYWAVE_WEBHOOK_ALLOW_HTTP",
        "PAYWAVE_WEBHOOK_ALLOWED_HOSTS",
        "PAYWAVE_DATABASE_URL",
        "PAYWAVE_BROKER_URL",
        "PAYWAVE_JWT_ISSUER",
        "PAYWAVE_JWT_AUDIENCE",
    }


def test_production_refuses_every_secret_published_in_env_example():
    published = {
        name: value
        for name, (value, commented) in env_example().items()
        if not commented and value and re.search(r"SECRET|KEY|PASS|_URL", name)
    }
    assert "PAYWAVE_JWT_SECRET" in published and "POSTGRES_PASSWORD" in published
    for name, value in published.items():
        if name.startswith(Config.PREFIX):
            if "dev-password" not in value and name.endswith("_URL"):
                continue  # a URL without a password (Redis, the sandboxes)
            with pytest.raises(ConfigError, match=name):
                Config.from_env({**SAFE_PRODUCTION, name: value})
        else:  # the compose services' passwords, in the URLs
            assert (
                value in KNOWN_UNSAFE["PAYWAVE_DATABASE_URL"] and value in KNOWN_UNSAFE["PAYWAVE_BROKER_URL"]
            )


# ------------------------------------------------------------------ .env.example
def test_env_example_shows_the_true_defaults():
    fields = {Config.PREFIX + f.name.upper(): f for f in dataclasses.fields(Config)}
    shown = {  # PayWave's own: the standard OTEL_* variables are OpenTelemetry's
        name: value for name, (value, commented) in env_example().items() if commented and name in fields
    }
    assert shown
    for name, value in shown.items():
        assert fields[name].metadata["parse"](value) == fields[name].default, name


def test_every_built_in_secret_value_is_known_unsafe():
    for field in dataclasses.fields(Config):
        name = Config.PREFIX + field.name.upper()
        if field.metadata["secret"] and field.default:
            with pytest.raises(ConfigError, match=name):
                Config.from_env({**SAFE_PRODUCTION, name: field.default})


def test_production_with_rs256_ignores_the_unused_jwt_secret():
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.asymmetric import rsa

    public = (
        rsa.generate_private_key(public_exponent=65537, key_size=2048)
        .public_key()
        .public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)
        .decode()
    )
    rs = {k: v for k, v in SAFE_PRODUCTION.items() if k != "PAYWAVE_JWT_SECRET"}  # the dev default stays
    assert Config.from_env(
        {**rs, "PAYWAVE_JWT_ALGORITHMS": "RS256", "PAYWAVE_JWT_PUBLIC_KEY": public}
    ).production


# ------------------------------------------------------------------ test and live modes
@pytest.mark.parametrize("key", ["sk_live_" + "s" * 32, "rk_live_abc", "pk_test_abc", "whatever"])
def test_the_test_stripe_key_must_be_a_test_key_everywhere(key):
    with pytest.raises(ConfigError) as info:
        Config.from_env({"PAYWAVE_STRIPE_TEST_API_KEY": key})
    assert info.value.problems == ["PAYWAVE_STRIPE_TEST_API_KEY: expected a Stripe test key (sk_test_...)"]


def test_test_mode_uses_the_test_credentials_only():
    config = Config.from_env(
        {
            **SAFE_PRODUCTION,
            "PAYWAVE_STRIPE_API_BASE": "https://stripe.proxy",
            "PAYWAVE_PAYPAL_API_BASE": "https://api-m.paypal.com",
        }
    )
    assert config.for_mode(True) is config
    test = config.for_mode(False)
    assert (test.stripe_api_key, test.stripe_api_base) == (config.stripe_test_api_key, "https://stripe.proxy")
    assert (test.paypal_client_id, test.paypal_client_secret, test.paypal_api_base) == (
        config.paypal_test_client_id,
        config.paypal_test_client_secret,
        "https://api-m.sandbox.paypal.com",  # production's default for test mode: PayPal's sandbox
    )
    dev = Config.from_env({"PAYWAVE_PAYPAL_API_BASE": "http://127.0.0.1:12112"}).for_mode(False)
    assert dev.paypal_api_base == "http://127.0.0.1:12112"  # development: the local sandbox serves both
