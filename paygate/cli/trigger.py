"""``paygate trigger EVENT``: make an event happen, by creating its objects through the API.

Uses the deterministic test instruments (``paygate.instruments``), so the outcome is known;
fixture steps are reported on stderr, the result on stdout (``--json`` for scripts).
"""

from __future__ import annotations

import time
from datetime import datetime, timezone
from typing import Optional

import typer

from .. import events as event_types
from ..instruments import DECLINED_CARD, SUCCESS_CARD
from ..states import PaymentStatus, RefundStatus
from .output import emit
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

SETTLED = (PaymentStatus.SUCCESS, PaymentStatus.FAILED)


def register(app: typer.Typer) -> None:
    app.command("trigger")(trigger)


def _card(number: str) -> dict:
    return {"number": number, "expiry_month": 12, "expiry_year": datetime.now(timezone.utc).year + 5, "cvv": "123", "holder_name": "Paygate Trigger"}


def _wait(fetch, object_id: str, statuses: tuple, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        obj = call(fetch, object_id)
        if obj["status"] in statuses or time.monotonic() > deadline:
            return obj
        time.sleep(0.3)


def _payment(api, amount: int, card: str, wait_for: tuple | None, timeout: float) -> dict:
    order = call(api.create_order, amount, receipt="paygate-trigger")
    typer.echo(f"Setting up fixture: order {order['id']}", err=True)
    payment = call(api.create_payment, order["id"], card=_card(card))
    typer.echo(f"Setting up fixture: payment {payment['id']}", err=True)
    return _wait(api.payment, payment["id"], wait_for, timeout) if wait_for else payment


TRIGGERS = (
    event_types.PAYMENT_CREATED,
    event_types.PAYMENT_PENDING,
    event_types.PAYMENT_SUCCESS,
    event_types.PAYMENT_FAILED,
    event_types.REFUND_CREATED,
    event_types.REFUND_PROCESSED,
    event_types.WEBHOOK_TEST,
)


def trigger(
    event: str = typer.Argument(..., help="One of: " + ", ".join(TRIGGERS)),
    amount: int = typer.Option(50000, help="Order amount in minor units (paise)."),
    timeout: float = typer.Option(60.0, help="Seconds to wait for the event to happen."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Create the objects that make EVENT happen (test instruments, through the API).

    Example: paygate trigger payment.success
    """
    if event not in TRIGGERS:
        typer.echo(f"Error: unknown event {event!r}; one of: {', '.join(TRIGGERS)}", err=True)
        raise typer.Exit(2)
    api = connect(api_url, api_key, api_secret)
    if event == event_types.WEBHOOK_TEST:
        result = call(api.send_test_webhook)
    elif event in (event_types.PAYMENT_CREATED, event_types.PAYMENT_PENDING):
        result = _payment(api, amount, SUCCESS_CARD, None, timeout)
    elif event == event_types.PAYMENT_SUCCESS:
        result = _payment(api, amount, SUCCESS_CARD, SETTLED, timeout)
    elif event == event_types.PAYMENT_FAILED:
        result = _payment(api, amount, DECLINED_CARD, SETTLED, timeout)
    else:
        payment = _payment(api, amount, SUCCESS_CARD, SETTLED, timeout)
        if payment["status"] != PaymentStatus.SUCCESS:
            typer.echo(f"Error: payment {payment['id']} is {payment['status']}, cannot refund", err=True)
            raise typer.Exit(1)
        result = call(api.create_refund, payment["id"], amount, "paygate trigger")
        typer.echo(f"Setting up fixture: refund {result['id']}", err=True)
        if event == event_types.REFUND_PROCESSED:
            result = _wait(api.refund, result["id"], (RefundStatus.PROCESSED, RefundStatus.FAILED), timeout)
    expected = {event_types.PAYMENT_SUCCESS: PaymentStatus.SUCCESS, event_types.PAYMENT_FAILED: PaymentStatus.FAILED, event_types.REFUND_PROCESSED: RefundStatus.PROCESSED}.get(event)
    if expected and result.get("status") != expected:
        typer.echo(f"Error: {result.get('id')} is {result.get('status')}, expected {expected} within {timeout:g}s", err=True)
        raise typer.Exit(1)
    emit(result, json_out, f"Trigger succeeded! {event} ({result.get('id')})")
