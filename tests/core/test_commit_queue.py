"""The committer's queue is bounded: past ``max_queue`` waiting creates, a create is refused at once
(Overloaded: 503 with Retry-After) instead of growing the process's memory; what was queued commits."""

from __future__ import annotations

import threading
import time

import pytest

from paygate.errors import Overloaded, ServiceUnavailable
from paygate.group_commit import GroupCommitter


def test_a_full_queue_refuses_at_once_and_the_queued_creates_still_commit(core_db):
    release = threading.Event()
    seen: list = []

    def slow_batch(payloads):  # holds the committer in its transaction while more arrive
        assert release.wait(20)
        seen.extend(payloads)
        return [f"ok {p}" for p in payloads]

    committer = GroupCommitter({"create": slow_batch}, window_s=0, max_batch=1, threads=1, max_queue=2).start()
    try:
        first = committer.submit("create", 1)
        for _ in range(2000):  # until the committer has taken the first (bounded: 20 s)
            if not committer._queue.qsize():
                break
            time.sleep(0.01)
        queued = [committer.submit("create", n) for n in (2, 3)]
        refused = committer.submit("create", 4)
        assert refused.done(), "a create beyond the bound is answered at once"
        with pytest.raises(Overloaded) as exc:
            refused.result()
        assert isinstance(exc.value, ServiceUnavailable) and exc.value.retry_after >= 1
        assert committer.stats.refused_full == 1
        release.set()
        assert [f.result(20) for f in [first, *queued]] == ["ok 1", "ok 2", "ok 3"]
        assert seen == [1, 2, 3], "the refused create never ran"
    finally:
        release.set()
        committer.stop()
