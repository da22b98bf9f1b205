"""``paygate refunds create|get|list``: refunds through the REST API, as a merchant's script would.

Amounts are integers of minor units on the command line (``--amount 50000`` is ₹500.00), shown
formatted in the payment's currency. Errors print the contract's description and exit non-zero.
"""

from __future__ import annotations

from typing import Optional

import typer

from ..client import ApiError, Client
from ..display import money
from .common import print_json
from .output import fetch_all, page_footer, print_fields, table
from .payments import utc_time
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

refunds_app = typer.Typer(help="Create and inspect refunds (through the REST API).", no_args_is_help=True)

REFUND_COLUMNS = [
    ("id", "ID"),
    ("payment_id", "PAYMENT"),
    ("status", "STATUS"),
    ("amount_text", "AMOUNT"),
    ("reason", "REASON"),
    ("created_at", "CREATED (UTC)"),
    ("processed_at", "PROCESSED (UTC)"),
]


def register(app: typer.Typer) -> None:
    app.add_typer(refunds_app, name="refunds")


def currencies(api: Client, payment_ids) -> dict[str, str]:
    """Currency of each payment (a refund is in its payment's currency); one lookup per payment."""
    found = {}
    for pid in dict.fromkeys(payment_ids):
        try:
            found[pid] = api.payment(pid).get("currency", "INR")
        except ApiError:
            found[pid] = "INR"
    return found


def show_refund(r: dict, currency: str) -> None:
    print_fields(
        [
            ("ID", r["id"]),
            ("Payment", r["payment_id"]),
            ("Status", r["status"]),
            ("Amount", money(r["amount"], currency)),
            ("Reason", r.get("reason")),
            ("Created (UTC)", r.get("created_at")),
            ("Processed (UTC)", r.get("processed_at")),
        ]
    )


@refunds_app.command("create")
def create(
    payment_id: str = typer.Argument(..., help="The payment to refund (pay_…); it must be success or partially_refunded."),
    amount: int = typer.Option(..., help="Amount in minor units (paise): 50000 is ₹500.00."),
    reason: Optional[str] = typer.Option(None, help="Why, in any language (up to 500 characters)."),
    idempotency_key: Optional[str] = typer.Option(None, "--idempotency-key", help="Makes a retried command safe: one refund per key."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Refund all or part of a payment. The refund is pending until the bank processes it.

    Example: paygate refunds create pay_H8sK2LmN4pQr6TuV --amount 25000 --reason "damaged in transit"
    """
    api = connect(api_url, api_key, api_secret)
    refund = call(api.create_refund, payment_id, amount, reason, idempotency_key=idempotency_key)
    if json_out:
        print_json(refund)
        return
    currency = currencies(api, [payment_id])[payment_id]
    typer.echo(f"Refund {refund['id']} of {money(refund['amount'], currency)} created ({refund['status']}).")
    show_refund(refund, currency)


@refunds_app.command("get")
def get(
    refund_id: str = typer.Argument(..., help="A refund id (rfnd_…)."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Show one refund.

    Example: paygate refunds get rfnd_Q2w3E4r5T6y7U8i9
    """
    api = connect(api_url, api_key, api_secret)
    refund = call(api.refund, refund_id)
    if json_out:
        print_json(refund)
        return
    show_refund(refund, currencies(api, [refund["payment_id"]])[refund["payment_id"]])


@refunds_app.command("list")
def list_(
    payment: Optional[str] = typer.Option(None, "--payment", help="Only refunds of this payment (pay_…)."),
    status: Optional[str] = typer.Option(None, help="pending, processed or failed."),
    since: Optional[str] = typer.Option(None, "--from", help="Created at or after (ISO-8601, UTC)."),
    until: Optional[str] = typer.Option(None, "--to", help="Created at or before (ISO-8601, UTC)."),
    limit: int = typer.Option(10, help="Rows per page (1–100)."),
    offset: int = typer.Option(0, help="Rows to skip (up to 10,000)."),
    all_: bool = typer.Option(False, "--all", help="Every matching refund, paged by cursor, with progress on stderr."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """List refunds, newest first.

    Example: paygate refunds list --payment pay_H8sK2LmN4pQr6TuV --status processed
    """
    api = connect(api_url, api_key, api_secret)
    filters = {"payment_id": payment, "status": status, "start": utc_time(since), "end": utc_time(until)}
    if all_:
        page = call(fetch_all, lambda on_page: api.iter_refunds(**filters, on_page=on_page), "refunds")
    else:
        page = call(api.refunds, **filters, limit=limit, offset=offset)
    if json_out:
        print_json(page)
        return
    if page["data"]:
        cur = currencies(api, [r["payment_id"] for r in page["data"]])
        rows = [{**r, "amount_text": money(r["amount"], cur[r["payment_id"]])} for r in page["data"]]
        typer.echo(table(rows, REFUND_COLUMNS))
    typer.echo(page_footer(page, "refunds"))
