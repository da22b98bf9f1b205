"""``python -m bench.compare BEFORE.json AFTER.json``: a Markdown table of two runs, side by side.

How bench/RESULTS.md is written: both runs on the same machine, as close together as possible.
"""

from __future__ import annotations

import json
import sys

from .__main__ import EXTRA, KEYS, _fmt

TARGETS = {  # issue 11 (throughput); PostgreSQL + Redis unless the cell says otherwise
    "create_rps": "≥ 2,500 (embedded ≥ 2,000)", "create_p99_ms": "≤ 100", "get_rps": "≥ 5,000",
    "drain_payments_per_s": "≥ 2,500", "webhooks_per_s": "≥ 1,500", "create_to_webhook_p50_ms": "≤ 25",
    "due_late_p99_ms": "≤ 100", "daemon_rss_mb": "≤ 150", "create_cpu_ms": "≤ 0.6 with PG's",
}


def table(before: dict, after: dict) -> str:
    rows = ["| figure | target | before (PG) | after (PG) | before (embedded) | after (embedded) |", "|---|---|---:|---:|---:|---:|"]
    for key in KEYS + ("create_vs_hello",) + EXTRA:
        cells = [_fmt(r.get(key)) for r in (before, after, before.get("embedded", {}), after.get("embedded", {}))]
        rows.append(f"| `{key}` | {TARGETS.get(key, '')} | " + " | ".join(cells) + " |")
    return "\n".join(rows)


if __name__ == "__main__":
    a, b = (json.loads(open(p).read()) for p in sys.argv[1:3])
    print(table(a, b))
