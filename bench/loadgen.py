"""wrk as the load generator: its own process, Lua scripts for unique Idempotency-Keys, one JSON line out."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).parent / "lua"


class LoadGenError(RuntimeError):
    pass


@dataclass
class WrkResult:
    requests: int
    seconds: float
    errors: int  # non-2xx responses + socket errors + timeouts
    p50_ms: float
    p90_ms: float
    p99_ms: float

    @property
    def rps(self) -> float:
        return (self.requests - self.errors) / self.seconds if self.seconds else 0.0


def wrk_path() -> str:
    found = shutil.which("wrk")
    if not found:
        raise LoadGenError("`wrk` not found: install it (Debian: apt-get install wrk); ./dev bench does")
    return found


def _script(name: str) -> str:
    """wrk takes one script: the figure's own Lua followed by the shared reporter."""
    text = (LUA / f"{name}.lua").read_text() + "\n" + (LUA / "report.lua").read_text()
    f = tempfile.NamedTemporaryFile("w", suffix=".lua", prefix=f"bench-{name}-", delete=False)
    f.write(text)
    f.close()
    return f.name


def run_wrk(url: str, script: str, *, connections: int, seconds: float, threads: int = 2, args=()) -> WrkResult:
    threads = max(1, min(threads, connections))
    path = _script(script)
    cmd = [wrk_path(), "-t", str(threads), "-c", str(connections), "-d", f"{max(1, round(seconds))}s", "--timeout", "10s", "-s", path, url]
    if args:
        cmd += ["--", *[str(a) for a in args]]
    try:
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 30)
    finally:
        Path(path).unlink(missing_ok=True)
    for line in proc.stdout.splitlines():
        if line.startswith("BENCHJSON "):
            d = json.loads(line[len("BENCHJSON "):])
            errors = d["status_errors"] + d["connect_errors"] + d["read_errors"] + d["write_errors"] + d["timeouts"]
            return WrkResult(d["requests"], d["duration_us"] / 1e6, errors, d["p50_us"] / 1000, d["p90_us"] / 1000, d["p99_us"] / 1000)
    raise LoadGenError(f"wrk gave no result (exit {proc.returncode}): {proc.stderr.strip() or proc.stdout.strip()}")
