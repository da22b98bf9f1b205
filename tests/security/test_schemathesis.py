"""Fuzz every documented operation of a live daemon with schemathesis, on both backends.

``--checks all``: any 5xx, any response the OpenAPI document does not allow (status, content
type, headers, body), any schema-valid request refused or schema-violating one accepted, a 405
without ``Allow``, … fails the run. The stateful phase follows the document's links from each
create to the operations that use its id (order → payment → capture, refund), so payments and
refunds are reached with real ids. Bounded: at most ``MAX_SECONDS`` of generation per backend.

The seed is random each run and printed on failure; ``PAYGATE_FUZZ_SEED=…`` replays one.
"""

from __future__ import annotations

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
import requests

from devstack.daemon import Deployment, backend_env
from tests.support.api import TEST_KEY, TEST_SECRET, Api

pytestmark = pytest.mark.slow  # bounded in time, but minutes: `-m 'not slow'` skips them while iterating

CONFIG = Path(__file__).with_name("schemathesis.toml")
MAX_SECONDS = 75
PHASES = "examples,coverage,fuzzing,stateful"


@pytest.fixture
def live(backend, services):
    # Payments due at once, so the stateful phase finds them settled when it captures and refunds.
    env = {**backend_env(backend, *services), "TEST_PROCESSING_DELAY": "0"}
    d = Deployment(backend, env, worker_processes=1 if backend == "postgres" else 0).start()
    yield d
    d.stop()


def _st() -> list[str]:
    """schemathesis's CLI from this interpreter's environment (not whatever ``st`` is on PATH)."""
    import importlib.util

    assert importlib.util.find_spec("schemathesis") is not None, "schemathesis is not installed: pip install -e '.[test]'"
    return [sys.executable, "-m", "schemathesis.cli"]


def test_openapi_document_is_served_and_covers_every_route(live, backend):
    from paygate import config
    from paygate.server import openapi
    from paygate.server.app import create_api_app

    app = create_api_app(config.load({}), name=f"openapi_probe_{backend}")
    assert openapi.undocumented(app) == [], "document these operations in paygate/server/openapi.py"
    described = {(m.upper(), openapi._shape(p)) for p, methods in openapi.PATHS.items() for m in methods}
    assert sorted(described - openapi.served_operations(app)) == [], "described in openapi.py but not served"
    doc = requests.get(live.base_url + "/openapi.json", timeout=10).json()
    assert doc["openapi"].startswith("3.")
    assert set(doc["components"]["securitySchemes"]) == {"ApiKey", "ApiSecret"}
    operation_ids = [spec["operationId"] for methods in doc["paths"].values() for spec in methods.values()]
    assert len(operation_ids) == len(set(operation_ids))
    links = [l for methods in doc["paths"].values() for spec in methods.values() for r in spec["responses"].values() for l in r.get("links", {}).values()]
    assert {"createPayment", "capturePayment", "createRefund", "getRefund"} <= {l["operationId"] for l in links} <= set(operation_ids)


def test_schemathesis_all_checks_and_stateful_find_nothing(live, tmp_path):
    seed = int(os.environ.get("PAYGATE_FUZZ_SEED") or secrets.randbelow(2**31))
    cmd = [
        *_st(), "--config-file", str(CONFIG), "run", live.base_url + "/openapi.json",
        "--checks", "all",
        "--phases", PHASES,
        "--max-examples", "30",
        "--max-time", str(MAX_SECONDS),
        "--workers", "1",
        "--seed", str(seed),
        "--no-shrink",
        "--request-timeout", "10",
        "--warnings", "off",
        "-H", f"X-Api-Key: {TEST_KEY}",
        "-H", f"X-Api-Secret: {TEST_SECRET}",
    ]  # fmt: skip
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=MAX_SECONDS + 120, cwd=tmp_path)
    replay = f"schemathesis seed {seed}: replay with PAYGATE_FUZZ_SEED={seed}\n"
    assert proc.returncode == 0, replay + proc.stdout[-8000:] + proc.stderr[-2000:]
    selected = re.search(r"Selected: (\d+)/(\d+)", proc.stdout)
    tested = re.search(r"Tested: (\d+)", proc.stdout)
    assert selected and tested and selected[1] == selected[2] == tested[1], replay + proc.stdout[-3000:]
    # The stateful phase followed the links to real payments and refunds of the merchant.
    shop = Api(live.base_url)
    reached = {
        "settled payments": shop.ok("GET", "/api/v1/payments", params={"status": "success", "limit": 1})["total"],
        "refunds": shop.ok("GET", "/api/v1/refunds", params={"limit": 1})["total"],
    }
    assert all(reached.values()), (replay, reached, proc.stdout[-3000:], live.log_tail("serve"))
