"""Settings: read once from the environment (and CLI flags), validated, immutable.

Every knob paygate has lives here, with its environment name and default. A bad value stops
start-up with a message naming the variable; secrets (database and Redis passwords) print as
``****``. The daemon and the worker read their environment only here; the client side
(``paygate.client`` credentials, ``paygate tui --web`` handing them to its console processes)
has its own few variables.
"""

from __future__ import annotations

import dataclasses
import math
import os
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


class ConfigError(ValueError):
    """A setting has a value paygate cannot run with."""


def redact_url(url: str | None) -> str | None:
    """Hide the password of a connection URL: postgresql://u:****@host/db."""
    if not url:
        return url
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":****@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


BANK_FILE_FAULTS = ("drop_row", "change_amount", "extra_row", "late")
_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off", ""}


def _bool(name: str, raw: str) -> bool:
    value = raw.strip().lower()
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ConfigError(f"{name} must be true or false, got {raw!r}")


def _int(name: str, raw: str, minimum: int = 0, maximum: int | None = None) -> int:
    try:
        value = int(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a whole number, got {raw!r}") from None
    if value < minimum or (maximum is not None and value > maximum):
        bound = f"between {minimum} and {maximum}" if maximum is not None else f"at least {minimum}"
        raise ConfigError(f"{name} must be {bound}, got {value}")
    return value


def _seconds(name: str, raw: str, minimum: float, maximum: float) -> float:
    try:
        value = float(raw.strip())
    except ValueError:
        raise ConfigError(f"{name} must be a number of seconds, got {raw!r}") from None
    if not math.isfinite(value) or not minimum <= value <= maximum:
        raise ConfigError(f"{name} must be between {minimum:.10g} and {maximum:.10g} seconds, got {raw.strip()!r}")
    return value


# Every numeric setting: the variable that sets it (None: only a CLI flag or code), and its bounds. A value outside them (or not
# finite: inf and nan parse as floats) stops start-up, whether it came from the environment or a
# CLI flag: a due loop with an infinite span or a sweeper with a zero interval never recovers.
BOUNDS: dict[str, tuple[str | None, float, float]] = {
    "api_port": ("PAYGATE_API_PORT", 1, 65535),
    "checkout_port": ("PAYGATE_CHECKOUT_PORT", 1, 65535),
    "api_workers": ("PAYGATE_API_WORKERS", 1, 64),
    "request_threads": ("PAYGATE_REQUEST_THREADS", 1, 256),
    "worker_threads": ("PAYGATE_WORKER_THREADS", 1, 256),
    "test_processing_delay_ms": ("TEST_PROCESSING_DELAY", 0, 600_000),
    "test_refund_delay_ms": ("TEST_REFUND_DELAY", 0, 600_000),
    "webhook_timeout_s": (None, 0.1, 60),
    "webhook_disable_after_s": ("PAYGATE_WEBHOOK_DISABLE_AFTER", 1, 365 * 86400),
    "max_body_bytes": ("PAYGATE_MAX_BODY_BYTES", 1024, 100 * 1024 * 1024),
    "rate_limit_per_minute": ("PAYGATE_RATE_LIMIT_PER_MINUTE", 0, 1_000_000),
    "sweep_interval_s": ("PAYGATE_SWEEP_INTERVAL", 0.1, 3600),
    "group_commit_window_ms": ("PAYGATE_GROUP_COMMIT_WINDOW_MS", 0, 50),
    "group_commit_max": ("PAYGATE_GROUP_COMMIT_MAX", 1, 1000),
    "settle_batch": ("PAYGATE_SETTLE_BATCH", 1, 5000),
    "delivery_threads": ("PAYGATE_DELIVERY_THREADS", 1, 512),
    "delivery_per_destination": ("PAYGATE_DELIVERY_PER_DESTINATION", 1, 512),
    "metrics_port": ("PAYGATE_METRICS_PORT", 0, 65535),
    "commit_queue_max": ("PAYGATE_COMMIT_QUEUE_MAX", 1, 1_000_000),
    "public_attempts_per_order": ("PAYGATE_PUBLIC_ATTEMPTS_PER_ORDER", 0, 1_000_000),
    "public_attempts_per_client": ("PAYGATE_PUBLIC_ATTEMPTS_PER_CLIENT", 0, 1_000_000),
    "fee_upi_bps": ("PAYGATE_FEE_UPI_BPS", 0, 10_000),
    "fee_upi_fixed": ("PAYGATE_FEE_UPI_FIXED", 0, 10**12),
    "fee_card_bps": ("PAYGATE_FEE_CARD_BPS", 0, 10_000),
    "fee_card_fixed": ("PAYGATE_FEE_CARD_FIXED", 0, 10**12),
    "available_after_s": ("PAYGATE_AVAILABLE_AFTER", 0, 90 * 86400),  # None (unset): T+2 days, 2 s in TEST_MODE
    "settlement_interval_s": ("PAYGATE_SETTLEMENT_INTERVAL", 1, 30 * 86400),
}
ALIASES = {"api_port": ("PORT",)}  # read after the PAYGATE_ name


def _check_bounds(settings: "Settings") -> None:
    for attr, (name, lo, hi) in BOUNDS.items():
        name = name or attr
        value = getattr(settings, attr)
        if value is None and getattr(Settings, attr) is None:
            continue  # an optional setting left unset
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value) or not lo <= value <= hi:
            raise ConfigError(f"{name} must be a finite number between {lo:.10g} and {hi:.10g}, got {value!r}")


