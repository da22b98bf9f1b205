"""``paygate settlements list|show|run``: payouts of the balance to the merchant's bank.

``list`` and ``show`` go through the REST API as a merchant's script would; ``run`` is an admin
command on the database (like ``migrate``): it settles every merchant's available balance now,
exactly as the workers' due loop does on its schedule, and is safe beside it (each balance
transaction is paid once, whoever runs).
"""

from __future__ import annotations

from typing import Optional

import typer

from .. import bootstrap, settlements
from ..display import money
from ..processor import SimulatedBank
from .balance import TRANSACTION_COLUMNS, transaction_rows
from .common import print_json, settings_from
from .output import print_fields, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

settlements_app = typer.Typer(help="Payouts of your available balance to your bank.", no_args_is_help=True)

SETTLEMENT_COLUMNS = [
    ("id", "ID"),
    ("status", "STATUS"),
    ("amount_text", "AMOUNT"),
    ("bank_reference", "BANK REFERENCE"),
    ("failure_code", "FAILURE"),
    ("created_at", "CREATED (UTC)"),
    ("processed_at", "PROCESSED (UTC)"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(settlements_app, name="settlements")


def _rows(items: list[dict]) -> list[dict]:
    return [{**s, "amount_text": money(s["amount"], s["currency"])} for s in items]


@settlements_app.command("list")
def list_(
    status: Optional[str] = typer.Option(None, help="created, processed or failed."),
    limit: int = typer.Option(10, min=1, max=100, help="Rows per page (1–100)."),
    starting_after: Optional[str] = typer.Option(None, "--starting-after", help="The next page: the last id shown."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """List settlements, newest first.

    Example: paygate settlements list --status processed
    """
    api = connect(api_url, api_key, api_secret)
    page = call(api.settlements, status=status, limit=limit, starting_after=starting_after)
    if json_out:
        print_json(page)
        return
    if page["data"]:
        typer.echo(table(_rows(page["data"]), SETTLEMENT_COLUMNS))
    else:
        typer.echo("No settlements found.")
    if page["has_more"]:
        typer.echo(f"More: paygate settlements list --starting-after {page['data'][-1]['id']}")


@settlements_app.command("show")
def show(
    settlement_id: str = typer.Argument(..., help="A settlement id (setl_…)."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Show one settlement and the balance transactions it paid.

    Example: paygate settlements show setl_Q2w3E4r5T6y7U8i9
    """
    api = connect(api_url, api_key, api_secret)
    s = call(api.settlement, settlement_id)
    if json_out:
        print_json(s)
        return
    print_fields(
        [
            ("ID", s["id"]),
            ("Status", s["status"]),
            ("Amount", money(s["amount"], s["currency"])),
            ("Bank reference", s.get("bank_reference")),
            ("Failure", s.get("failure_code")),
            ("Created (UTC)", s.get("created_at")),
            ("Processed (UTC)", s.get("processed_at")),
        ]
    )
    if s["lines"]["data"]:
        typer.echo("")
        typer.echo(table(transaction_rows(s["lines"]), TRANSACTION_COLUMNS))
    if s["lines"]["has_more"]:
        typer.echo(f"More: GET /api/v1/balance_transactions?settlement_id={s['id']}")


@settlements_app.command("run")
def run(json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """Settle every merchant's available balance now (admin, straight to the database).

    Example: DATABASE_URL=postgresql://… paygate settlements run
    """
    settings = settings_from(seed_test_merchant=False)
    bootstrap.start(settings)
    created = [o.data for o in settlements.run_settlements(SimulatedBank(settings))]
    if json_out:
        print_json({"object": "list", "data": created, "has_more": False})
        return
    if created:
        typer.echo(table(_rows(created), SETTLEMENT_COLUMNS))
    typer.echo(f"{len(created)} settlement(s) created.")
