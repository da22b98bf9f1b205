"""What a bench run starts and stops: PostgreSQL (fsync on) and Redis, paygate deployments,
the hello-world baseline, the webhook receiver. Built on ``devstack`` (shared with the tests), so
the bench and the tests start paygate the same way.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from contextlib import contextmanager
from pathlib import Path

from devstack.daemon import Deployment, backend_env
from devstack.services import Postgres, Redis, free_port, wait_port

REPO = Path(__file__).resolve().parents[1]
KEY, SECRET = "key_test_abc123", "secret_test_xyz789"
AUTH = {"X-Api-Key": KEY, "X-Api-Secret": SECRET}

QUIET = {"PAYGATE_LOG_LEVEL": "WARNING", "PAYGATE_SWEEP_INTERVAL": "2"}


class Services:
    """PostgreSQL with fsync on (the production setting the targets assume) and Redis."""

    def __init__(self):
        self.pg = Postgres(fsync=True).start()
        self.redis = Redis().start()

    def stop(self):
        self.redis.destroy()
        self.pg.destroy()


@contextmanager
def deployment(backend: str, services: Services | None, env: dict, *, api_workers: int, worker_processes: int):
    """A running paygate (``serve`` with N API processes, + ``worker`` processes on postgres)."""
    base = backend_env(backend, services.pg, services.redis) if backend == "postgres" else {}
    d = Deployment(backend, {**base, **QUIET, **env}, api_workers=api_workers, worker_processes=worker_processes)
    try:
        d.start(timeout=60)
        yield d
    finally:
        d.stop()


def core_settings(d: Deployment):
    """Settings that bind this process's paygate core to the deployment's database (for seeding and probes)."""
    from paygate import config

    env = d.process_env()
    if env.get("DATABASE_URL"):
        return config.load({}, database_url=env["DATABASE_URL"], seed_test_merchant=False)
    return config.load({}, data_dir=Path(env["PAYGATE_DATA_DIR"]), seed_test_merchant=False)


def bind_core(d: Deployment):
    from paygate import db

    if db.database.obj is not None:
        try:
            db.database.obj.close_all() if hasattr(db.database.obj, "close_all") else db.database.obj.close()
        except Exception:
            pass
    return db.open_database(core_settings(d))


@contextmanager
def hello_server(workers: int):
    port = free_port()
    proc = subprocess.Popen([sys.executable, "-m", "bench.hello", str(port), str(workers)], cwd=REPO,
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_port(port, 30)
        yield f"http://127.0.0.1:{port}/"
    finally:
        _stop(proc)


@contextmanager
def webhook_receiver():
    port = free_port()
    out = Path(tempfile.mkdtemp(prefix="bench-receiver-")) / "arrivals.txt"
    out.touch()
    proc = subprocess.Popen([sys.executable, "-m", "bench.receiver", str(port), str(out)], cwd=REPO)
    try:
        wait_port(port, 15)
        yield f"http://127.0.0.1:{port}/hooks", out
    finally:
        _stop(proc)


def _stop(proc):
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(5)


def _children(pid: int) -> list[int]:
    kids = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            kids += [int(x) for x in (task / "children").read_text().split()]
        except OSError:
            pass
    return kids


def tree_rss_mb(pid: int) -> float:
    """Resident memory of a process and all its descendants (Sanic's worker processes), in MB."""
    total, todo = 0, [pid]
    while todo:
        p = todo.pop()
        try:
            for line in Path(f"/proc/{p}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1])
        except OSError:
            continue
        todo += _children(p)
    return total / 1024


def _tree(pid: int) -> list[int]:
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo += _children(p)
    return out


def cpu_seconds(pids) -> float:
    """User + system CPU time used so far by these processes and their live descendants."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for root in pids:
        for p in _tree(root):
            try:
                fields = Path(f"/proc/{p}/stat").read_text().rsplit(")", 1)[1].split()
                total += int(fields[11]) + int(fields[12])  # utime, stime
            except (OSError, IndexError, ValueError):
                pass
    return total / tick


def postmaster_pid(services) -> int | None:
    try:
        return int((services.pg.root / "data" / "postmaster.pid").read_text().split()[0])
    except (OSError, AttributeError, ValueError, IndexError):
        return None


def rss_mb(pids) -> float:
    return sum(tree_rss_mb(p) for p in pids)


class RssSampler:
    """Samples a process tree's RSS in the background; keeps the peak."""

    def __init__(self, pids):
        import threading

        self.pids = list(pids)
        self.peak = 0.0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.peak = max(self.peak, rss_mb(self.pids))
            self._stop.wait(0.25)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join(2)


def uptime() -> str:
    try:
        return subprocess.run(["uptime"], capture_output=True, text=True).stdout.strip()
    except OSError:
        return os.getloadavg().__repr__()

