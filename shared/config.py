"""One typed configuration object, read from ``PAYWAVE_*`` environment variables.

Every value is validated when the object is built; all problems are reported
together, one line each, so a bad deployment fails at start with a clear list.
"""

import base64
import dataclasses
import ipaddress
import os
import re
import sys
import urllib.parse
from collections.abc import Callable, Collection, Mapping
from typing import Any, Self, TextIO

import jwt

from shared.notifications.smtp import check_url
from shared.radar import usd

DEV_SECRET = "paywave-dev-secret-do-not-use-in-production"
_HOST_OR_CIDR = re.compile(r"[A-Za-z0-9.:-]+(/[0-9]{1,3})?")
DEV_VAULT_KEY = "dev:" + base64.b64encode(b"paywave-dev-vault-key-0123456789"[:32]).decode()
# Webhook signing secrets of dev databases were sealed under the old dev card key (kid "dev") by earlier
# versions.
DEV_WEBHOOK_SECRET_KEY = DEV_VAULT_KEY
# A published X25519 pair (`paywave vault-keygen --key-id dev1`): anyone can open what it seals.
DEV_VAULT_PUBLIC_KEY = "dev1:ISQ6MN4iPaye2yFY39rVUcyE0+Y6YmDi63RzzYWrVgc="
DEV_VAULT_PRIVATE_KEY = "dev1:EBKCtqfxyWjOJvEiRNdyRfoduOWuAdHAdfgwlIT4v3o="
KEYRINGS = ("vault_public_keys", "vault_private_keys", "vault_keys", "webhook_secret_keys")
JWT_ALGORITHMS = ("HS256", "HS384", "HS512", "RS256", "ES256")
#: Values anyone can read (built-in defaults, ``.env.example``), refused in production.  Compared with
#: a URL's password, each key of a key ring (its base64 part), else the whole value.
KNOWN_UNSAFE = {
    "PAYWAVE_JWT_SECRET": (DEV_SECRET, "paywave-dev-only-jwt-secret-not-for-production-use"),
    "PAYWAVE_VAULT_KEYS": (DEV_VAULT_KEY.partition(":")[2], "cGF5d2F2ZS1kZXYtdmF1bHQta2V5LW5vdC1zZWNyZXQ="),
    # A published public key seals cards that the published private key opens.
    "PAYWAVE_VAULT_PUBLIC_KEYS": (DEV_VAULT_PUBLIC_KEY.partition(":")[2],),
    "PAYWAVE_VAULT_PRIVATE_KEYS": (DEV_VAULT_PRIVATE_KEY.partition(":")[2],),
    "PAYWAVE_WEBHOOK_SECRET_KEYS": (DEV_WEBHOOK_SECRET_KEY.partition(":")[2],),
    "PAYWAVE_FINGERPRINT_KEY": (DEV_SECRET, "paywave-dev-only-fingerprint-key-not-secret"),
    "PAYWAVE_API_KEY_DIGEST_KEY": (DEV_SECRET, "paywave-dev-only-api-key-digest-key-not-secret"),
    "PAYWAVE_STRIPE_API_KEY": ("sk_test_paywave_sandbox", "sk_test_paywave_dev_sandbox"),
    "PAYWAVE_STRIPE_WEBHOOK_SECRET": ("whsec_paywave_dev_sandbox",),
    "PAYWAVE_PAYPAL_CLIENT_SECRET": ("paywave-sandbox-secret", "paywave-dev-client-secret"),
    "PAYWAVE_STRIPE_TEST_API_KEY": (
        "sk_test_paywave_sandbox_for_test_mode",
        "sk_test_paywave_dev_sandbox_test_mode",
    ),
    "PAYWAVE_PAYPAL_TEST_CLIENT_SECRET": (
        "paywave-sandbox-secret-for-test-mode",
        "paywave-dev-test-client-secret",
    ),
    "PAYWAVE_DATABASE_URL": ("paywave-dev-password",),
    "PAYWAVE_BROKER_URL": ("paywave-dev-password",),
}
#: Cloud metadata services (AWS, ECS, AWS IPv6, Alibaba): never reachable by a webhook in production.
METADATA_ADDRESSES = tuple(
    map(ipaddress.ip_address, ("169.254.169.254", "169.254.170.2", "fd00:ec2::254", "100.100.100.200"))
)
SECRET_MIN_BYTES = 32
#: A Stripe secret or restricted key that moves no real money.
STRIPE_TEST_KEY_PREFIXES = ("sk_test_", "rk_test_")
#: Where test-mode PayPal payments go in production unless ``PAYWAVE_PAYPAL_TEST_API_BASE`` says otherwise.
PAYPAL_SANDBOX_BASE = "https://api-m.sandbox.paypal.com"
PAYPAL_LIVE_HOSTS = ("api-m.paypal.com", "api.paypal.com")


