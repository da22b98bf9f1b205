"""CI proof that the benchmark harness works: ``python -m bench --quick --json`` writes every figure.

No thresholds (speed is not a test assertion here: bench/RESULTS.md holds the figures). A figure
may be null only when ``--quick`` skips it on purpose (the JSON says so under ``unavailable``): a
missing endpoint, a failed measurement or a missing wrk, PostgreSQL or Redis fails the test.
"""

from __future__ import annotations

import json
import numbers
import subprocess
import sys
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(REPO))

from bench.__main__ import KEYS  # noqa: E402


def test_quick_run_writes_every_figure(tmp_path):
    out = tmp_path / "bench.json"
    proc = subprocess.run(
        [sys.executable, "-m", "bench", "--quick", "--json", str(out)], cwd=REPO, capture_output=True, text=True, timeout=170
    )
    assert proc.returncode == 0, proc.stderr[-4000:]
    result = json.loads(out.read_text())
    for key in KEYS:
        assert key in result, key
        value = result[key]
        assert value is None or isinstance(value, numbers.Real), (key, value)
    missing = result["unavailable"]
    for key, reason in missing.items():
        assert result.get(key) is None, key
        assert reason.startswith("skipped in --quick"), f"{key} failed instead of being measured: {reason}"
    assert all(isinstance(result[k], numbers.Real) for k in KEYS if k not in missing)
    embedded = result["embedded"]
    for key in ("hello_rps", "create_rps", "get_rps", "drain_payments_per_s", "daemon_rss_mb"):
        assert isinstance(embedded.get(key), numbers.Real), (key, embedded.get(key))
    assert "| create_rps |" in proc.stdout  # the table is printed
