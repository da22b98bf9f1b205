"""Shared fixtures: real PostgreSQL and Redis for the session, both backends, live daemons.

- ``backend``: "sqlite" or "postgres"; tests that take it (or ``deployment``/``core_db``) run on both.
- ``core_db``: the core bound in-process to a fresh database of that backend.
- ``deployment``: a live ``paygate serve`` (+ separate ``paygate worker`` processes on postgres),
  shared by the tests of a session; ``deploy`` starts a private one with custom settings.
- ``api``: a client with the seeded merchant against ``deployment``; ``merchant_api``: a fresh merchant.
"""

from __future__ import annotations

import pytest

from tests.support.api import Api, new_merchant
from devstack.daemon import Deployment, backend_env
from devstack.services import Postgres, Redis

BACKENDS = ["sqlite", "postgres"]


@pytest.fixture(scope="session")
def pg():
    server = Postgres().start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def redis_server():
    server = Redis().start()
    yield server
    server.destroy()


@pytest.fixture(scope="session", params=BACKENDS)
def backend(request):
    return request.param


@pytest.fixture(scope="session")
def services(request, backend):
    """(pg, redis) for postgres, (None, None) for sqlite: only what the backend needs is started."""
    if backend == "sqlite":
        return None, None
    return request.getfixturevalue("pg"), request.getfixturevalue("redis_server")


@pytest.fixture(scope="session")
def core_db(backend, services, tmp_path_factory):
    """Bind the core in this process to a fresh, migrated database of ``backend``."""
    from paygate import bootstrap, config

    if backend == "sqlite":
        settings = config.load({}, data_dir=tmp_path_factory.mktemp("core-sqlite"), test_mode=True)
    else:
        env = backend_env("postgres", *services)
        settings = config.load({}, database_url=env["DATABASE_URL"], test_mode=True, seed_test_merchant=True)  # the seeded merchant on both backends
    bootstrap.start(settings)
    return settings


@pytest.fixture(scope="session")
def deployment(backend, services):
    d = Deployment(backend, backend_env(backend, *services), api_workers=1, worker_processes=2 if backend == "postgres" else 0)
    d.start()
    yield d
    d.stop()


@pytest.fixture
def deploy(backend, services):
    """Start private deployments: ``deploy(env={...}, api_workers=2, worker_processes=1)``."""
    started = []

    def start(env: dict | None = None, **kw):
        kw.setdefault("worker_processes", 1 if backend == "postgres" else 0)
        d = Deployment(backend, {**backend_env(backend, *services), **(env or {})}, **kw)
        started.append(d)
        return d.start()

    yield start
    for d in started:
        d.stop()


@pytest.fixture
def api(deployment) -> Api:
    return Api(deployment.base_url)


@pytest.fixture
def merchant_api(deployment) -> Api:
    return new_merchant(deployment.base_url, deployment)
