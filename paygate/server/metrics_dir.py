"""The folder where the API processes of ``paygate serve --workers N`` share their metrics.

prometheus_client's multiprocess mode keeps each process's counters in memory-mapped files in
``PROMETHEUS_MULTIPROC_DIR`` and a scrape sums them, so whichever worker answers ``/metrics``
reports the same, never-decreasing totals. The library chooses its storage when it is first
imported, so the folder is set up here, in the main process, before any worker is spawned (they
inherit the environment).

Refuses to reuse stale numbers: the folder is emptied at start. Without an operator's
``PROMETHEUS_MULTIPROC_DIR``, serve makes a private folder and removes it at exit, so two daemons
on one host never mix their counters; an operator's folder must serve one daemon only.
"""

from __future__ import annotations

import atexit
import os
import shutil
import tempfile
from pathlib import Path

ENV = "PROMETHEUS_MULTIPROC_DIR"


def prepare(api_workers: int) -> Path | None:
    """Set up (and empty) the shared folder when metrics must be shared; None for one process."""
    given = os.environ.get(ENV)
    if not given and api_workers == 1:
        return None  # one process: counters in memory are already consistent
    if given:
        path = Path(given)
        path.mkdir(parents=True, exist_ok=True)
        for stale in path.glob("*.db"):
            stale.unlink()
        return path
    path = Path(tempfile.mkdtemp(prefix="paygate-metrics-"))
    atexit.register(shutil.rmtree, path, True)
    os.environ[ENV] = str(path)
    return path
