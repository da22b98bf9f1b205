"""Reads that arrive in one event-loop turn share one thread hop and one query.

Under load many ``GET /api/v1/payments/{id}`` requests are parsed in the same turn of the loop.
Each would otherwise pay its own hop to the thread pool, its own round trip and its own query
set-up; :class:`ReadBatcher` gathers the lookups made until the loop's next turn and answers them
with one call of a batch function (one ``SELECT … IN``), run on the pool in autocommit. Every
lookup still gets exactly its own answer: a batch function returns one result per lookup, and an
exception instance in that list is raised to that caller alone. At low load a batch is one lookup
and costs one extra ``call_soon``.
"""

from __future__ import annotations

import asyncio
from typing import Callable

from .. import db
from ..group_commit import answer

MAX_BATCH = 500  # lookups per query; more wait for the next one


class ReadBatcher:
    def __init__(self, pool, fetch_many: Callable[[list], list]):
        self.pool = pool
        self.fetch_many = fetch_many
        self._waiting: list[tuple[object, asyncio.Future]] = []

    async def get(self, lookup):
        loop = asyncio.get_running_loop()
        future = loop.create_future()
        self._waiting.append((lookup, future))
        if len(self._waiting) == 1:
            loop.call_soon(self._flush, loop)
        return await future

    def _flush(self, loop) -> None:
        while self._waiting:
            batch, self._waiting = self._waiting[:MAX_BATCH], self._waiting[MAX_BATCH:]
            done = self.pool.submit(db.read, self.fetch_many, [lookup for lookup, _ in batch])
            done.add_done_callback(lambda f, batch=batch: loop.call_soon_threadsafe(_answer, batch, f))


def _answer(batch, done) -> None:
    error = done.exception()
    results = [error] * len(batch) if error is not None else done.result()
    for (_, future), result in zip(batch, results):
        answer(future, result)
