"""``paygate audit list`` (through the API, the merchant's own log) and ``paygate audit verify``
(admin, straight to the database: recomputes every merchant's hash chain).
"""

from __future__ import annotations

from typing import List, Optional

import typer

from .. import audit, bootstrap, db
from ..client import since_iso
from .common import print_json, settings_from
from .output import emit, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

audit_app = typer.Typer(help="The audit log: who changed what, hash-chained so an edit shows.", no_args_is_help=True)

COLUMNS = [("created_at", "TIME"), ("actor", "ACTOR"), ("operation", "OPERATION"), ("object_id", "OBJECT"), ("request_id", "REQUEST"), ("client_address", "FROM")]


def register(app: typer.Typer) -> None:
    app.add_typer(audit_app, name="audit")


def _when(value: Optional[str]) -> Optional[str]:
    if value is None:
        return None
    try:
        return since_iso(value)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@audit_app.command("list")
def list_entries(
    actor: Optional[str] = typer.Option(None, help="Only this actor (a key id, or an OS user for admin)."),
    operation: Optional[str] = typer.Option(None, help="Only this operation, e.g. createRefund."),
    object_id: Optional[str] = typer.Option(None, "--object", help="Only changes to this object."),
    since: Optional[str] = typer.Option(None, help="From: 2h, 30m, 7d ago or an ISO-8601 time."),
    until: Optional[str] = typer.Option(None, help="To: 2h, 30m, 7d ago or an ISO-8601 time."),
    limit: int = typer.Option(20, min=1, max=100, help="How many, newest first."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """The merchant's audit log, newest first.

    Example: paygate audit list --operation createRefund --since 1d
    """
    client = connect(api_url, api_key, api_secret)
    page = call(client.audit_log, actor=actor, operation=operation, object_id=object_id, start=_when(since), end=_when(until), limit=limit)
    rows = [{**e, "actor": f"{e['actor']['type']}:{e['actor']['id']}" + (f" ({e['actor']['name']})" if e["actor"].get("name") else "")} for e in page["data"]]
    emit(page, json_out, table(rows, COLUMNS))


@audit_app.command("verify")
def verify(
    merchant: Optional[List[str]] = typer.Option(None, "--merchant", "-m", help="Only this merchant id (repeatable); default all."),
    json_out: bool = JsonOption,
):
    """Recompute every merchant's hash chain; name the first bad row of each broken one (admin).

    Exit 0 when every chain verifies, 1 when one does not.

    Example: paygate audit verify
    """
    bootstrap.start(settings_from())
    checked, breaks = db.read(audit.verify, list(merchant) if merchant else None)
    if json_out:
        print_json({"ok": not breaks, "checked": checked, "breaks": [b.__dict__ for b in breaks]})
    else:
        for b in breaks:
            where = f"row {b.seq} ({b.entry_id})" if b.entry_id else f"row {b.seq}"
            typer.echo(f"merchant {b.merchant_id}: first bad {where}: {b.reason}", err=True)
        typer.echo(f"{checked} audit rows checked: " + ("the chains verify" if not breaks else f"{len(breaks)} broken chain(s)"))
    if breaks:
        raise typer.Exit(1)
