"""``paygate payments list|get|capture``: the merchant's payments, through the REST API.

Talks HTTP exactly as a merchant's script would (through ``paygate.client``); tables
for people, ``--json`` for machines, the contract's error description and a non-zero exit on
any error.
"""

from __future__ import annotations

import re
from typing import Optional

import typer

from ..display import instrument, money
from .common import print_json
from .output import fetch_all, page_footer, print_fields, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

payments_app = typer.Typer(help="Inspect and capture payments (through the REST API).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(payments_app, name="payments")


_NAIVE_TIME = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}[Tt ][0-9]{2}:[0-9]{2}:[0-9]{2}(\.[0-9]+)?\Z")


def utc_time(value: str | None) -> str | None:
    """A ``--from``/``--to`` as the API takes it: a time without an offset is UTC, so say so."""
    if value is not None and _NAIVE_TIME.match(value.strip()):
        return value.strip().replace(" ", "T") + "Z"
    return value


def payment_row(p: dict) -> dict:
    return {
        **p,
        "amount_text": money(p["amount"], p.get("currency", "INR")),
        "instrument": instrument(p),
        "captured_text": "yes" if p.get("captured") else "no",
    }


PAYMENT_COLUMNS = [
    ("id", "ID"),
    ("status", "STATUS"),
    ("amount_text", "AMOUNT"),
    ("method", "METHOD"),
    ("instrument", "INSTRUMENT"),
    ("captured_text", "CAPTURED"),
    ("created_at", "CREATED (UTC)"),
]


@payments_app.command("list")
def list_(
    status: Optional[str] = typer.Option(None, help="pending, success, failed, partially_refunded or refunded."),
    method: Optional[str] = typer.Option(None, help="upi or card."),
    since: Optional[str] = typer.Option(None, "--from", help="Created at or after (ISO-8601, UTC)."),
    until: Optional[str] = typer.Option(None, "--to", help="Created at or before (ISO-8601, UTC)."),
    order_id: Optional[str] = typer.Option(None, "--order-id", help="Payments of one order (order_…)."),
    receipt: Optional[str] = typer.Option(None, help="The order's receipt, exactly."),
    vpa: Optional[str] = typer.Option(None, help="The UPI VPA paid with, exactly."),
    card_last4: Optional[str] = typer.Option(None, "--card-last4", help="The card's last 4 digits."),
    amount: Optional[int] = typer.Option(None, help="Exactly this amount (minor units: paise)."),
    amount_gte: Optional[int] = typer.Option(None, "--amount-gte", help="At least this amount (paise)."),
    amount_lte: Optional[int] = typer.Option(None, "--amount-lte", help="At most this amount (paise)."),
    q: Optional[str] = typer.Option(None, "--search", "-q", help="Free text across receipt, VPA, card last 4, amount as shown (₹499.00) and ids."),
    limit: int = typer.Option(10, help="Rows per page (1–100)."),
    starting_after: Optional[str] = typer.Option(None, "--starting-after", help="The page after this payment id (the last one shown)."),
    offset: Optional[int] = typer.Option(None, help="Rows to skip (up to 10,000; deeper, use --starting-after)."),
    all_: bool = typer.Option(False, "--all", help="Every matching payment, paged by cursor, with progress on stderr."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """List payments, newest first (ties broken by id), filtered the way you remember them.

    Example: paygate payments list --status success --limit 20
    Example: paygate payments list -q kiran --amount-gte 10000 --all --json > kiran.json
    """
    api = connect(api_url, api_key, api_secret)
    filters = {"status": status, "method": method, "start": utc_time(since), "end": utc_time(until), "order_id": order_id, "receipt": receipt,
               "vpa": vpa, "card_last4": card_last4, "amount": amount, "amount_gte": amount_gte, "amount_lte": amount_lte, "q": q}  # fmt: skip
    filters = {k: v for k, v in filters.items() if v is not None}
    if all_:
        page = call(fetch_all, lambda on_page: api.iter_payments(**filters, on_page=on_page), "payments")
    else:
        page = call(api.payments, **filters, limit=limit, offset=offset, starting_after=starting_after)
    if json_out:
        print_json(page)
        return
    if page["data"]:
        typer.echo(table([payment_row(p) for p in page["data"]], PAYMENT_COLUMNS))
    typer.echo(page_footer(page, "payments"))


@payments_app.command("get")
def get(
    payment_id: str = typer.Argument(..., help="A payment id (pay_…)."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Show one payment and its refunds.

    Example: paygate payments get pay_H8sK2LmN4pQr6TuV
    """
    api = connect(api_url, api_key, api_secret)
    payment = call(api.payment, payment_id)
    if json_out:
        print_json(payment)
        return
    refunds = call(api.refunds, payment_id=payment_id, limit=100)
    show_payment(payment)
    currency = payment.get("currency", "INR")
    if refunds["data"]:
        typer.echo("")
        typer.echo(f"Refunds ({refunds['total']}):")
        rows = [{**r, "amount_text": money(r["amount"], currency)} for r in refunds["data"]]
        typer.echo(table(rows, [("id", "ID"), ("status", "STATUS"), ("amount_text", "AMOUNT"), ("reason", "REASON"), ("created_at", "CREATED (UTC)")]))


def _captured_text(p: dict) -> str:
    if not p.get("captured"):
        return "no"
    taken = p.get("captured_amount")
    if taken is None or taken == p["amount"]:
        return "yes"
    return f"yes, {money(taken, p.get('currency', 'INR'))} (the rest released)"


def show_payment(p: dict) -> None:
    pairs = [
        ("ID", p["id"]),
        ("Order", p.get("order_id")),
        ("Status", p["status"]),
        ("Amount", money(p["amount"], p.get("currency", "INR"))),
        ("Method", p.get("method")),
        ("Instrument", instrument(p)),
        ("Captured", _captured_text(p)),
    ]
    if p.get("error_code"):
        pairs.append(("Error", f"{p['error_code']}: {p.get('error_description') or ''}".strip()))
    pairs += [("Created (UTC)", p.get("created_at")), ("Updated (UTC)", p.get("updated_at"))]
    print_fields(pairs)


@payments_app.command("capture")
def capture(
    payment_id: str = typer.Argument(..., help="A successful, not yet captured payment (pay_…)."),
    amount: Optional[int] = typer.Option(None, help="Amount to capture in minor units (paise); default the whole amount."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Capture a successful payment.

    Example: paygate payments capture pay_H8sK2LmN4pQr6TuV
    """
    payment = call(connect(api_url, api_key, api_secret).capture_payment, payment_id, amount)
    if json_out:
        print_json(payment)
        return
    typer.echo(f"Captured {payment['id']} ({money(payment['amount'], payment.get('currency', 'INR'))}).")
