"""Fault tests run on their own PostgreSQL and Redis (one pair for all of them, started only when
a fault test runs): they stop and restart them, and always leave them running again."""

from __future__ import annotations

import uuid

import pytest

from devstack.daemon import Deployment
from devstack.services import Postgres, Redis


@pytest.fixture(scope="session")
def own_pg():
    server = Postgres().start()
    yield server
    server.destroy()


@pytest.fixture(scope="session")
def own_redis():
    server = Redis().start()
    yield server
    server.destroy()


@pytest.fixture
def cluster(own_pg, own_redis):
    """Start ``paygate serve`` + N ``paygate worker`` processes on the private servers."""
    started = []

    def start(workers: int = 2, env: dict | None = None) -> Deployment:
        name = "f_" + uuid.uuid4().hex[:10]
        base = {"DATABASE_URL": own_pg.create_database(name), "REDIS_URL": own_redis.url, "PAYGATE_QUEUE_NAME": name}
        d = Deployment("postgres", {**base, **(env or {})}, worker_processes=workers)
        started.append(d)
        return d.start()

    yield start
    for d in started:
        d.stop()
