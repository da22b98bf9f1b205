"""Run sync units of work off the event loop, on a bounded thread pool, then enqueue what they returned.

Nothing blocking ever runs in an ``async def``: database work and Redis enqueues happen here, and
no transaction is ever held across an ``await``.
"""

from __future__ import annotations

import asyncio
from functools import partial

from .. import db
from ..audit import audited
from .audit_context import audit_context


def _commit_then_dispatch(fn, args, kwargs):
    from ..jobs.dispatch import dispatch

    outcome = db.unit_of_work(fn, *args, **kwargs)
    work = getattr(outcome, "work", None)
    if work:
        dispatch(work)
    return outcome


async def in_pool(request, fn, *args, **kwargs):
    """Run ``fn`` on the app's thread pool (no transaction: ``fn`` manages its own)."""
    loop = asyncio.get_running_loop()
    return await loop.run_in_executor(request.app.ctx.pool, partial(fn, *args, **kwargs))


async def transact(request, fn, *args, **kwargs):
    """Run ``fn`` as one unit of work with its audit row; enqueue its returned work after the commit."""
    return await in_pool(request, _commit_then_dispatch, audited(fn, audit_context(request)), args, kwargs)


async def read(request, fn, *args, **kwargs):
    return await in_pool(request, db.read, fn, *args, **kwargs)
