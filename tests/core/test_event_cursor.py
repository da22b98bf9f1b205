"""The events cursor under concurrent writers: a follower paging with ``after`` sees every event
exactly once, whatever order the writing transactions commit in (paygate.event_cursor)."""

from __future__ import annotations

import random
import threading
import time

import pytest

from paygate import db, events, webhooks


def _record(merchant_id: str, n: int):
    return events.record_event(merchant_id, None, events.WEBHOOK_TEST, None, {"n": n})[0].id


def _in_thread(fn, *args):
    """Run ``fn`` on its own thread and connection (a writer or the follower); close it after."""

    def run():
        try:
            fn(*args)
        finally:
            db.database.close()

    t = threading.Thread(target=run, daemon=True)
    t.start()
    return t


class Follower:
    """Pages with ``after`` the way ``paygate listen`` and the console do, keeping every id seen."""

    def __init__(self, merchant_id: str, cursor: str):
        self.merchant_id, self.cursor, self.seen = merchant_id, cursor, []

    def poll(self) -> int:
        page = db.read(webhooks.list_events, self.merchant_id, {"after": self.cursor, "limit": "7"})["data"]
        for event in page:
            self.seen.append(event["id"])
            self.cursor = event["id"]
        return len(page)

    def drain(self) -> None:
        while self.poll():
            pass


def test_a_follower_sees_every_event_once_while_writers_commit_out_of_order(merchant):
    start = db.unit_of_work(_record, merchant.id, -1)
    follower = Follower(merchant.id, start)
    written: list[str] = []
    lock = threading.Lock()
    rng = random.Random(18)
    holds = [[rng.uniform(0, 0.03) for _ in range(4)] for _ in range(6)]  # 6 writers × 4 transactions

    def write(writer: int):
        for i, hold in enumerate(holds[writer]):
            def body():
                made = [_record(merchant.id, writer * 100 + i * 10 + k) for k in range(3)]
                time.sleep(hold)  # the transaction stays open: others insert and commit meanwhile
                return made

            made = db.unit_of_work(body)
            with lock:
                written.extend(made)

    writers = [_in_thread(write, w) for w in range(len(holds))]
    deadline = time.monotonic() + 60
    while any(t.is_alive() for t in writers) and time.monotonic() < deadline:
        follower.poll()
    for t in writers:
        t.join(5)
    follower.drain()
    assert len(written) == 6 * 4 * 3
    assert len(follower.seen) == len(set(follower.seen)), "an event was returned twice"
    assert set(follower.seen) == set(written), f"{len(set(written) - set(follower.seen))} events were skipped"


def test_an_event_inserted_first_and_committed_last_is_not_skipped(merchant, backend):
    if backend == "sqlite":
        pytest.skip("SQLite has one writer at a time: a transaction cannot commit before one that inserted earlier")
    start = db.unit_of_work(_record, merchant.id, 0)
    follower = Follower(merchant.id, start)
    early_inserted, late_committed, follower_read = threading.Event(), threading.Event(), threading.Event()
    ids = {}

    def early():  # inserts first (the smaller seq), commits last
        def body():
            ids["early"] = _record(merchant.id, 1)
            early_inserted.set()
            assert follower_read.wait(20)

        db.unit_of_work(body)

    def late():
        assert early_inserted.wait(20)
        ids["late"] = db.unit_of_work(_record, merchant.id, 2)
        late_committed.set()

    writers = [_in_thread(early), _in_thread(late)]
    assert late_committed.wait(20)
    follower.poll()  # the later insert has committed; the earlier one is still open
    follower_read.set()
    for t in writers:
        t.join(20)
    follower.drain()
    assert sorted(follower.seen) == sorted([ids["early"], ids["late"]])
    assert len(follower.seen) == 2

