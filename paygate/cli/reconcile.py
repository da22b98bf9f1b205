"""``paygate reconcile FILE``: compare a bank's settlement file with the ledger (admin, on the
database). Prints the count per class and each difference; exits 1 when anything is unmatched,
so a daily job can alarm on it. The result is stored either way."""

from __future__ import annotations

from pathlib import Path

import typer

from .. import bootstrap, db, reconcile
from ..errors import PaygateError
from .common import fail, print_json, settings_from
from .output import table

UNMATCHED_EXIT = 1


def register(app: typer.Typer) -> None:
    app.command("reconcile")(reconcile_file)


def reconcile_file(
    file: Path = typer.Argument(..., exists=True, dir_okay=False, readable=True, help="The bank's settlement file (CSV)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Match a bank settlement file against the ledger; exit 1 when anything is unmatched.

    Classes: matched, missing_in_bank, missing_in_ledger, amount_mismatch, late.

    Example: paygate reconcile .paygate/bank/setl_Q2w3E4r5T6y7U8i9.csv
    """
    bootstrap.start(settings_from(seed_test_merchant=False))
    try:
        rows = reconcile.parse_bank_file(file.read_text(encoding="utf-8-sig"))
        result = db.unit_of_work(reconcile.reconcile, rows, file.name)
    except PaygateError as exc:
        fail(exc)
    if json_out:
        print_json(result)
    else:
        typer.echo(f"Reconciliation {result['id']} of {file.name}: {result['rows']} row(s)")
        typer.echo(table([{"class": k, "count": v} for k, v in result["counts"].items()], [("class", "CLASS"), ("count", "COUNT")]))
        if result["differences"]:
            typer.echo("")
            typer.echo(table(result["differences"], [("status", "DIFFERENCE"), ("settlement_id", "SETTLEMENT"), ("transaction_id", "TRANSACTION"), ("bank_net", "BANK NET"), ("ledger_net", "LEDGER NET"), ("detail", "DETAIL")]))
    if result["unmatched"]:
        raise typer.Exit(UNMATCHED_EXIT)