@dataclass(frozen=True)
class Settings:
    """The one configuration object. Build it with :func:`load`."""

    database_url: str | None = None  # None: the embedded SQLite file in data_dir
    redis_url: str | None = None  # None: huey on SQLite, consumer inside `paygate serve`
    queue_name: str = "paygate"  # huey's name: deployments sharing one Redis need distinct names
    data_dir: Path = Path(".paygate")
    host: str = "0.0.0.0"
    api_port: int = 8000
    checkout_port: int = 3001
    public_api_url: str | None = None  # the API origin the checkout page calls; None: request host + api_port
    api_workers: int = 1  # Sanic processes
    request_threads: int = 16  # per API process: the pool that runs sync units of work
    worker_threads: int = 8  # huey consumer threads per worker process
    test_mode: bool = False
    test_processing_delay_ms: int = 1000
    test_payment_success: bool = True
    test_refund_delay_ms: int = 1000
    webhook_retry_intervals_test: bool = False
    webhook_timeout_s: float = 5.0
    webhook_disable_after_s: float = 3 * 86400.0  # a webhook endpoint failing every attempt this long is disabled
    allow_private_webhook_urls: bool | None = None  # None: allowed only on the embedded default
    seed_test_merchant: bool = True  # unset: only on the embedded default (on a database URL when asked)
    max_body_bytes: int = 64 * 1024
    rate_limit_per_minute: int = 0  # per merchant; 0 turns it off
    sweep_interval_s: float = 2.0
    group_commit_window_ms: int = 2  # how long a create waits for others to share its commit
    group_commit_max: int = 128  # most creates in one commit
    settle_batch: int = 256  # most payments (refunds, deliveries) a worker claims at once
    delivery_threads: int = 32  # concurrent webhook sends per worker process
    delivery_per_destination: int = 8  # in-flight sends to one merchant endpoint, per worker process
    log_level: str = "INFO"
    metrics_host: str = "127.0.0.1"  # /metrics listens here, never on the merchant API port
    metrics_port: int = 9100  # 0: no metrics listener
    commit_queue_max: int = 4096  # creates waiting for a commit, per API process; more get 503
    public_attempts_per_order: int = 10  # POST /payments/public per order per minute; 0: no limit
    public_attempts_per_client: int = 60  # … per client address per minute; 0: no limit
    # Fees (ledger.py): basis points of the gross plus fixed minor units, per method; a merchant's
    # own price (``paygate merchants pricing``) overrides these.
    fee_upi_bps: int = 100
    fee_upi_fixed: int = 0
    fee_card_bps: int = 200
    fee_card_fixed: int = 0
    available_after_s: int | None = None  # None: T+2 days, or 2 seconds in TEST_MODE
    settlement_interval_s: int = 86400  # how often the due loop runs a settlement (first: one interval after start)
    test_settlement_success: bool = True  # TEST_MODE: the simulated bank pays settlements (false: returns them)
    bank_file_faults: tuple = ()  # the simulated bank's settlement files: drop_row, change_amount, extra_row, late

    @property
    def funds_available_after_s(self) -> int:
        """How long a payment's money stays pending before it can be settled."""
        if self.available_after_s is not None:
            return self.available_after_s
        return 2 if self.test_mode else 2 * 86400
    log_format: str = "auto"  # auto: readable text on a terminal, JSON lines otherwise; or json, text

    @property
    def embedded(self) -> bool:
        """True when running on the no-configuration default (SQLite file, in-process worker)."""
        return self.database_url is None

    @property
    def sqlite_path(self) -> Path:
        return self.data_dir / "paygate.db"

    @property
    def queue_path(self) -> Path:
        return self.data_dir / "queue.db"

    @property
    def private_webhooks_allowed(self) -> bool:
        if self.allow_private_webhook_urls is None:
            return self.embedded
        return self.allow_private_webhook_urls

    def replace(self, **changes) -> "Settings":
        return dataclasses.replace(self, **changes)

    def describe(self) -> dict:
        """What an operator may see: every setting, secrets redacted."""
        out = {}
        for f in dataclasses.fields(self):
            if f.name == "extra":
                continue
            value = getattr(self, f.name)
            if f.name in ("database_url", "redis_url"):
                value = redact_url(value)
            out[f.name] = str(value) if isinstance(value, Path) else value
        return out

    def __repr__(self) -> str:  # never leak a password through a repr in a log line
        inner = ", ".join(f"{k}={v!r}" for k, v in self.describe().items())
        return f"Settings({inner})"


