"""The production ``docker-compose.yml`` exposes nothing it should not.

No seeded test merchant (its credentials are public), PostgreSQL and Redis reachable only on an
internal network, every secret from ``.env`` (compose refuses to start without them), and a
first-run step that prints the first merchant's credentials.

Where ``docker compose`` exists, the file is checked as compose resolves it (``docker compose
config``, with a throwaway ``.env``); elsewhere it is parsed here, and the ``${VAR}`` forms
compose would interpolate are resolved the same way.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
COMPOSE = ROOT / "docker-compose.yml"
SECRETS = {"POSTGRES_PASSWORD": "pg-" + "a1" * 12, "REDIS_PASSWORD": "rd-" + "b2" * 12}
VARIABLE = re.compile(r"\$\{(\w+)(?:(:?[?-])([^}]*))?\}")


def _compose_cli() -> bool:
    try:
        return subprocess.run(["docker", "compose", "version"], capture_output=True, timeout=30).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


HAS_COMPOSE = _compose_cli()


class MissingVariable(Exception):
    pass


def interpolate(value, env: dict):
    """Compose's ``${VAR}``, ``${VAR:-default}`` and ``${VAR:?message}`` over a parsed file."""
    if isinstance(value, dict):
        return {k: interpolate(v, env) for k, v in value.items()}
    if isinstance(value, list):
        return [interpolate(v, env) for v in value]
    if not isinstance(value, str):
        return value

    def one(match):
        name, op, arg = match.group(1), match.group(2), match.group(3)
        if env.get(name):
            return env[name]
        if op in (":?", "?"):
            raise MissingVariable(f"{name}: {arg}")
        return arg if op in (":-", "-") else ""

    return VARIABLE.sub(one, value)


def resolved(env: dict, tmp_path: Path) -> dict:
    """The compose model with every profile's services, as compose sees it with ``env`` in .env."""
    if HAS_COMPOSE:
        env_file = tmp_path / ".env"
        env_file.write_text("".join(f"{k}={v}\n" for k, v in env.items()))
        cmd = ["docker", "compose", "-f", str(COMPOSE), "--env-file", str(env_file), "--profile", "setup", "--profile", "console", "config", "--format", "json"]
        clean = {k: v for k, v in os.environ.items() if k not in SECRETS and not k.startswith(("PAYGATE_", "COMPOSE_"))}
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=60, env=clean)
        if done.returncode != 0:
            raise MissingVariable(done.stderr)
        return json.loads(done.stdout)
    return interpolate(yaml.safe_load(COMPOSE.read_text()), env)


def environment(service: dict) -> dict:
    env = service.get("environment") or {}
    if isinstance(env, list):
        env = dict(item.split("=", 1) for item in env)
    return {k: "" if v is None else str(v) for k, v in env.items()}


def published(service: dict) -> list[tuple[str, str]]:
    """(host address, port) of every published port; short and long syntax alike."""
    out = []
    for port in service.get("ports") or []:
        if isinstance(port, dict):
            out.append((port.get("host_ip") or "0.0.0.0", str(port.get("published"))))
        else:
            parts = str(port).split(":")
            out.append(("0.0.0.0", parts[0]) if len(parts) == 2 else (parts[0], parts[1]))
    return out


def networks_of(service: dict) -> set[str]:
    nets = service.get("networks") or {"default": None}
    return set(nets)


@pytest.fixture
def model(tmp_path):
    return resolved(SECRETS, tmp_path)


def test_no_seeded_test_merchant_anywhere(model):
    text = COMPOSE.read_text()
    assert "key_test_abc123" not in text and "secret_test_xyz789" not in text
    for name in ("api", "worker", "first-merchant"):
        assert environment(model["services"][name])["PAYGATE_SEED_TEST_MERCHANT"] == "false", name
        assert environment(model["services"][name])["TEST_MODE"] == "false", name


def test_database_and_redis_only_on_an_internal_network(model):
    services = model["services"]
    for name in ("postgres", "redis"):
        assert published(services[name]) == [], f"{name} publishes a port"
        assert networks_of(services[name]) == {"backend"}, name
    assert model["networks"]["backend"]["internal"] is True
    reachable = {name for name, s in services.items() if "backend" in networks_of(s)}
    assert reachable == {"postgres", "redis", "api", "worker", "first-merchant"}
    assert {port for _, port in published(services["api"])} == {"8000", "3001"}
    assert published(services["dashboard"]) == [("127.0.0.1", "3000")]


def test_secrets_come_from_env_and_are_required(model, tmp_path):
    services = model["services"]
    pg, redis = SECRETS["POSTGRES_PASSWORD"], SECRETS["REDIS_PASSWORD"]
    assert environment(services["postgres"])["POSTGRES_PASSWORD"] == pg
    assert services["redis"]["command"] == ["redis-server", "--requirepass", redis]
    for name in ("api", "worker", "first-merchant"):
        env = environment(services[name])
        assert env["DATABASE_URL"] == f"postgresql://paygate:{pg}@postgres:5432/paygate"
        assert env["REDIS_URL"] == f"redis://:{redis}@redis:6379/0"
    text = COMPOSE.read_text()
    assert "POSTGRES_PASSWORD: paygate" not in text and pg not in text
    for missing in SECRETS:
        with pytest.raises(MissingVariable, match=missing):
            resolved({k: v for k, v in SECRETS.items() if k != missing}, tmp_path)


def test_first_run_step_prints_the_first_merchant(model):
    first = model["services"]["first-merchant"]
    assert first["entrypoint"] == ["paygate", "merchants", "create"]
    assert first["profiles"] == ["setup"]  # `docker compose up` does not start it
    assert "postgres" in first["depends_on"]


def test_readme_tells_how_to_write_env_and_gitignore_keeps_it_out():
    readme = (ROOT / "README.md").read_text()
    section = readme.split("### Running with docker compose", 1)[1].split("\n## ", 1)[0]
    for name in SECRETS:
        assert f"{name}=" in section
    assert "docker compose run --rm first-merchant --name" in section
    used = set(VARIABLE.findall(COMPOSE.read_text()))
    assert {name for name, _, _ in used} <= set(re.findall(r"[A-Z_]{4,}", section)), "every .env variable is documented"
    assert ".env" in (ROOT / ".gitignore").read_text().split()


HEALTH_ROLES = {"api": "api", "worker": "worker", "dashboard": "console"}


def test_each_service_checks_its_own_health_and_restarts(model):
    services = model["services"]
    for name, role in HEALTH_ROLES.items():
        check = services[name]["healthcheck"]
        assert check["test"] == ["CMD", "paygate", "healthcheck", role], name  # not the API's port for a worker
        assert services[name]["restart"] == "unless-stopped", name
    for name in ("postgres", "redis"):
        assert services[name]["restart"] == "unless-stopped" and services[name]["healthcheck"]["test"], name
    assert services["first-merchant"]["healthcheck"]["disable"] is True and "restart" not in services["first-merchant"]
    dockerfile = (ROOT / "Dockerfile").read_text()
    assert 'HEALTHCHECK --interval=10s --timeout=5s --retries=3 CMD ["paygate", "healthcheck", "api"]' in dockerfile


def test_readme_says_how_to_put_tls_in_front():
    section = (ROOT / "README.md").read_text().split("### Running with docker compose", 1)[1].split("\n## ", 1)[0]
    assert "**TLS.**" in section and "PAYGATE_PUBLIC_API_URL=https://" in section and "reverse_proxy 127.0.0.1:3001" in section
