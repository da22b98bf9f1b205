"""Fuzz every documented operation of a live daemon with schemathesis, bounded in time.

The run fails on any 5xx and on any response the OpenAPI document does not allow (status code,
content type, headers, body schema). It runs against the production shape (PostgreSQL, Redis and
a separate worker) with the seeded merchant's credentials, so authenticated paths are reached.
"""

from __future__ import annotations

import subprocess
import sys

import pytest
import requests

from tests.support.api import TEST_KEY, TEST_SECRET
from devstack.daemon import Deployment, backend_env

pytestmark = pytest.mark.slow  # bounded in time, but minutes: `-m 'not slow'` skips them while iterating

CHECKS = "not_a_server_error,status_code_conformance,content_type_conformance,response_headers_conformance,response_schema_conformance"


@pytest.fixture(scope="module")
def live(pg, redis_server):
    d = Deployment("postgres", backend_env("postgres", pg, redis_server), worker_processes=1).start()
    yield d
    d.stop()


def _st() -> list[str]:
    """schemathesis's CLI from this interpreter's environment (not whatever ``st`` is on PATH)."""
    import importlib.util

    assert importlib.util.find_spec("schemathesis") is not None, "schemathesis is not installed: pip install -e '.[test]'"
    return [sys.executable, "-m", "schemathesis.cli"]


def test_openapi_document_is_served_and_covers_every_route(live):
    from paygate import config
    from paygate.server import openapi
    from paygate.server.app import create_api_app

    app = create_api_app(config.load({}), name="openapi_probe")
    assert openapi.undocumented(app) == [], "document these operations in paygate/server/openapi.py"
    described = {(m.upper(), openapi._shape(p)) for p, methods in openapi.PATHS.items() for m in methods}
    assert sorted(described - openapi.served_operations(app)) == [], "described in openapi.py but not served"
    doc = requests.get(live.base_url + "/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["components"]["securitySchemes"]) == {"ApiKey", "ApiSecret"}
    assert "/api/v1/payments" in doc["paths"] and "post" in doc["paths"]["/api/v1/payments"]


def test_schemathesis_finds_no_server_error_and_no_undocumented_response(live, tmp_path):
    cmd = [
        *_st(), "run", live.base_url + "/openapi.json",
        "--checks", CHECKS,
        "--phases", "coverage,fuzzing",
        "--max-examples", "8",
        "--max-time", "45",
        "--workers", "1",
        "--seed", "8",
        "--no-shrink",
        "--request-timeout", "10",
        "--warnings", "off",
        "-H", f"X-Api-Key: {TEST_KEY}",
        "-H", f"X-Api-Secret: {TEST_SECRET}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=180, cwd=tmp_path)
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-2000:]
    assert "no issues found" in proc.stdout.lower() or " passed" in proc.stdout, proc.stdout[-3000:]
    assert "Server error" not in proc.stdout
