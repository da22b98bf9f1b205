"""Ledger admin commands, straight to the database: ``paygate ledger verify|adjust`` and
``paygate merchants pricing``.

``ledger verify`` is the proof the README promises: it checks every invariant of the journal
over the whole database (or one merchant's rows) and exits 1 when one is violated, so a cron
job or CI step can alarm on it.
"""

from __future__ import annotations

from typing import Optional

import typer

from .. import bootstrap, db, fees, ledger
from ..display import money
from ..errors import PaygateError
from .admin import merchants_app
from .common import fail, print_json, settings_from
from .output import print_fields

ledger_app = typer.Typer(help="Prove and correct the ledger (admin, straight to the database).", no_args_is_help=True)
VIOLATION_EXIT = 1


def register(app: typer.Typer) -> None:
    app.add_typer(ledger_app, name="ledger")


@ledger_app.command("verify")
def verify(
    merchant: Optional[str] = typer.Option(None, "--merchant", help="Only this merchant's rows (its UUID)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Check every ledger invariant; exit 1 when one is violated.

    Entries sum to zero; balance transactions match their lines; every successful payment,
    processed refund and settlement has exactly its entries.

    Example: paygate ledger verify --json
    """
    bootstrap.start(settings_from(seed_test_merchant=False))
    violations = db.read(ledger.verify, merchant)
    if json_out:
        print_json({"ok": not violations, "violations": violations})
    elif violations:
        for line in violations:
            typer.echo(f"VIOLATION  {line}")
    else:
        typer.echo("ledger verified: every invariant holds")
    if violations:
        raise typer.Exit(VIOLATION_EXIT)


@ledger_app.command("adjust")
def adjust(
    merchant_id: str = typer.Argument(..., help="The merchant (its UUID)."),
    amount: int = typer.Option(..., help="Minor units, signed: -700 takes ₹7.00 from the balance."),
    currency: str = typer.Option("INR", help="ISO-4217 code."),
    reason: str = typer.Option(..., help="Why (kept on the entry's record)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Credit or debit a merchant's available balance with a new entry (entries are never edited).

    Example: paygate ledger adjust 6f1c…-… --amount -700 --reason "chargeback fee"
    """
    bootstrap.start(settings_from(seed_test_merchant=False))
    try:
        txn = db.unit_of_work(ledger.adjust, merchant_id, {"amount": amount, "currency": currency, "reason": reason})
    except PaygateError as exc:
        fail(exc)
    if json_out:
        print_json(txn)
        return
    typer.echo(f"Adjustment {txn['id']} of {money(txn['amount'], txn['currency'])} booked.")


@merchants_app.command("pricing")
def pricing(
    merchant_id: str = typer.Argument(..., help="The merchant (its UUID)."),
    method: Optional[str] = typer.Option(None, help="upi or card: set this method's price."),
    bps: Optional[int] = typer.Option(None, help="Percentage in basis points (200 = 2 %)."),
    fixed: Optional[int] = typer.Option(None, help="Fixed fee per payment, in minor units."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Show a merchant's fees, or set its own price for one method (overrides the defaults).

    Example: paygate merchants pricing 6f1c…-… --method card --bps 175 --fixed 300
    """
    bootstrap.start(settings_from(seed_test_merchant=False))
    try:
        if method is not None or bps is not None or fixed is not None:
            if method is None or bps is None or fixed is None:
                typer.echo("Error: --method, --bps and --fixed go together", err=True)
                raise typer.Exit(2)
            db.unit_of_work(fees.set_price, merchant_id, method, bps, fixed)
        prices = db.read(fees.prices_of, merchant_id)
    except PaygateError as exc:
        fail(exc)
    data = {m: {"percent_bps": p.percent_bps, "fixed": p.fixed} for m, p in prices.items()}
    if json_out:
        print_json(data)
        return
    print_fields([(m.upper(), f"{p.percent_bps // 100}.{p.percent_bps % 100:02d} % + {p.fixed} minor units") for m, p in prices.items()])
