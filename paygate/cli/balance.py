"""``paygate balance``: the merchant's money through the REST API, as a merchant's script would.

Shows available, pending and in-transit amounts per currency, and (``--transactions N``) the
newest balance transactions with their fee and net.
"""

from __future__ import annotations

from typing import Optional

import typer

from ..display import money
from .common import print_json
from .output import table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

TRANSACTION_COLUMNS = [
    ("id", "ID"),
    ("type", "TYPE"),
    ("source", "SOURCE"),
    ("amount_text", "AMOUNT"),
    ("fee_text", "FEE"),
    ("net_text", "NET"),
    ("status", "STATUS"),
    ("available_on", "AVAILABLE ON (UTC)"),
]


def register(app: typer.Typer) -> None:
    app.command("balance")(balance)


def balance_rows(data: dict) -> list[dict]:
    """One row per currency: available, pending and in transit side by side."""
    rows: dict[str, dict] = {}
    for kind in ("available", "pending", "in_transit"):
        for item in data.get(kind, []):
            rows.setdefault(item["currency"], {"currency": item["currency"]})[kind] = money(item["amount"], item["currency"])
    return list(rows.values())


def transaction_rows(page: dict) -> list[dict]:
    return [{**t, **{f"{k}_text": money(t[k], t["currency"]) for k in ("amount", "fee", "net")}} for t in page["data"]]


def balance(
    transactions: int = typer.Option(0, "--transactions", min=0, max=100, help="Also list this many newest balance transactions (0–100)."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Show how much money is available, pending and on its way to your bank.

    Example: paygate balance --transactions 10
    """
    api = connect(api_url, api_key, api_secret)
    data = call(api.balance)
    page = call(api.balance_transactions, limit=transactions) if transactions else None
    if json_out:
        print_json({**data, "transactions": page} if page is not None else data)
        return
    rows = balance_rows(data)
    if rows:
        typer.echo(table(rows, [("currency", "CURRENCY"), ("available", "AVAILABLE"), ("pending", "PENDING"), ("in_transit", "IN TRANSIT")]))
    else:
        typer.echo("No money has moved yet.")
    if page is not None and page["data"]:
        typer.echo("")
        typer.echo(table(transaction_rows(page), TRANSACTION_COLUMNS))
