"""The unauthenticated test endpoints answer only on test deployments; a merchant sees its own work.

``GET /api/v1/test/jobs/status`` counts the seeded test merchant's work and ``GET /api/v1/test/merchant``
hands out public credentials: both exist where the test merchant is seeded or ``TEST_MODE`` is on
(integrators' test suites use them there) and are 404 anywhere else. The console shows the
merchant's own counts, from the authenticated ``GET /api/v1/merchants/me/jobs``.
"""

from __future__ import annotations

import pytest
import requests

from tests.support.api import new_merchant

TEST_ENDPOINTS = ["/api/v1/test/jobs/status", "/api/v1/test/merchant"]
PRODUCTION = {"PAYGATE_SEED_TEST_MERCHANT": "false", "TEST_MODE": "false"}


def _total(counts: dict) -> int:
    return counts["pending"] + counts["processing"] + counts["completed"] + counts["failed"]


@pytest.mark.parametrize("path", TEST_ENDPOINTS)
def test_test_endpoints_are_404_on_a_production_deployment(deploy, path):
    d = deploy(env=PRODUCTION)
    r = requests.get(d.base_url + path, timeout=10)
    assert r.status_code == 404, r.text
    assert r.json()["error"]["code"] == "NOT_FOUND_ERROR"
    assert requests.get(d.base_url + "/health", timeout=10).status_code == 200


def test_jobs_status_answers_in_test_mode_without_the_seeded_merchant(deploy):
    d = deploy(env={"PAYGATE_SEED_TEST_MERCHANT": "false", "TEST_MODE": "true"})
    body = requests.get(d.base_url + "/api/v1/test/jobs/status", timeout=10).json()
    assert set(body) == {"pending", "processing", "completed", "failed", "worker_status"}
    r = requests.get(d.base_url + "/api/v1/test/merchant", timeout=10)
    assert r.status_code == 404 and r.json()["error"]["code"] == "NOT_FOUND_ERROR"


def test_test_endpoints_answer_where_the_test_merchant_is_seeded(deployment):
    for path in TEST_ENDPOINTS:
        assert requests.get(deployment.base_url + path, timeout=10).status_code == 200


def test_a_merchant_sees_only_its_own_work(deployment):
    anonymous = deployment.base_url + "/api/v1/test/jobs/status"
    before = requests.get(anonymous, timeout=10).json()
    busy, idle = new_merchant(deployment.base_url, deployment), new_merchant(deployment.base_url, deployment)
    for _ in range(3):
        busy.create_payment(busy.create_order()["id"], "card")
    assert _total(idle.ok("GET", "/api/v1/merchants/me/jobs")) == 0
    mine = busy.ok("GET", "/api/v1/merchants/me/jobs")
    assert _total(mine) == 3 and mine["worker_status"] in ("running", "stopped")
    after = requests.get(anonymous, timeout=10).json()  # the test merchant's work only: another merchant's is nobody's business
    assert set(after) == {"pending", "processing", "completed", "failed", "worker_status"}
    assert _total(after) == _total(before)


def test_a_production_merchant_has_its_own_work_counts(deploy):
    d = deploy(env=PRODUCTION)
    merchant = new_merchant(d.base_url, d)
    merchant.create_payment(merchant.create_order()["id"], "card")
    assert _total(merchant.ok("GET", "/api/v1/merchants/me/jobs")) == 1
    r = requests.get(d.base_url + "/api/v1/merchants/me/jobs", timeout=10)
    assert r.status_code == 401