class ConfigError(ValueError):
    """One or more settings are invalid; ``problems`` lists each."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def _bool(text: str) -> bool:
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None


def _list(text: str) -> tuple[str, ...]:
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _seconds(text: str) -> tuple[float, ...]:
    try:
        return tuple(float(item) for item in _list(text))
    except ValueError:
        raise ValueError("expected comma-separated numbers of seconds") from None


def _text(value: object) -> str:
    """A value as its environment variable spells it."""
    if isinstance(value, tuple):
        return ",".join(map(str, value))
    return str(value).lower() if isinstance(value, bool) else str(value)


def _exposed(name: str, value: str) -> set[str]:
    """The parts of a setting compared with ``KNOWN_UNSAFE``."""
    if name.endswith("_URL"):
        return {urllib.parse.unquote(urllib.parse.urlsplit(value).password or "")} - {""}
    if name[len(Config.PREFIX) :].lower() in KEYRINGS:
        return {item.partition(":")[2] for item in _list(value)}
    return {value}


def _too_wide(entry: str) -> bool:
    """An allow-list entry wider than one host or a private /24, or holding a metadata address."""
    try:
        network = ipaddress.ip_network(entry, strict=False)
    except ValueError:
        return False  # a host name
    if any(address in network for address in METADATA_ADDRESSES):
        return True
    return network.num_addresses > (256 if network.is_private else 1)


def _failure(parse: Callable[[], object], label: str = "") -> list[str]:
    """``[label + the error]`` when ``parse()`` raises ``ValueError``, else ``[]``."""
    try:
        parse()
    except ValueError as exc:
        return [f"{label}{exc}"]
    return []


def _setting(
    default: Any,
    parse: Callable[[str], Any] = str,
    doc: str = "",
    low: float | None = None,
    high: float | None = None,
    secret: bool = False,
) -> Any:
    """A ``Config`` field (typed ``Any``: the class body takes it for the field's default).

    Parameters:
      default: The value when the variable is unset.
      parse: Text to value; raises ``ValueError`` with the reason.
      doc: One line for the README table and ``--help``.
      low, high: The inclusive range of a number (of each number of a list), checked by ``problems()``.
      secret: Its default is a development value, never shown; production refuses it shorter than 32 bytes.
    """
    return dataclasses.field(
        default=default, metadata={"parse": parse, "doc": doc, "low": low, "high": high, "secret": secret}
    )


@dataclasses.dataclass(frozen=True)
class Config:
    env: str = _setting("development", doc="`development` or `production` (production refuses dev secrets)")
    database_url: str = _setting(
        "sqlite:///paywave.db", doc="peewee URL: `postgresql://user:pass@host/db` or `sqlite:///file.db`"
    )
    redis_url: str = _setting("", doc="Redis for the status cache and shared state; empty: in-process cache")
    broker_url: str = _setting("", doc="RabbitMQ `amqp://` URL; empty: in-process broker (dev only)")
    queue_prefix: str = _setting("", doc="prefix for every queue name (isolates tenants and test runs)")
    cache_prefix: str = _setting("paywave:", doc="prefix for every Redis key")
    quorum_queues: bool = _setting(False, _bool, "declare RabbitMQ quorum queues (HA clusters)")
    jwt_secret: str = _setting(DEV_SECRET, doc="HS256 secret for merchant tokens", secret=True)
    jwt_public_key: str = _setting("", doc="PEM public key for RS256/ES256 tokens (instead of the secret)")
    jwt_private_key: str = _setting(
        "", doc="PEM private key, only for `paywave token` with RS256/ES256", secret=True
    )
    jwt_algorithms: tuple = _setting(("HS256",), _list, "accepted JWT algorithms (HS256, RS256, ES256)")
    jwt_issuer: str = _setting("", doc="required `iss` claim, when set")
    jwt_audience: str = _setting("", doc="required `aud` claim, when set")
    jwt_leeway: int = _setting(30, _int, "seconds of clock skew tolerated on `exp`/`nbf`", low=0, high=300)
    vault_keys: str = _setting(
        "",
        doc="legacy AES-256 card keys `kid:base64(32 bytes)`, comma-separated: only read "
        "(records sealed before envelope encryption); workers only",
        secret=True,
    )
    fingerprint_key: str = _setting(DEV_SECRET, doc="HMAC key for card fingerprints", secret=True)
    api_key_digest_key: str = _setting(
        DEV_SECRET,
        doc="HMAC key of the API key digests: the only form a key's secret is stored in (changing it "
        "invalidates every key; ingress and `paywave admin create-api-key`)",
        secret=True,
    )
    route: tuple = _setting(("stripe", "paypal"), _list, "gateway order tried for a payment")
    stripe_api_base: str = _setting("", doc="Stripe API base URL; empty: start the local sandbox (dev)")
    stripe_api_key: str = _setting("sk_test_paywave_sandbox", doc="Stripe secret key", secret=True)
    stripe_webhook_secret: str = _setting("", doc="Stripe endpoint signing secret (`whsec_...`)", secret=True)
    paypal_api_base: str = _setting("", doc="PayPal API base URL; empty: start the local sandbox (dev)")
    paypal_client_id: str = _setting("paywave-sandbox-client", doc="PayPal REST client id")
    paypal_client_secret: str = _setting(
        "paywave-sandbox-secret", doc="PayPal REST client secret", secret=True
    )
    paypal_webhook_id: str = _setting("", doc="PayPal webhook id used to verify incoming events")
    stripe_test_api_base: str = _setting(
        "",
        doc="Stripe API base URL for test-mode payments; empty: `PAYWAVE_STRIPE_API_BASE` (the key picks "
        "the mode)",
    )
    stripe_test_api_key: str = _setting(
        "sk_test_paywave_sandbox_for_test_mode",
        doc="Stripe secret key for test-mode payments; must be a test key (`sk_test_...`)",
        secret=True,
    )
    paypal_test_api_base: str = _setting(
        "",
        doc="PayPal API base URL for test-mode payments; empty: `PAYWAVE_PAYPAL_API_BASE` in development, "
        f"`{PAYPAL_SANDBOX_BASE}` in production",
    )
    paypal_test_client_id: str = _setting(
        "paywave-sandbox-test-client", doc="PayPal REST client id for test-mode payments (a sandbox app's)"
    )
    paypal_test_client_secret: str = _setting(
        "paywave-sandbox-secret-for-test-mode",
        doc="PayPal REST client secret for test-mode payments",
        secret=True,
    )
    retry_max: int = _setting(
        3, _int, "calls per gateway for retryable errors before falling back", low=1, high=20
    )
    retry_min_backoff_ms: int = _setting(
        500, _int, "first retry delay (doubles each time, with jitter)", low=1, high=60_000
    )
    retry_max_backoff_ms: int = _setting(30_000, _int, "longest retry delay", low=1, high=3_600_000)
    unknown_max_tries: int = _setting(
        10, _int, "retrieve calls for an unknown outcome before leaving it to the sweeper", low=1, high=1000
    )
    gateway_connect_timeout: float = _setting(
        3.05, float, "seconds to connect to a gateway", low=0.1, high=60
    )
    gateway_read_timeout: float = _setting(
        30.0, float, "seconds to wait for a gateway's answer (then: unknown outcome)", low=0.1, high=600
    )
    circuit_error_rate: float = _setting(
        0.5, float, "error rate over the window that opens a gateway's circuit", low=0.01, high=1
    )
    circuit_window_seconds: int = _setting(
        30, _int, "window for the circuit breaker's error rate", low=1, high=3600
    )
    circuit_min_calls: int = _setting(
        10, _int, "calls in the window before the circuit may open", low=1, high=1_000_000
    )
    circuit_open_seconds: int = _setting(
        30, _int, "how long an open circuit stays open before half-opening", low=1, high=3600
    )
    sweep_interval_seconds: int = _setting(
        15, _int, "how often the sweeper runs (ops pool)", low=1, high=3600
    )
    stuck_after_seconds: int = _setting(
        300, _int, "age after which the sweeper drives a payment or job again", low=1, high=86400
    )
    public_url: str = _setting(
        "http://127.0.0.1:8000",
        doc="the ingress's address as customers' browsers reach it (3-D Secure and PayPal returns, "
        "`/v1/paywave.js`)",
    )
    demo_checkout: bool = _setting(
        False,
        _bool,
        "serve the demo checkout at `/checkout/demo` (development only: `paywave dev` turns it on and "
        "provisions its keys)",
    )
    demo_publishable_key: str = _setting(
        "", doc="the demo checkout's publishable key (`pk_test_...`) for the card fields"
    )
    demo_secret_key: str = _setting(
        "",
        doc="the secret key (`sk_test_...`) the demo checkout's merchant side creates payments with",
        secret=True,
    )
    action_expiry_seconds: int = _setting(
        3600,
        _int,
        "seconds a customer has to complete a customer action (3-D Secure, PayPal approval) before the "
        "payment is canceled (`action_expired`)",
        low=1,
        high=86400,
    )
    webhook_allow_http: bool = _setting(False, _bool, "accept plain-http webhook URLs (development only)")
    webhook_allowed_hosts: tuple = _setting(
        (),
        _list,
        "host names and CIDRs webhook URLs may reach although not public (e.g. `127.0.0.1/32,localhost`)",
    )
    webhook_retry_schedule: tuple = _setting(
        (5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400),
        _seconds,
        "seconds from a failed webhook attempt to the next (±10% jitter), one retry "
        "per entry after the immediate first attempt; then the delivery has failed",
        low=0,
        high=7 * 86400,
    )  # Dramatiq delays a message by 7 days at most
    webhook_disable_after_hours: int = _setting(
        72,
        _int,
        "disable an endpoint whose deliveries have failed continuously for longer than this",
        low=1,
        high=720,
    )
    webhook_connect_timeout: float = _setting(
        3.0, float, "seconds to connect to a merchant's webhook endpoint", low=0.1, high=60
    )
    webhook_read_timeout: float = _setting(
        10.0, float, "seconds to wait for a webhook endpoint's answer", low=0.1, high=300
    )
    web_workers: int = _setting(2, _int, "gunicorn worker processes for the ingress", low=1, high=64)
    web_threads: int = _setting(8, _int, "threads per ingress worker", low=1, high=256)
    worker_processes: int = _setting(1, _int, "Dramatiq processes per worker pool", low=1, high=64)
    worker_threads: int = _setting(
        8, _int, "Dramatiq threads per process (also the prefetch)", low=1, high=256
    )
    max_body_bytes: int = _setting(
        64 * 1024, _int, "largest accepted request body", low=1024, high=16 * 1024 * 1024
    )
    idempotency_ttl_hours: int = _setting(
        24, _int, "how long Idempotency-Key records are kept", low=1, high=720
    )
    cache_ttl_seconds: int = _setting(86400, _int, "lifetime of a cached payment", low=1, high=30 * 86400)
    merchant_cache_seconds: int = _setting(
        5,
        _int,
        "seconds an ingress process keeps a merchant's route, accepted currencies and raw card switch: how "
        "long a `PATCH /merchant` answered by another process (or `paywave admin set-raw-cards`) may go "
        "unseen by `POST /payments` (0: read each time)",
        low=0,
        high=300,
    )
    credential_cache_seconds: int = _setting(
        5,
        _int,
        "seconds an ingress process trusts what it read of an API key or a login session: how late a "
        "revocation, a role change or a removed user is seen by another process (0: read each time)",
        low=0,
        high=60,
    )
    token_ttl_seconds: int = _setting(
        900,
        _int,
        "seconds a card token (`POST /tokens`) can pay a payment, once, before it expires",
        low=60,
        high=86400,
    )
    password_time_cost: int = _setting(
        2,
        _int,
        "Argon2id passes per password hash (OWASP: at least 2); a login rehashes older hashes",
        low=1,
        high=20,
    )
    password_memory_kib: int = _setting(
        19456,
        _int,
        "Argon2id memory per password hash, in KiB (OWASP: at least 19456); a login rehashes older hashes",
        low=8,
        high=4 * 1024 * 1024,
    )
    password_parallelism: int = _setting(1, _int, "Argon2id lanes per password hash", low=1, high=16)
    session_access_seconds: int = _setting(
        900, _int, "lifetime of a user's access token (`POST /auth/login`)", low=60, high=3600
    )
    session_refresh_days: int = _setting(
        30, _int, "lifetime of a login session: its refresh tokens end with it", low=1, high=365
    )
    login_attempts_per_account: int = _setting(
        10, _int, "login attempts per account (email) per 15 minutes", low=1, high=10_000
    )
    login_attempts_per_ip: int = _setting(
        100, _int, "login attempts per source address per 15 minutes", low=1, high=100_000
    )
    invitation_hours: int = _setting(
        72, _int, "how long an invitation (`POST /users`) can be accepted", low=1, high=720
    )
    dashboard_idle_minutes: int = _setting(
        30, _int, "a dashboard sign-in ends after this long without a request", low=1, high=24 * 60
    )
    dashboard_session_hours: int = _setting(
        12, _int, "a dashboard sign-in ends this long after it began, however active", low=1, high=30 * 24
    )
    log_level: str = _setting("info", doc="debug, info, warning or error")
    metrics_port: int = _setting(9191, _int, "worker Prometheus port", low=1, high=65535)
    heartbeat_file: str = _setting("/tmp/paywave/heartbeat", doc="file a worker touches while alive")
    rate_limit_read: int = _setting(
        100, _int, "reads (GET) per second per merchant, all at once at most (the burst)", low=1, high=100_000
    )
    rate_limit_write: int = _setting(
        100,
        _int,
        "writes (POST, PUT, PATCH, DELETE) per second per merchant, all at once at most (the burst)",
        low=1,
        high=100_000,
    )
    rate_limit_overrides: tuple = _setting(
        (), _list, "per-merchant limits `merchant:read:write`, comma-separated"
    )
    rate_limit_api_key_percent: int = _setting(
        50,
        _int,
        "share of its merchant's read and write budgets one API key may use (the merchant's budget "
        "still bounds all its credentials together)",
        low=1,
        high=100,
    )
    rate_limit_webhooks_per_ip: int = _setting(
        100, _int, "gateway webhook deliveries per second per source address", low=1, high=100_000
    )
    trusted_proxies: tuple = _setting(
        (),
        _list,
        "CIDRs of proxies whose `X-Forwarded-For` names the client "
        "(e.g. `10.0.0.0/8`); empty: the peer address is the client",
    )
    gateway_event_unverified_max: int = _setting(
        10_000,
        _int,
        "`received` gateway events per gateway past which new "
        "deliveries are refused with 503 (the gateway retries)",
        low=1,
        high=10_000_000,
    )
    gateway_event_retention_days: int = _setting(
        30, _int, "days `rejected` and `ignored` gateway events are kept", low=1, high=3650
    )
    redeliver_per_hour: int = _setting(
        10,
        _int,
        "`POST /events/{id}/redeliver` calls per event per hour, and test events per endpoint",
        low=1,
        high=10_000,
    )
    vault_public_keys: str = _setting(
        DEV_VAULT_PUBLIC_KEY,
        doc="X25519 public keys `kid:base64(32 bytes)` cards are "
        "sealed to, comma-separated; the first seals (ingress)",
    )
    vault_private_keys: str = _setting(
        DEV_VAULT_PRIVATE_KEY,
        doc="X25519 private keys `kid:base64(32 bytes)` that "
        "open cards, comma-separated (charging workers only)",
        secret=True,
    )
    webhook_secret_keys: str = _setting(
        DEV_WEBHOOK_SECRET_KEY,
        doc="AES-256 keys `kid:base64(32 bytes)` for webhook signing secrets and users' TOTP secrets, "
        "comma-separated; the first encrypts (ingress, webhooks pool)",
        secret=True,
    )
    usd_rates: tuple = _setting(
        (),
        _list,
        "US dollars per unit of other currencies for the fraud rules' `:amount_in_usd:`, comma-separated "
        "`CUR:rate` (e.g. `EUR:1.08,GBP:1.27`); a currency without a rate has no amount in USD",
    )
    geoip_db: str = _setting(
        "",
        doc="path of a MaxMind-format country database (`.mmdb`: GeoLite2-Country, DB-IP lite) for the fraud "
        "rules' `:ip_country:`, opened once per worker; empty: the IP country is unknown",
    )
    ingress_metrics_port: int = _setting(
        9190, _int, "ingress Prometheus port (`/metrics` is not on the API port)", low=1, high=65535
    )
    smtp_url: str = _setting(
        "",
        doc="where payer notifications are sent: `smtp://user:pass@host:587` (STARTTLS required with a "
        "password), `smtps://user:pass@host:465` (implicit TLS), `smtp://host:port` (plain, development); "
        "empty: each notification is recorded failed, naming this setting (notifications pool)",
    )
    smtp_timeout: float = _setting(
        10.0, float, "seconds to connect to the SMTP server and for each of its answers", low=0.1, high=300
    )
    notification_from: str = _setting(
        "",
        doc="the `From` address of payer notifications (shown with the merchant's `from_name`); empty: "
        "`notifications@` the host of `PAYWAVE_PUBLIC_URL`",
    )
    notification_retry_schedule: tuple = _setting(
        (10, 60, 300, 1800, 7200),
        _seconds,
        "seconds from a notification attempt that may succeed later (SMTP 4xx, no answer) to the next "
        "(±10% jitter), one retry per entry; then it has failed. A 5xx is never retried",
        low=0,
        high=7 * 86400,
    )
    dev_mail_dir: str = _setting(
        "",
        doc="a Maildir of caught notifications the ingress shows at `/_dev/mail` (development only: "
        "`paywave dev` runs an SMTP catcher filling it)",
    )

    PREFIX = "PAYWAVE_"

    @classmethod
    def from_env(cls, environ: Mapping[str, str] | None = None, **overrides: Any) -> Self:
        """Build from ``environ`` (default ``os.environ``), then apply ``overrides``.

        Raises:
          ConfigError: listing every invalid value.
        """
        environ = os.environ if environ is None else environ
        values, problems = {}, []
        for field in dataclasses.fields(cls):
            name = cls.PREFIX + field.name.upper()
            if name in environ:
                try:
                    values[field.name] = field.metadata["parse"](environ[name])
                except ValueError as exc:
                    problems.append(f"{name}={environ[name]!r}: {exc}")
        values.update(overrides)
        config = cls(**values)
        problems += config.problems()
        if problems:
            raise ConfigError(problems)
        return config

    def as_environ(self) -> dict:
        """The ``PAYWAVE_*`` variables that give this configuration back through ``from_env``
        (what a child process of another role needs)."""
        return {self.PREFIX + f.name.upper(): _text(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @property
    def production(self) -> bool:
        return self.env == "production"

    def for_mode(self, livemode: bool) -> Self:
        """This configuration with the gateway credentials of a mode: itself for live, the ``*_test_*``
        settings in place of the live ones for test (what ``gateways.registry`` builds test adapters from).
        """
        if livemode:
            return self
        paypal_base = self.paypal_test_api_base or (
            PAYPAL_SANDBOX_BASE if self.production else self.paypal_api_base
        )
        return dataclasses.replace(
            self,
            stripe_api_base=self.stripe_test_api_base or self.stripe_api_base,
            stripe_api_key=self.stripe_test_api_key,
            paypal_api_base=paypal_base,
            paypal_client_id=self.paypal_test_client_id,
            paypal_client_secret=self.paypal_test_client_secret,
        )

    def dev_defaults_in_use(self) -> list[str]:
        """Names of the settings holding a value of ``KNOWN_UNSAFE`` (built-in or published)."""
        return [
            name
            for name, unsafe in KNOWN_UNSAFE.items()
            if _exposed(name, getattr(self, name[len(self.PREFIX) :].lower())) & set(unsafe)
        ]

    def problems(self) -> list[str]:
        """One line per invalid setting (empty when all are valid)."""
        problems = self._service_problems() + _failure(self.jwt_verify_key)
        unknown_gateways = set(self.route) - {"stripe", "paypal"}
        if unknown_gateways or not self.route:
            problems.append(f"PAYWAVE_ROUTE: unknown gateways {sorted(unknown_gateways) or 'empty route'}")
        problems += self._range_problems()
        if not self.api_key_digest_key:  # an empty HMAC key would make every key's digest public knowledge
            problems.append("PAYWAVE_API_KEY_DIGEST_KEY: required (API keys are stored only as its HMAC)")
        bad_hosts = [h for h in self.webhook_allowed_hosts if not _HOST_OR_CIDR.fullmatch(h)]
        if bad_hosts:
            problems.append(f"PAYWAVE_WEBHOOK_ALLOWED_HOSTS: not a host name or CIDR: {bad_hosts}")
        problems += _failure(self.rate_limit_overrides_by_merchant, "PAYWAVE_RATE_LIMIT_OVERRIDES: ")
        problems += _failure(self.trusted_networks, "PAYWAVE_TRUSTED_PROXIES: ")
        problems += _failure(lambda: usd.parse(self.usd_rates), "PAYWAVE_USD_RATES: ")
        if self.password_memory_kib < 8 * self.password_parallelism:  # Argon2's own floor
            problems.append(
                "PAYWAVE_PASSWORD_MEMORY_KIB: must be at least 8 per lane (PAYWAVE_PASSWORD_PARALLELISM)"
            )
        if self.log_level not in ("debug", "info", "warning", "error"):
            problems.append("PAYWAVE_LOG_LEVEL: expected debug, info, warning or error")
        problems += self._keyring_problems()
        if self.demo_checkout and not (
            self.demo_publishable_key.startswith("pk_test_") and self.demo_secret_key.startswith("sk_test_")
        ):
            problems.append(
                "PAYWAVE_DEMO_CHECKOUT: needs test keys in PAYWAVE_DEMO_PUBLISHABLE_KEY (pk_test_...) and "
                "PAYWAVE_DEMO_SECRET_KEY (sk_test_...); `paywave dev` provisions them"
            )
        if self.smtp_url:
            problems += _failure(lambda: check_url(self.smtp_url), "PAYWAVE_SMTP_URL: ")
        if not self.stripe_test_api_key.startswith(STRIPE_TEST_KEY_PREFIXES):
            problems.append("PAYWAVE_STRIPE_TEST_API_KEY: expected a Stripe test key (sk_test_...)")
        return problems + (self._production_problems() if self.production else [])

    def _service_problems(self) -> list[str]:
        """The environment's name and the URLs of the services it talks to."""
        problems = []
        if self.env not in ("development", "production"):
            problems.append(f"PAYWAVE_ENV={self.env!r}: expected development or production")
        if not self.database_url.startswith(("postgres://", "postgresql://", "sqlite://")):
            problems.append("PAYWAVE_DATABASE_URL: expected a postgresql:// or sqlite:// URL")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append("PAYWAVE_REDIS_URL: expected a redis:// URL")
        if self.broker_url and not self.broker_url.startswith(("amqp://", "amqps://")):
            problems.append("PAYWAVE_BROKER_URL: expected an amqp:// URL")
        return problems

    def _range_problems(self) -> list[str]:
        """Numbers outside their setting's bounds (``low`` and ``high``; every one of a tuple)."""
        problems = []
        for field in dataclasses.fields(self):
            low, high, value = field.metadata["low"], field.metadata["high"], getattr(self, field.name)
            if low is not None and not all(
                low <= v <= high for v in (value if isinstance(value, tuple) else (value,))
            ):
                problems.append(
                    f"{self.PREFIX}{field.name.upper()}={_text(value)!r}: must be from {low} to {high}"
                )
        return problems

    def _keyring_problems(self) -> list[str]:
        """Key settings that do not parse, and legacy key ids that also name a key pair's."""
        problems = []
        key_ids = {}
        for name in KEYRINGS:
            try:
                key_ids[name] = {kid for kid, _ in self.keyring(name)}
            except ValueError as exc:
                problems.append(f"PAYWAVE_{name.upper()}: {exc}")
        # A legacy key id is looked up first: it must not shadow a key pair's.
        shared_ids = key_ids.get("vault_keys", set()) & (
            key_ids.get("vault_public_keys", set()) | key_ids.get("vault_private_keys", set())
        )
        if shared_ids:
            problems.append(f"PAYWAVE_VAULT_KEYS: key ids {sorted(shared_ids)} also name vault key pairs")
        return problems

    def _production_problems(self) -> list[str]:
        """What production refuses although development accepts it."""
        unsafe = self.dev_defaults_in_use()
        if not any(a.startswith("HS") for a in self.jwt_algorithms):  # RS256/ES256 never read the secret
            unsafe = [name for name in unsafe if name != "PAYWAVE_JWT_SECRET"]
        problems = [
            f"{name}: production refuses a development value published in PayWave's code or .env.example"
            for name in unsafe
        ]
        for field in dataclasses.fields(self):
            name, value = self.PREFIX + field.name.upper(), getattr(self, field.name)
            if (
                field.metadata["secret"]
                and value
                and name not in self.dev_defaults_in_use()
                and len(value.encode()) < SECRET_MIN_BYTES
            ):
                problems.append(f"{name}: production refuses a secret shorter than {SECRET_MIN_BYTES} bytes")
        if self.demo_checkout:
            problems.append("PAYWAVE_DEMO_CHECKOUT: production refuses the demo checkout (development only)")
        if self.dev_mail_dir:
            problems.append(
                "PAYWAVE_DEV_MAIL_DIR: production refuses the mail catcher's page (development only)"
            )
        if self.webhook_allow_http:
            problems.append(
                "PAYWAVE_WEBHOOK_ALLOW_HTTP: production refuses plain-http webhooks (readable and forgeable)"
            )
        wide = [h for h in self.webhook_allowed_hosts if _too_wide(h)]
        if wide:
            problems.append(
                f"PAYWAVE_WEBHOOK_ALLOWED_HOSTS: production allows a host or a private /24 at most, "
                f"never a metadata address: {wide}"
            )
        if self.database_url.startswith("sqlite:"):
            problems.append(
                "PAYWAVE_DATABASE_URL: production needs PostgreSQL (SQLite is one file on one machine)"
            )
        if not self.broker_url:
            problems.append(
                "PAYWAVE_BROKER_URL: production needs RabbitMQ (the in-process broker loses queued jobs)"
            )
        problems += self._mode_problems()
        for name in ("jwt_issuer", "jwt_audience"):
            if not getattr(self, name):
                problems.append(
                    f"PAYWAVE_{name.upper()}: production requires it (a token of another service is refused)"
                )
        return problems

    def _mode_problems(self) -> list[str]:
        """Production keeps the modes apart: live credentials are live, test ones never reach live PayPal."""
        problems = []
        published = self.dev_defaults_in_use()
        if (
            self.stripe_api_key.startswith(STRIPE_TEST_KEY_PREFIXES)
            and "PAYWAVE_STRIPE_API_KEY" not in published
        ):
            problems.append(
                "PAYWAVE_STRIPE_API_KEY: production needs a live key (sk_live_...), not a test key"
            )
        test = self.for_mode(False)
        if urllib.parse.urlsplit(test.paypal_api_base).hostname in PAYPAL_LIVE_HOSTS:
            problems.append(
                "PAYWAVE_PAYPAL_TEST_API_BASE: production refuses PayPal's live host for test payments"
            )
        if self.paypal_test_client_id == self.paypal_client_id:
            problems.append(
                "PAYWAVE_PAYPAL_TEST_CLIENT_ID: production needs a sandbox app's, not the live one"
            )
        return problems

    def rate_limit_overrides_by_merchant(self) -> dict[str, tuple[int, int]]:
        """``{merchant: (read, write)}`` from ``rate_limit_overrides``.

        Raises:
          ValueError: an entry is not ``merchant:read:write`` with positive whole numbers.
        """
        overrides = {}
        for item in self.rate_limit_overrides:
            merchant, *limits = item.rsplit(":", 2)
            if len(limits) != 2 or not merchant or not all(n.isdigit() and int(n) > 0 for n in limits):
                raise ValueError(f"expected merchant:read:write with positive numbers, got {item!r}")
            overrides[merchant] = (int(limits[0]), int(limits[1]))
        return overrides

    def trusted_networks(self) -> tuple[ipaddress.IPv4Network | ipaddress.IPv6Network, ...]:
        """``trusted_proxies`` as ``ipaddress`` networks.

        Raises:
          ValueError: an entry is not an address or CIDR.
        """
        return tuple(ipaddress.ip_network(cidr, strict=False) for cidr in self.trusted_proxies)

    def jwt_verify_key(self) -> str:
        """The key that verifies merchant tokens, checked against every accepted algorithm.

        Raises:
          ValueError: naming the setting at fault (an unknown algorithm, HS* mixed with a public
            key, an empty secret, no public key or one the algorithms cannot use).
        """
        algorithms = self.jwt_algorithms
        unknown = set(algorithms) - set(JWT_ALGORITHMS)
        if unknown or not algorithms:
            raise ValueError(f"PAYWAVE_JWT_ALGORITHMS: unsupported {sorted(unknown) or 'empty list'}")
        if any(a.startswith("HS") for a in algorithms):
            if self.jwt_public_key or not all(a.startswith("HS") for a in algorithms):
                raise ValueError(
                    "PAYWAVE_JWT_ALGORITHMS: do not mix HS* with a public key (algorithm confusion)"
                )
            name, key = "PAYWAVE_JWT_SECRET", self.jwt_secret
        else:
            name, key = "PAYWAVE_JWT_PUBLIC_KEY", self.jwt_public_key
        if not key:
            raise ValueError(f"{name}: required for {', '.join(algorithms)}")
        for algorithm in algorithms:
            try:
                jwt.get_algorithm_by_name(algorithm).prepare_key(key)
            except (jwt.InvalidKeyError, ValueError, TypeError) as exc:
                raise ValueError(f"{name}: not a key for {algorithm} ({exc})") from None
        return key

    def keyring(self, name: str) -> list[tuple[str, bytes]]:
        """``[(key_id, 32 raw bytes), ...]`` of the key setting ``name`` (e.g. ``vault_public_keys``), the
        first one active.

        Raises:
          ValueError: an entry is not ``kid:base64(32 bytes)``, or two share a key id.
        """
        ring: list[tuple[str, bytes]] = []
        for item in _list(getattr(self, name)):
            kid, sep, encoded = item.partition(":")
            if not sep or not kid:
                raise ValueError("expected kid:base64key")
            try:
                key = base64.b64decode(encoded, validate=True)
            except ValueError:
                raise ValueError(f"key {kid!r} is not base64") from None
            if len(key) != 32:
                raise ValueError(f"key {kid!r} must be 32 bytes, got {len(key)}")
            if kid in dict(ring):
                raise ValueError(f"key id {kid!r} appears twice")
            ring.append((kid, key))
        return ring

    def warn_dev_defaults(self, stream: TextIO | None = None) -> None:
        """Print a loud warning when development secrets are in use."""
        stream = stream or sys.stderr
        names = self.dev_defaults_in_use()
        if names:
            bar = "!" * 78
            stream.write(
                f"{bar}\n!! WARNING: development secrets in use ({', '.join(names)}).\n"
                f"!! Anyone can mint tokens and read cards. Never use this in production.\n{bar}\n"
            )


def _shown(field: dataclasses.Field) -> tuple[str, str]:
    """``(default, meaning)`` of a setting as the README and ``--help`` show them (no secret value)."""
    default = _text(field.default)
    if field.metadata["secret"]:
        default = "(dev value)" if default else ""
    meaning = field.metadata["doc"]
    if field.metadata["low"] is not None:
        meaning += f" ({field.metadata['low']} to {field.metadata['high']})"
    return default, meaning


def settings_table() -> str:
    """Markdown rows for the README's configuration table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in dataclasses.fields(Config):
        default, meaning = _shown(field)
        rows.append(f"| `{Config.PREFIX}{field.name.upper()}` | `{default}` | {meaning} |")
    return "\n".join(rows)


def settings_help(names: Collection[str] | None = None) -> str:
    """The settings named (field names; default: all), one per line, for a command's ``--help``."""
    lines = []
    for field in dataclasses.fields(Config):
        if names is None or field.name in names:
            default, meaning = _shown(field)
            lines.append(f"  {Config.PREFIX}{field.name.upper()}={default}\n      {meaning}")
    return "\n".join(lines)
