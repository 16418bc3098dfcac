"""One typed configuration object, read from ``PAYWAVE_*`` environment variables.

Every value is validated when the object is built; all problems are reported
together, one line each, so a bad deployment fails at start with a clear list.
"""
import base64
import dataclasses
import os
import re
import sys

DEV_SECRET = "paywave-dev-secret-do-not-use-in-production"
_HOST_OR_CIDR = re.compile(r"[A-Za-z0-9.:-]+(/[0-9]{1,3})?")
# Webhook signing secrets of dev databases were sealed under this key (kid "dev") by earlier versions.
DEV_WEBHOOK_SECRET_KEY = "dev:" + base64.b64encode(b"paywave-dev-vault-key-0123456789"[:32]).decode()
# A published X25519 pair (`paywave vault-keygen --key-id dev1`): anyone can open what it seals.
DEV_VAULT_PUBLIC_KEY = "dev1:ISQ6MN4iPaye2yFY39rVUcyE0+Y6YmDi63RzzYWrVgc="
DEV_VAULT_PRIVATE_KEY = "dev1:EBKCtqfxyWjOJvEiRNdyRfoduOWuAdHAdfgwlIT4v3o="
KEYRINGS = ("vault_public_keys", "vault_private_keys", "vault_keys", "webhook_secret_keys")


class ConfigError(ValueError):
    """One or more settings are invalid; ``problems`` lists each."""

    def __init__(self, problems):
        super().__init__("invalid configuration:\n" + "\n".join(f"  - {p}" for p in problems))
        self.problems = problems


def _bool(text):
    lowered = text.strip().lower()
    if lowered in ("1", "true", "yes", "on"):
        return True
    if lowered in ("0", "false", "no", "off", ""):
        return False
    raise ValueError("expected true or false")


def _int(text):
    try:
        return int(text)
    except ValueError:
        raise ValueError("expected a whole number") from None


def _list(text):
    return tuple(item.strip() for item in text.split(",") if item.strip())


def _seconds(text):
    try:
        return tuple(float(item) for item in _list(text))
    except ValueError:
        raise ValueError("expected comma-separated numbers of seconds") from None


def _setting(default, parse=str, doc=""):
    return dataclasses.field(default=default, metadata={"parse": parse, "doc": doc})


