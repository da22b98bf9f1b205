"""The audit log, newest first: when, who, what operation on which object, from where."""

from __future__ import annotations

from ..format import when
from .record_table import RecordTable


def actor(a: dict) -> str:
    return f"{a['type']}:{a['id']}" + (f" ({a['name']})" if a.get("name") else "")


class AuditTable(RecordTable):
    headings = ("#", "Time (UTC)", "Actor", "Operation", "Object", "Request", "From")

    def signature(self, e: dict) -> tuple:
        return (e["id"],)

    def cells(self, e: dict) -> tuple:
        return (str(e["seq"]), when(e["created_at"]), actor(e["actor"]), e["operation"], e.get("object_id") or "-", e.get("request_id") or "-", e.get("client_address") or "-")