def _first(env, *names):
    for name in names:
        if name in env and env[name] != "":
            return name, env[name]
    return None, None


def load(env: dict | None = None, **overrides) -> Settings:
    """Build Settings from an environment mapping (default ``os.environ``) and CLI overrides.

    Overrides that are None are ignored, so CLI flags can pass every option through.
    """
    env = os.environ if env is None else env
    values: dict = {}

    name, raw = _first(env, "PAYGATE_DATABASE_URL", "DATABASE_URL")
    if raw:
        scheme = urlsplit(raw).scheme.split("+")[0]
        if scheme not in ("postgres", "postgresql", "sqlite"):
            raise ConfigError(f"{name} must be a postgresql:// or sqlite:// URL, got scheme {scheme!r}")
        values["database_url"] = raw
    name, raw = _first(env, "PAYGATE_REDIS_URL", "REDIS_URL")
    if raw:
        if urlsplit(raw).scheme not in ("redis", "rediss", "unix"):
            raise ConfigError(f"{name} must be a redis:// URL")
        values["redis_url"] = raw

    simple = {
        "PAYGATE_DATA_DIR": ("data_dir", Path),
        "PAYGATE_HOST": ("host", str),
        "PAYGATE_PUBLIC_API_URL": ("public_api_url", lambda v: v.rstrip("/")),
        "PAYGATE_LOG_LEVEL": ("log_level", lambda v: v.upper()),
        "PAYGATE_LOG_FORMAT": ("log_format", lambda v: v.lower()),
        "PAYGATE_QUEUE_NAME": ("queue_name", str),
        "PAYGATE_METRICS_HOST": ("metrics_host", str),
    }
    for env_name, (attr, conv) in simple.items():
        if env.get(env_name):
            values[attr] = conv(env[env_name])

    for attr, (env_name, lo, hi) in BOUNDS.items():
        name, raw = _first(env, *filter(None, (env_name, *ALIASES.get(attr, ()))))
        if raw is not None:
            values[attr] = _seconds(name, raw, lo, hi) if isinstance(getattr(Settings, attr), float) else _int(name, raw, lo, hi)

    bools = {
        "TEST_MODE": "test_mode",
        "TEST_PAYMENT_SUCCESS": "test_payment_success",
        "WEBHOOK_RETRY_INTERVALS_TEST": "webhook_retry_intervals_test",
        "PAYGATE_SEED_TEST_MERCHANT": "seed_test_merchant",
        "TEST_SETTLEMENT_SUCCESS": "test_settlement_success",
    }
    for env_name, attr in bools.items():
        if env_name in env:
            values[attr] = _bool(env_name, env[env_name])
    if env.get("PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS", "") != "":
        values["allow_private_webhook_urls"] = _bool(
            "PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS", env["PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS"]
        )
    if env.get("TEST_BANK_FILE_FAULTS", "") != "":
        faults = tuple(f.strip() for f in env["TEST_BANK_FILE_FAULTS"].split(",") if f.strip())
        unknown = sorted(set(faults) - set(BANK_FILE_FAULTS))
        if unknown:
            raise ConfigError(f"TEST_BANK_FILE_FAULTS: unknown fault(s) {', '.join(unknown)}; use {', '.join(BANK_FILE_FAULTS)}")
        values["bank_file_faults"] = faults

    values.update({k: v for k, v in overrides.items() if v is not None})
    if "seed_test_merchant" not in values:  # its public credentials only where nobody else can reach them
        values["seed_test_merchant"] = values.get("database_url") is None
    if "host" not in values:
        values["host"] = default_host("database_url" not in values, values.get("seed_test_merchant", True))
    settings = Settings(**values)
    _check_bounds(settings)
    if settings.api_port == settings.checkout_port:
        raise ConfigError("the API port and the checkout port must differ")
    if settings.metrics_port in (settings.api_port, settings.checkout_port):
        raise ConfigError("PAYGATE_METRICS_PORT must differ from the API and checkout ports (0 turns the metrics listener off)")
    if settings.public_api_url and urlsplit(settings.public_api_url).scheme not in ("http", "https"):
        raise ConfigError("PAYGATE_PUBLIC_API_URL must be an http:// or https:// URL")
    if settings.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("PAYGATE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    if settings.log_format not in ("auto", "json", "text"):
        raise ConfigError("PAYGATE_LOG_FORMAT must be auto, json or text")
    return settings


LOOPBACK = "127.0.0.1"


def default_host(embedded: bool, seeded: bool) -> str:
    """The quick start (embedded, with the seeded test merchant whose credentials are public)
    listens on loopback only; anything else on every interface, as a server behind a load
    balancer must. ``--host`` / ``PAYGATE_HOST`` always win."""
    return LOOPBACK if embedded and seeded else "0.0.0.0"


def is_loopback_host(host: str) -> bool:
    import ipaddress

    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


def exposure_warning(settings: Settings) -> str | None:
    """What to tell the operator when the seeded test merchant answers beyond this machine."""
    if not settings.seed_test_merchant or is_loopback_host(settings.host):
        return None
    return (
        f"the seeded test merchant (key_test_abc123, its secret is in the README) is reachable on {settings.host}: "
        "anyone who can reach this port can act as it; set PAYGATE_SEED_TEST_MERCHANT=false or bind 127.0.0.1"
    )


_current: Settings | None = None


def configure(settings: Settings) -> Settings:
    """Install the process-wide settings (the CLI does this once, before anything else starts)."""
    global _current
    _current = settings
    return settings


def current() -> Settings:
    """The process-wide settings, loaded from the environment on first use."""
    global _current
    if _current is None:
        _current = load()
    return _current
