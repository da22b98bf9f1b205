"""Start throwaway PostgreSQL and Redis servers on free loopback ports.

Used by the test suite and the benchmarks. A missing binary is a failure with a message saying
what to install, never a skip. As root, PostgreSQL runs as the ``postgres`` user (initdb refuses
root), on a data folder that user owns; a developer's own servers are never touched.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

PG_BIN_DIRS = sorted(Path("/usr/lib/postgresql").glob("*/bin"), reverse=True)


class ServiceError(RuntimeError):
    pass


_handed_out: set[int] = set()


def free_port() -> int:
    """A loopback port free now and not handed out before by this process (the kernel may offer a
    just-closed port again: a daemon's API and checkout ports must differ)."""
    while True:
        with socket.socket() as s:
            s.bind(("127.0.0.1", 0))
            port = s.getsockname()[1]
        if port not in _handed_out:
            _handed_out.add(port)
            return port


def _find(binary: str, hint: str) -> str:
    found = shutil.which(binary)
    if not found:
        for d in PG_BIN_DIRS:
            if (d / binary).exists():
                return str(d / binary)
        raise ServiceError(f"`{binary}` not found: {hint}")
    return found


def wait_port(port: int, timeout: float = 15.0, host: str = "127.0.0.1") -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return
        except OSError:
            time.sleep(0.05)
    raise ServiceError(f"nothing listening on {host}:{port} after {timeout}s")


@dataclass
class Postgres:
    fsync: bool = False
    port: int = field(default_factory=free_port)
    root: Path | None = None
    _as_user: list = field(default_factory=list)

    @property
    def url(self) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/postgres"

    def url_for(self, dbname: str) -> str:
        return f"postgresql://postgres@127.0.0.1:{self.port}/{dbname}"

    def start(self) -> "Postgres":
        initdb = _find("initdb", "install PostgreSQL (Debian: apt-get install postgresql)")
        pg_ctl = _find("pg_ctl", "install PostgreSQL (Debian: apt-get install postgresql)")
        self.root = Path(tempfile.mkdtemp(prefix="paygate-pg-"))
        data = self.root / "data"
        if os.geteuid() == 0:
            shutil.chown(self.root, "postgres", "postgres")
            self._as_user = ["runuser", "-u", "postgres", "--"]
        self._run([initdb, "-D", str(data), "-U", "postgres", "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8"])
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not self.fsync:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run([pg_ctl, "-D", str(data), "-o", opts, "-l", str(self.root / "log"), "-w", "-t", "30", "start"])
        wait_port(self.port)
        return self

    def _run(self, cmd):
        proc = subprocess.run(self._as_user + cmd, capture_output=True, text=True)
        if proc.returncode != 0:
            raise ServiceError(f"{' '.join(cmd[:2])} failed: {proc.stderr or proc.stdout}")

    def create_database(self, name: str) -> str:
        import psycopg2

        conn = psycopg2.connect(self.url)
        conn.autocommit = True
        with conn.cursor() as cur:
            cur.execute(f'DROP DATABASE IF EXISTS "{name}"')
            cur.execute(f'CREATE DATABASE "{name}"')
        conn.close()
        return self.url_for(name)

    def stop(self, mode: str = "fast") -> None:
        if self.root is None:
            return
        pg_ctl = _find("pg_ctl", "")
        subprocess.run(self._as_user + [pg_ctl, "-D", str(self.root / "data"), "-m", mode, "-w", "stop"], capture_output=True)

    def restart_server(self) -> None:
        """Stop and start the same cluster on the same port (fault tests)."""
        self.stop("fast")
        pg_ctl = _find("pg_ctl", "")
        opts = f"-p {self.port} -k {self.root} -c listen_addresses=127.0.0.1 -c max_connections=300"
        if not self.fsync:
            opts += " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        self._run([pg_ctl, "-D", str(self.root / "data"), "-o", opts, "-l", str(self.root / "log"), "-w", "-t", "30", "start"])

    def destroy(self) -> None:
        self.stop("immediate")
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)


@dataclass
class Redis:
    port: int = field(default_factory=free_port)
    root: Path | None = None
    proc: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> "Redis":
        binary = _find("redis-server", "install Redis (Debian: apt-get install redis-server)")
        if self.root is None:
            self.root = Path(tempfile.mkdtemp(prefix="paygate-redis-"))
        self.proc = subprocess.Popen(
            [binary, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(self.root)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        wait_port(self.port)
        return self

    def stop(self) -> None:
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
        self.proc = None

    def destroy(self) -> None:
        self.stop()
        if self.root:
            shutil.rmtree(self.root, ignore_errors=True)
