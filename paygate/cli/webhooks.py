"""Webhook ops verbs, through the API like a merchant's script: ``webhooks``, ``events``,
``listen`` (follow events and forward them, signed, to a local URL) and ``trigger``.

Output: a table for people, ``--json`` for scripts; diagnostics go to stderr.
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Optional

import requests
import typer

from .. import events as event_types
from ..signing import signature_headers
from ..client import ApiError
from ..instruments import DECLINED_CARD, SUCCESS_CARD
from .output import emit, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

webhooks_app = typer.Typer(help="Webhook deliveries: the log, retries, test events and settings.", no_args_is_help=True)
events_app = typer.Typer(help="The event stream (what happened, in order).", no_args_is_help=True)

DELIVERY_COLUMNS = [("id", "ID"), ("event", "EVENT"), ("status", "STATUS"), ("attempts", "ATTEMPTS"), ("response_code", "CODE"), ("created_at", "CREATED"), ("last_attempt_at", "LAST ATTEMPT")]
ATTEMPT_COLUMNS = [("number", "#"), ("attempted_at", "AT"), ("response_code", "CODE"), ("duration_ms", "MS"), ("error", "ERROR")]
EVENT_COLUMNS = [("id", "ID"), ("event", "EVENT"), ("object_id", "OBJECT"), ("created_at", "CREATED")]


# --- paygate webhooks ... ------------------------------------------------------------------


@webhooks_app.command("list")
def list_deliveries(
    status: Optional[str] = typer.Option(None, help="pending, success or failed."),
    event: Optional[str] = typer.Option(None, help="Only this event type, e.g. payment.success."),
    limit: int = typer.Option(10, help="At most this many (≤ 100)."),
    offset: int = typer.Option(0, help="Skip this many (newest first)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """List webhook deliveries, newest first.

    Example: paygate webhooks list --status failed
    """
    page = call(connect(api_url, api_key, api_secret).deliveries, status=status, event=event, limit=limit, offset=offset)
    emit(page, json_out, table(page["data"], DELIVERY_COLUMNS) + f"\n{len(page['data'])} of {page['total']}")


@webhooks_app.command("get")
def get_delivery(
    delivery_id: str = typer.Argument(..., help="The delivery (webhook log) id."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Show one delivery and every attempt made.

    Example: paygate webhooks get 3f1c…
    """
    d = call(connect(api_url, api_key, api_secret).delivery, delivery_id)
    head = "\n".join(f"{k}: {'' if d.get(k) is None else d.get(k)}" for k in ("id", "event", "event_id", "url", "status", "attempts", "next_retry_at"))
    emit(d, json_out, head + "\n\n" + table(d.get("attempt_log", []), ATTEMPT_COLUMNS))


