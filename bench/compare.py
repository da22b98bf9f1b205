"""``python -m bench.compare BEFORE.json AFTER.json``: a Markdown table of two runs, side by side.

How bench/RESULTS.md is written: both runs on the same machine, as close together as possible.
"""

from __future__ import annotations

import json
import sys

from .__main__ import EXTRA, KEYS, _fmt

TARGETS = {
    "create_rps": "≥ 1,500", "create_p99_ms": "≤ 50", "get_rps": "≥ 4,000", "drain_payments_per_s": "≥ 1,000",
    "webhooks_per_s": "≥ 1,000", "create_to_webhook_p50_ms": "≤ 100", "analytics_ms": "≤ 200", "daemon_rss_mb": "≤ 150",
    "create_vs_hello": "≥ 0.2",
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