@dataclasses.dataclass(frozen=True)
class Config:
    env: str = _setting("development", doc="`development` or `production` (production refuses dev secrets)")
    database_url: str = _setting("sqlite:///paywave.db", doc="peewee URL: `postgresql://user:pass@host/db` or `sqlite:///file.db`")
    redis_url: str = _setting("", doc="Redis for the status cache and shared state; empty: in-process cache")
    broker_url: str = _setting("", doc="RabbitMQ `amqp://` URL; empty: in-process broker (dev only)")
    queue_prefix: str = _setting("", doc="prefix for every queue name (isolates tenants and test runs)")
    cache_prefix: str = _setting("paywave:", doc="prefix for every Redis key")
    quorum_queues: bool = _setting(False, _bool, "declare RabbitMQ quorum queues (HA clusters)")
    jwt_secret: str = _setting(DEV_SECRET, doc="HS256 secret for merchant tokens")
    jwt_public_key: str = _setting("", doc="PEM public key for RS256/ES256 tokens (instead of the secret)")
    jwt_private_key: str = _setting("", doc="PEM private key, only for `paywave token` with RS256/ES256")
    jwt_algorithms: tuple = _setting(("HS256",), _list, "accepted JWT algorithms (HS256, RS256, ES256)")
    jwt_issuer: str = _setting("", doc="required `iss` claim, when set")
    jwt_audience: str = _setting("", doc="required `aud` claim, when set")
    jwt_leeway: int = _setting(30, _int, "seconds of clock skew tolerated on `exp`/`nbf`")
    vault_keys: str = _setting("", doc="legacy AES-256 card keys `kid:base64(32 bytes)`, comma-separated: only read "
                                       "(records sealed before envelope encryption); workers only")
    fingerprint_key: str = _setting(DEV_SECRET, doc="HMAC key for card fingerprints")
    route: tuple = _setting(("stripe", "paypal"), _list, "gateway order tried for a payment")
    stripe_api_base: str = _setting("", doc="Stripe API base URL; empty: start the local sandbox (dev)")
    stripe_api_key: str = _setting("sk_test_paywave_sandbox", doc="Stripe secret key")
    stripe_webhook_secret: str = _setting("", doc="Stripe endpoint signing secret (`whsec_...`)")
    paypal_api_base: str = _setting("", doc="PayPal API base URL; empty: start the local sandbox (dev)")
    paypal_client_id: str = _setting("paywave-sandbox-client", doc="PayPal REST client id")
    paypal_client_secret: str = _setting("paywave-sandbox-secret", doc="PayPal REST client secret")
    paypal_webhook_id: str = _setting("", doc="PayPal webhook id used to verify incoming events")
    retry_max: int = _setting(3, _int, "calls per gateway for retryable errors before falling back")
    retry_min_backoff_ms: int = _setting(500, _int, "first retry delay (doubles each time, with jitter)")
    retry_max_backoff_ms: int = _setting(30_000, _int, "longest retry delay")
    unknown_max_tries: int = _setting(10, _int, "retrieve calls for an unknown outcome before leaving it to the sweeper")
    gateway_connect_timeout: float = _setting(3.05, float, "seconds to connect to a gateway")
    gateway_read_timeout: float = _setting(30.0, float, "seconds to wait for a gateway's answer (then: unknown outcome)")
    circuit_error_rate: float = _setting(0.5, float, "error rate over the window that opens a gateway's circuit")
    circuit_window_seconds: int = _setting(30, _int, "window for the circuit breaker's error rate")
    circuit_min_calls: int = _setting(10, _int, "calls in the window before the circuit may open")
    circuit_open_seconds: int = _setting(30, _int, "how long an open circuit stays open before half-opening")
    sweep_interval_seconds: int = _setting(15, _int, "how often the sweeper runs (ops pool)")
    stuck_after_seconds: int = _setting(300, _int, "age after which the sweeper drives a payment or job again")
    webhook_allow_http: bool = _setting(False, _bool, "accept plain-http webhook URLs (development only)")
    webhook_allowed_hosts: tuple = _setting((), _list, "host names and CIDRs webhook URLs may reach although not public "
                                                       "(e.g. `127.0.0.1/32,localhost`)")
    webhook_retry_schedule: tuple = _setting((5, 300, 1800, 7200, 18000, 36000, 50400, 72000, 86400), _seconds,
                                             "seconds from a failed webhook attempt to the next (±10% jitter), one retry "
                                             "per entry after the immediate first attempt; then the delivery has failed")
    webhook_disable_after_hours: int = _setting(72, _int, "disable an endpoint whose deliveries have failed "
                                                          "continuously for longer than this")
    webhook_connect_timeout: float = _setting(3.0, float, "seconds to connect to a merchant's webhook endpoint")
    webhook_read_timeout: float = _setting(10.0, float, "seconds to wait for a webhook endpoint's answer")
    web_workers: int = _setting(2, _int, "gunicorn worker processes for the ingress")
    web_threads: int = _setting(8, _int, "threads per ingress worker")
    worker_processes: int = _setting(1, _int, "Dramatiq processes per worker pool")
    worker_threads: int = _setting(8, _int, "Dramatiq threads per process (also the prefetch)")
    max_body_bytes: int = _setting(64 * 1024, _int, "largest accepted request body")
    idempotency_ttl_hours: int = _setting(24, _int, "how long Idempotency-Key records are kept")
    cache_ttl_seconds: int = _setting(86400, _int, "lifetime of a cached payment")
    log_level: str = _setting("info", doc="debug, info, warning or error")
    metrics_port: int = _setting(9191, _int, "worker Prometheus port")
    heartbeat_file: str = _setting("/tmp/paywave/heartbeat", doc="file a worker touches while alive")
    vault_public_keys: str = _setting(DEV_VAULT_PUBLIC_KEY, doc="X25519 public keys `kid:base64(32 bytes)` cards are "
                                                                "sealed to, comma-separated; the first seals (ingress)")
    vault_private_keys: str = _setting(DEV_VAULT_PRIVATE_KEY, doc="X25519 private keys `kid:base64(32 bytes)` that "
                                                                  "open cards, comma-separated (charging workers only)")
    webhook_secret_keys: str = _setting(DEV_WEBHOOK_SECRET_KEY,
                                        doc="AES-256 keys `kid:base64(32 bytes)` for webhook signing secrets, "
                                            "comma-separated; the first encrypts (ingress, webhooks pool)")
    ingress_metrics_port: int = _setting(9190, _int, "ingress Prometheus port (`/metrics` is not on the API port)")

    PREFIX = "PAYWAVE_"

    @classmethod
    def from_env(cls, environ=None, **overrides):
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
        def text(value):
            if isinstance(value, tuple):
                return ",".join(map(str, value))
            return str(value).lower() if isinstance(value, bool) else str(value)
        return {self.PREFIX + f.name.upper(): text(getattr(self, f.name)) for f in dataclasses.fields(self)}

    @property
    def production(self):
        return self.env == "production"

    def dev_defaults_in_use(self):
        """Names of secrets still at their built-in development value."""
        return [name for name, dev in (("PAYWAVE_JWT_SECRET", DEV_SECRET),
                                       ("PAYWAVE_VAULT_PUBLIC_KEYS", DEV_VAULT_PUBLIC_KEY),
                                       ("PAYWAVE_VAULT_PRIVATE_KEYS", DEV_VAULT_PRIVATE_KEY),
                                       ("PAYWAVE_WEBHOOK_SECRET_KEYS", DEV_WEBHOOK_SECRET_KEY),
                                       ("PAYWAVE_FINGERPRINT_KEY", DEV_SECRET))
                if getattr(self, name[len(self.PREFIX):].lower()) == dev]

    def problems(self):
        """One line per invalid setting (empty when all are valid)."""
        problems = []
        if self.env not in ("development", "production"):
            problems.append(f"PAYWAVE_ENV={self.env!r}: expected development or production")
        if not self.database_url.startswith(("postgres://", "postgresql://", "sqlite://")):
            problems.append("PAYWAVE_DATABASE_URL: expected a postgresql:// or sqlite:// URL")
        if self.redis_url and not self.redis_url.startswith(("redis://", "rediss://", "unix://")):
            problems.append("PAYWAVE_REDIS_URL: expected a redis:// URL")
        if self.broker_url and not self.broker_url.startswith(("amqp://", "amqps://")):
            problems.append("PAYWAVE_BROKER_URL: expected an amqp:// URL")
        unknown = set(self.jwt_algorithms) - {"HS256", "HS384", "HS512", "RS256", "ES256"}
        if unknown or not self.jwt_algorithms:
            problems.append(f"PAYWAVE_JWT_ALGORITHMS: unsupported {sorted(unknown) or 'empty list'}")
        if any(a.startswith("HS") for a in self.jwt_algorithms) and self.jwt_public_key:
            problems.append("PAYWAVE_JWT_ALGORITHMS: do not mix HS* with a public key (algorithm confusion)")
        if not any(a.startswith("HS") for a in self.jwt_algorithms) and not self.jwt_public_key:
            problems.append("PAYWAVE_JWT_PUBLIC_KEY: required for RS256/ES256")
        unknown_gateways = set(self.route) - {"stripe", "paypal"}
        if unknown_gateways or not self.route:
            problems.append(f"PAYWAVE_ROUTE: unknown gateways {sorted(unknown_gateways) or 'empty route'}")
        for name in ("web_workers", "web_threads", "worker_processes", "worker_threads",
                     "max_body_bytes", "idempotency_ttl_hours", "cache_ttl_seconds", "webhook_disable_after_hours"):
            if getattr(self, name) < 1:
                problems.append(f"PAYWAVE_{name.upper()}: must be at least 1")
        for name in ("webhook_connect_timeout", "webhook_read_timeout"):
            if getattr(self, name) <= 0:
                problems.append(f"PAYWAVE_{name.upper()}: must be positive")
        # Dramatiq delays a message by at most 7 days.
        if not all(0 <= s <= 7 * 86400 for s in self.webhook_retry_schedule):
            problems.append("PAYWAVE_WEBHOOK_RETRY_SCHEDULE: every delay must be from 0 to 604800 seconds")
        bad_hosts = [h for h in self.webhook_allowed_hosts if not _HOST_OR_CIDR.fullmatch(h)]
        if bad_hosts:
            problems.append(f"PAYWAVE_WEBHOOK_ALLOWED_HOSTS: not a host name or CIDR: {bad_hosts}")
        if self.log_level not in ("debug", "info", "warning", "error"):
            problems.append("PAYWAVE_LOG_LEVEL: expected debug, info, warning or error")
        key_ids = {}
        for name in KEYRINGS:
            try:
                key_ids[name] = {kid for kid, _ in self.keyring(name)}
            except ValueError as exc:
                problems.append(f"PAYWAVE_{name.upper()}: {exc}")
        # A legacy key id is looked up first: it must not shadow a key pair's.
        shared_ids = key_ids.get("vault_keys", set()) & (key_ids.get("vault_public_keys", set())
                                                         | key_ids.get("vault_private_keys", set()))
        if shared_ids:
            problems.append(f"PAYWAVE_VAULT_KEYS: key ids {sorted(shared_ids)} also name vault key pairs")
        if self.production and self.dev_defaults_in_use():
            problems.append("production refuses the development secrets in "
                            + ", ".join(self.dev_defaults_in_use()))
        return problems

    def keyring(self, name):
        """``[(key_id, 32 raw bytes), ...]`` of the key setting ``name`` (e.g. ``vault_public_keys``), the first one active.

        Raises:
          ValueError: an entry is not ``kid:base64(32 bytes)``, or two share a key id.
        """
        ring = []
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

    def warn_dev_defaults(self, stream=None):
        """Print a loud warning when development secrets are in use."""
        stream = stream or sys.stderr
        names = self.dev_defaults_in_use()
        if names:
            bar = "!" * 78
            stream.write(f"{bar}\n!! WARNING: development secrets in use ({', '.join(names)}).\n"
                         f"!! Anyone can mint tokens and read cards. Never use this in production.\n{bar}\n")


def settings_table():
    """Markdown rows for the README's configuration table."""
    rows = ["| variable | default | meaning |", "|---|---|---|"]
    for field in dataclasses.fields(Config):
        default = field.default
        if isinstance(default, tuple):
            default = ",".join(map(str, default))
        elif isinstance(default, bool):
            default = str(default).lower()
        if field.name in ("jwt_secret", "fingerprint_key", *KEYRINGS) or "secret" in field.name:
            default = "(dev value)" if default else ""
        rows.append(f"| `PAYWAVE_{field.name.upper()}` | `{default}` | {field.metadata['doc']} |")
    return "\n".join(rows)
