import dataclasses
from pathlib import Path

import pytest

from paygate.config import BOUNDS, ConfigError, Settings, load, redact_url


def test_defaults_are_the_embedded_backend():
    s = load({})
    assert s.embedded and s.redis_url is None
    assert (s.api_port, s.checkout_port) == (8000, 3001)
    assert s.private_webhooks_allowed


def test_reads_seed_family_names():
    s = load({"DATABASE_URL": "postgresql://u:pw@db/x", "REDIS_URL": "redis://r:6379/0", "TEST_MODE": "true", "TEST_PROCESSING_DELAY": "250", "TEST_PAYMENT_SUCCESS": "false"})
    assert not s.embedded and s.test_mode and s.test_processing_delay_ms == 250 and s.test_payment_success is False
    assert not s.private_webhooks_allowed


def test_paygate_names_win():
    s = load({"DATABASE_URL": "postgresql://a/x", "PAYGATE_DATABASE_URL": "postgresql://b/y"})
    assert s.database_url == "postgresql://b/y"


@pytest.mark.parametrize(
    "env,message",
    [
        ({"TEST_MODE": "maybe"}, "TEST_MODE"),
        ({"PAYGATE_API_PORT": "http"}, "PAYGATE_API_PORT"),
        ({"PAYGATE_API_PORT": "70000"}, "PAYGATE_API_PORT"),
        ({"DATABASE_URL": "mysql://x/y"}, "DATABASE_URL"),
        ({"REDIS_URL": "http://x"}, "REDIS_URL"),
        ({"TEST_PROCESSING_DELAY": "-1"}, "TEST_PROCESSING_DELAY"),
        ({"PAYGATE_CHECKOUT_PORT": "8000"}, "checkout port must differ"),
        ({"PAYGATE_WEBHOOK_DISABLE_AFTER": "inf"}, "PAYGATE_WEBHOOK_DISABLE_AFTER"),
        ({"PAYGATE_WEBHOOK_DISABLE_AFTER": "nan"}, "PAYGATE_WEBHOOK_DISABLE_AFTER"),
        ({"PAYGATE_WEBHOOK_DISABLE_AFTER": "1e12"}, "PAYGATE_WEBHOOK_DISABLE_AFTER"),
        ({"PAYGATE_SWEEP_INTERVAL": "0"}, "PAYGATE_SWEEP_INTERVAL"),
        ({"PAYGATE_SWEEP_INTERVAL": "-inf"}, "PAYGATE_SWEEP_INTERVAL"),
        ({"PAYGATE_SWEEP_INTERVAL": "nan"}, "PAYGATE_SWEEP_INTERVAL"),
        ({"PAYGATE_RATE_LIMIT_PER_MINUTE": "99999999999999999999"}, "PAYGATE_RATE_LIMIT_PER_MINUTE"),
    ],
)
def test_bad_values_stop_with_a_message_naming_the_variable(env, message):
    with pytest.raises(ConfigError, match=message):
        load(env)


def test_every_numeric_setting_is_bounded_and_finite_whatever_sets_it():
    numeric = {f.name for f in dataclasses.fields(Settings) if f.type in ("int", "float", "int | None")}
    assert numeric == set(BOUNDS)
    for attr, (name, lo, hi) in BOUNDS.items():
        for bad in (lo - 1, hi + 1, float("inf"), float("nan")):
            with pytest.raises(ConfigError, match=name):
                load({}, **{attr: bad})
        assert getattr(load({}, **{attr: hi}), attr) == hi


def test_secrets_never_print():
    s = load({"DATABASE_URL": "postgresql://paygate:hunter2@db:5432/paygate", "REDIS_URL": "redis://:s3cret@r:6379/0"})
    assert "hunter2" not in repr(s) and "s3cret" not in repr(s)
    assert "****" in repr(s)
    assert redact_url("postgresql://u:pw@h/d") == "postgresql://u:****@h/d"


def test_cli_overrides_beat_environment():
    s = load({"PAYGATE_API_PORT": "9000"}, api_port=9200, data_dir=Path("/tmp/x"))
    assert s.api_port == 9200 and s.data_dir == Path("/tmp/x")


def test_bad_config_stops_the_daemon_with_a_clear_message(tmp_path):
    import os
    import subprocess
    import sys

    env = {k: v for k, v in os.environ.items() if not k.startswith(("PAYGATE_", "TEST_", "DATABASE_URL", "REDIS_URL"))}
    env["TEST_PROCESSING_DELAY"] = "soon"
    r = subprocess.run([sys.executable, "-m", "paygate", "serve"], env=env, cwd=tmp_path, capture_output=True, text=True, timeout=60)
    assert r.returncode == 2
    assert "TEST_PROCESSING_DELAY must be a whole number" in r.stderr