@webhooks_app.command("retry")
def retry_delivery(
    delivery_id: str = typer.Argument(..., help="The delivery (webhook log) id."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Send a delivery again now, with a fresh set of attempts.

    Example: paygate webhooks retry 3f1c…
    """
    r = call(connect(api_url, api_key, api_secret).retry_delivery, delivery_id)
    emit(r, json_out, f"{r['message']}: {r['id']} ({r['status']})")


@webhooks_app.command("test")
def send_test(
    data: Optional[str] = typer.Option(None, help='The event\'s data, a JSON object (default: a greeting).'),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Send a webhook.test event to the configured webhook URL.

    Example: paygate webhooks test --data '{"hello":"world"}'
    """
    payload = None
    if data is not None:
        try:
            payload = json.loads(data)
        except ValueError:
            typer.echo("Error: --data must be a JSON object", err=True)
            raise typer.Exit(2) from None
    r = call(connect(api_url, api_key, api_secret).send_test_webhook, payload)
    emit(r, json_out, f"webhook.test {r['event_id']} queued as delivery {r['id']} to {r['url']}")


@webhooks_app.command("set-url")
def set_url(
    url: str = typer.Argument(..., help='An http(s) URL, or "none" to stop deliveries.'),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Set (or clear) the merchant's webhook URL.

    Example: paygate webhooks set-url https://shop.example/webhooks
    """
    value = None if url.lower() in ("none", "null", "") else url
    m = call(connect(api_url, api_key, api_secret).set_webhook_url, value)
    emit(m, json_out, f"webhook_url: {m['webhook_url'] or '(none: events are recorded, not delivered)'}")


@webhooks_app.command("rotate-secret")
def rotate_secret(
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Generate a new webhook signing secret (printed once; every send from now on uses it).

    Example: paygate webhooks rotate-secret
    """
    r = call(connect(api_url, api_key, api_secret).rotate_webhook_secret)
    emit(r, json_out, f"new webhook secret: {r['webhook_secret']}")


# --- paygate events list -------------------------------------------------------------------


@events_app.command("list")
def list_events(
    type_: Optional[str] = typer.Option(None, "--type", help="Only this event type."),
    after: Optional[str] = typer.Option(None, help="Events after this event id, oldest first."),
    limit: int = typer.Option(10, help="At most this many (≤ 100)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """List events, newest first (or those after a cursor).

    Example: paygate events list --type payment.success
    """
    page = call(connect(api_url, api_key, api_secret).events, type=type_, after=after, limit=limit)
    emit(page, json_out, table(page["data"], EVENT_COLUMNS))


# --- paygate listen ------------------------------------------------------------------------


def _forward(session: requests.Session, url: str, secret: str, event: dict) -> str:
    body = event_types.build_body(event["id"], event["event"], event["timestamp"], event["data"]).encode("utf-8")
    headers = {"Content-Type": "application/json", **signature_headers(secret, event["id"], body, int(time.time()))}
    try:
        r = session.post(url, data=body, headers=headers, timeout=5, allow_redirects=False)
        return f"[{r.status_code}]"
    except requests.RequestException as exc:
        return f"[ERROR] {type(exc).__name__}"


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def listen(
    forward_to: str = typer.Option(..., "--forward-to", "-f", help="Local URL that receives each event, signed."),
    events: Optional[str] = typer.Option(None, help="Comma-separated event types to forward (default: all)."),
    interval: float = typer.Option(0.5, help="Seconds between polls."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Follow new events and forward each one, signed with your webhook secret, to a local URL.

    Example: paygate listen --forward-to http://localhost:4242/webhooks
    """
    api = connect(api_url, api_key, api_secret)
    wanted = {e.strip() for e in events.split(",")} if events else None
    secret = call(api.webhook_secret)["webhook_secret"]
    newest = call(api.events, limit=1)["data"]
    cursor = newest[0]["id"] if newest else None
    session = requests.Session()
    session.trust_env = False
    typer.echo(f"Ready! Forwarding events to {forward_to} (^C to quit)")
    try:
        while True:
            try:
                if cursor:
                    page = api.events(after=cursor, limit=100)["data"]
                else:
                    page = list(reversed(api.events(limit=100)["data"]))
            except ApiError as exc:
                typer.echo(f"{_stamp()}  poll failed: {exc.description}; retrying", err=True)
                time.sleep(max(interval, 1.0))
                continue
            for event in page:
                cursor = event["id"]
                if wanted and event["event"] not in wanted:
                    continue
                status = _forward(session, forward_to, secret, event)
                typer.echo(f"{_stamp()}   --> {event['event']} [{event['id']}]  <-- {status} POST {forward_to}")
            if not page:
                time.sleep(interval)
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)


# --- paygate trigger -----------------------------------------------------------------------


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
        result = _payment(api, amount, SUCCESS_CARD, ("success", "failed"), timeout)
    elif event == event_types.PAYMENT_FAILED:
        result = _payment(api, amount, DECLINED_CARD, ("success", "failed"), timeout)
    else:
        payment = _payment(api, amount, SUCCESS_CARD, ("success", "failed"), timeout)
        if payment["status"] != "success":
            typer.echo(f"Error: payment {payment['id']} is {payment['status']}, cannot refund", err=True)
            raise typer.Exit(1)
        result = call(api.create_refund, payment["id"], amount, "paygate trigger")
        typer.echo(f"Setting up fixture: refund {result['id']}", err=True)
        if event == event_types.REFUND_PROCESSED:
            result = _wait(api.refund, result["id"], ("processed", "failed"), timeout)
    expected = {event_types.PAYMENT_SUCCESS: "success", event_types.PAYMENT_FAILED: "failed", event_types.REFUND_PROCESSED: "processed"}.get(event)
    if expected and result.get("status") != expected:
        typer.echo(f"Error: {result.get('id')} is {result.get('status')}, expected {expected} within {timeout:g}s", err=True)
        raise typer.Exit(1)
    emit(result, json_out, f"Trigger succeeded! {event} ({result.get('id')})")


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")
    app.add_typer(events_app, name="events")
    app.command("listen")(listen)
    app.command("trigger")(trigger)
