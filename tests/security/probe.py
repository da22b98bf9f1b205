"""Helpers for hostile-input and isolation tests: raw bytes over a socket, and a look at the rows.

``raw`` sends exactly the bytes given (invalid UTF-8, odd header bytes) that an HTTP library would
refuse to send. ``rows_of`` opens the deployment's own database directly, so a test can prove that
a rejected request wrote nothing.
"""

from __future__ import annotations

import json
import socket
import sqlite3
from urllib.parse import urlsplit

import psycopg2

from tests.support.api import TEST_KEY, TEST_SECRET

ERROR_CODES = {
    "AUTHENTICATION_ERROR", "BAD_REQUEST_ERROR", "NOT_FOUND_ERROR", "INVALID_VPA", "INVALID_CARD", "EXPIRED_CARD",
    "IDEMPOTENCY_ERROR", "CONFLICT_ERROR", "PAYLOAD_TOO_LARGE", "RATE_LIMIT_ERROR", "SERVICE_UNAVAILABLE",
    "PERMISSION_ERROR", "API_KEY_EXPIRED", "API_KEY_REVOKED",
}  # fmt: skip


def raw(base_url: str, method: str, path: str, body: bytes = b"", headers: dict | None = None, *, auth: bool = True, timeout: float = 15):
    """One HTTP/1.1 request of exactly these bytes; returns (status, headers, body bytes)."""
    parts = urlsplit(base_url)
    hdrs = {"Host": parts.netloc, "Content-Type": "application/json", "Connection": "close"}
    if auth:
        hdrs.update({"X-Api-Key": TEST_KEY, "X-Api-Secret": TEST_SECRET})
    hdrs.update(headers or {})
    head = f"{method} {path} HTTP/1.1\r\n".encode()
    for k, v in hdrs.items():
        head += k.encode() + b": " + (v if isinstance(v, bytes) else v.encode("latin-1")) + b"\r\n"
    head += f"Content-Length: {len(body)}\r\n\r\n".encode()
    with socket.create_connection((parts.hostname, parts.port), timeout=timeout) as s:
        s.sendall(head + body)
        chunks = []
        while True:
            try:
                chunk = s.recv(65536)
            except ConnectionResetError:
                break
            if not chunk:
                break
            chunks.append(chunk)
    data = b"".join(chunks)
    head, _, payload = data.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    status = int(lines[0].split()[1])
    headers_out = {}
    for line in lines[1:]:
        k, _, v = line.partition(":")
        headers_out[k.strip().lower()] = v.strip()
    return status, headers_out, payload


def assert_error(status: int, headers: dict, payload: bytes, expect: int | tuple | None = None) -> dict:
    """The contract's error shape: JSON ``{"error": {"code", "description"}}``, never a 5xx here."""
    assert status < 500, (status, payload[:300])
    if expect is not None:
        assert status in ((expect,) if isinstance(expect, int) else expect), (status, payload[:300])
    assert headers.get("content-type", "").startswith("application/json"), headers
    body = json.loads(payload)
    assert set(body) == {"error"}, body
    assert body["error"]["code"] in ERROR_CODES, body
    assert isinstance(body["error"]["description"], str) and body["error"]["description"], body
    return body["error"]


def _connect(deployment):
    url = deployment.env.get("DATABASE_URL")
    if url:
        return psycopg2.connect(url), "%s"
    return sqlite3.connect(str(deployment.root / "data" / "paygate.db"), timeout=15), "?"


def rows_of(deployment, merchant_id: str) -> dict:
    """Counts of the merchant's rows in every table that a request could write."""
    conn, mark = _connect(deployment)
    try:
        cur = conn.cursor()
        out = {}
        for table in ("order", "payment", "refund", "event", "webhook_delivery", "webhook_endpoint", "idempotency_key"):
            cur.execute(f'SELECT COUNT(*) FROM "{table}" WHERE merchant_id = {mark}', (merchant_id,))
            out[table] = cur.fetchone()[0]
        return out
    finally:
        conn.close()


def dump_all_text(deployment) -> str:
    """Every row of every table, as text: for proving what is never stored."""
    conn, _ = _connect(deployment)
    try:
        cur = conn.cursor()
        if deployment.env.get("DATABASE_URL"):
            cur.execute("SELECT tablename FROM pg_tables WHERE schemaname = 'public'")
        else:
            cur.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        tables = [r[0] for r in cur.fetchall()]
        out = []
        for table in tables:
            cur.execute(f'SELECT * FROM "{table}"')
            out.extend(repr(row) for row in cur.fetchall())
        return "\n".join(out)
    finally:
        conn.close()


def merchant_id_of(api) -> str:
    return api.ok("GET", "/api/v1/merchants/me")["id"]
