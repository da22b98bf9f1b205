"""Settings: read once from the environment (and CLI flags), validated, immutable.

Every knob paygate has lives here, with its environment name and default. A bad value stops
start-up with a message naming the variable; secrets (database and Redis passwords) print as
``****``. The daemon and the worker read their environment only here; the client side
(``paygate.client`` credentials, ``paygate tui --web`` handing them to its console processes)
has its own few variables.
"""

from __future__ import annotations

import dataclasses
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
    }
    for env_name, (attr, conv) in simple.items():
        if env.get(env_name):
            values[attr] = conv(env[env_name])

    ints = {
        "PAYGATE_API_PORT": ("api_port", 1, 65535),
        "PORT": ("api_port", 1, 65535),
        "PAYGATE_CHECKOUT_PORT": ("checkout_port", 1, 65535),
        "PAYGATE_API_WORKERS": ("api_workers", 1, 64),
        "PAYGATE_REQUEST_THREADS": ("request_threads", 1, 256),
        "PAYGATE_WORKER_THREADS": ("worker_threads", 1, 256),
        "TEST_PROCESSING_DELAY": ("test_processing_delay_ms", 0, 600_000),
        "TEST_REFUND_DELAY": ("test_refund_delay_ms", 0, 600_000),
        "PAYGATE_MAX_BODY_BYTES": ("max_body_bytes", 1024, 100 * 1024 * 1024),
        "PAYGATE_RATE_LIMIT_PER_MINUTE": ("rate_limit_per_minute", 0, None),
        "PAYGATE_GROUP_COMMIT_WINDOW_MS": ("group_commit_window_ms", 0, 50),
        "PAYGATE_GROUP_COMMIT_MAX": ("group_commit_max", 1, 1000),
        "PAYGATE_SETTLE_BATCH": ("settle_batch", 1, 5000),
        "PAYGATE_DELIVERY_THREADS": ("delivery_threads", 1, 512),
        "PAYGATE_DELIVERY_PER_DESTINATION": ("delivery_per_destination", 1, 512),
    }
    for env_name, (attr, lo, hi) in ints.items():
        if env.get(env_name, "") != "" and attr not in values:
            values[attr] = _int(env_name, env[env_name], lo, hi)

    bools = {
        "TEST_MODE": "test_mode",
        "TEST_PAYMENT_SUCCESS": "test_payment_success",
        "WEBHOOK_RETRY_INTERVALS_TEST": "webhook_retry_intervals_test",
        "PAYGATE_SEED_TEST_MERCHANT": "seed_test_merchant",
    }
    for env_name, attr in bools.items():
        if env_name in env:
            values[attr] = _bool(env_name, env[env_name])
    if env.get("PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS", "") != "":
        values["allow_private_webhook_urls"] = _bool(
            "PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS", env["PAYGATE_ALLOW_PRIVATE_WEBHOOK_URLS"]
        )
    if env.get("PAYGATE_WEBHOOK_DISABLE_AFTER", "") != "":
        try:
            values["webhook_disable_after_s"] = float(env["PAYGATE_WEBHOOK_DISABLE_AFTER"])
        except ValueError:
            raise ConfigError("PAYGATE_WEBHOOK_DISABLE_AFTER must be a number of seconds") from None
        if values["webhook_disable_after_s"] <= 0:
            raise ConfigError("PAYGATE_WEBHOOK_DISABLE_AFTER must be more than 0 seconds")
    if env.get("PAYGATE_SWEEP_INTERVAL", "") != "":
        try:
            values["sweep_interval_s"] = float(env["PAYGATE_SWEEP_INTERVAL"])
        except ValueError:
            raise ConfigError("PAYGATE_SWEEP_INTERVAL must be a number of seconds") from None

    values.update({k: v for k, v in overrides.items() if v is not None})
    if "seed_test_merchant" not in values:  # its public credentials only where nobody else can reach them
        values["seed_test_merchant"] = values.get("database_url") is None
    settings = Settings(**values)
    if settings.api_port == settings.checkout_port:
        raise ConfigError("the API port and the checkout port must differ")
    if settings.public_api_url and urlsplit(settings.public_api_url).scheme not in ("http", "https"):
        raise ConfigError("PAYGATE_PUBLIC_API_URL must be an http:// or https:// URL")
    if settings.log_level not in ("DEBUG", "INFO", "WARNING", "ERROR"):
        raise ConfigError("PAYGATE_LOG_LEVEL must be DEBUG, INFO, WARNING or ERROR")
    if settings.log_format not in ("auto", "json", "text"):
        raise ConfigError("PAYGATE_LOG_FORMAT must be auto, json or text")
    return settings


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
