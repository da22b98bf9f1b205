"""Processes opening one fresh SQLite file at the same moment all connect (``serve --workers N``).

A connection's ``PRAGMA journal_mode=WAL`` could answer "database is locked" at once while another
process was turning the file into WAL; one Sanic worker failed its start that way and the server
stopped. The race runs in a fresh interpreter (forking pytest's threads is not safe): 30 rounds of
6 processes released by one barrier onto a new file; before the fix about 1 open in 60 failed.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import types
from pathlib import Path

ROUNDS, PROCESSES = 30, 6


def _open(path: str, barrier, results) -> None:
    from paygate import db

    barrier.wait()
    try:
        db.open_database(types.SimpleNamespace(database_url="sqlite:///" + path))
        db.database.connect()
        db.database.execute_sql("SELECT 1")
        results.put("ok")
    except Exception as exc:  # reported to the test, which shows it
        results.put(repr(exc))


def race() -> list[str]:
    failures = []
    for _ in range(ROUNDS):
        folder = tempfile.mkdtemp(prefix="paygate-open-race-")
        barrier, results = multiprocessing.Barrier(PROCESSES), multiprocessing.Queue()
        openers = [multiprocessing.Process(target=_open, args=(os.path.join(folder, "paygate.db"), barrier, results)) for _ in range(PROCESSES)]
        for p in openers:
            p.start()
        failures += [r for r in (results.get(timeout=60) for _ in openers) if r != "ok"]
        for p in openers:
            p.join(30)
        shutil.rmtree(folder, ignore_errors=True)
    return failures


def test_processes_opening_a_fresh_file_together_all_connect():
    root = Path(__file__).resolve().parents[2]
    run = subprocess.run([sys.executable, __file__], cwd=root, capture_output=True, text=True, timeout=120)
    assert run.returncode == 0, run.stdout + run.stderr
    assert run.stdout.strip() == f"{ROUNDS * PROCESSES} opened", run.stdout


if __name__ == "__main__":
    sys.path.insert(0, os.getcwd())
    failed = race()
    print("\n".join(failed) if failed else f"{ROUNDS * PROCESSES} opened")
    sys.exit(1 if failed else 0)
