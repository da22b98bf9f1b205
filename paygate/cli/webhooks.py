"""``paygate webhooks …``: the delivery log, retries, test events, the URL and the signing secret.

Through the API like a merchant's script; a table for people, ``--json`` for scripts,
diagnostics on stderr.
"""

from __future__ import annotations

import json
from typing import Optional

import typer

from .output import emit, fetch_all, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

webhooks_app = typer.Typer(help="Webhook deliveries: the log, retries, test events and settings.", no_args_is_help=True)

DELIVERY_COLUMNS = [("id", "ID"), ("event", "EVENT"), ("status", "STATUS"), ("attempts", "ATTEMPTS"), ("response_code", "CODE"), ("created_at", "CREATED"), ("last_attempt_at", "LAST ATTEMPT")]
ATTEMPT_COLUMNS = [("number", "#"), ("attempted_at", "AT"), ("response_code", "CODE"), ("duration_ms", "MS"), ("error", "ERROR")]


def register(app: typer.Typer) -> None:
    app.add_typer(webhooks_app, name="webhooks")


@webhooks_app.command("list")
def list_deliveries(
    status: Optional[str] = typer.Option(None, help="pending, success or failed."),
    event: Optional[str] = typer.Option(None, help="Only this event type, e.g. payment.success."),
    limit: int = typer.Option(10, help="At most this many (≤ 100)."),
    offset: int = typer.Option(0, help="Skip this many (newest first; up to 10,000)."),
    all_: bool = typer.Option(False, "--all", help="Every matching delivery, paged by cursor, with progress on stderr."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """List webhook deliveries, newest first.

    Example: paygate webhooks list --status failed
    """
    api = connect(api_url, api_key, api_secret)
    if all_:
        page = call(fetch_all, lambda on_page: api.iter_deliveries(status=status, event=event, on_page=on_page), "deliveries")
    else:
        page = call(api.deliveries, status=status, event=event, limit=limit, offset=offset)
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
    expire_previous_in: Optional[int] = typer.Option(None, "--expire-previous-in", min=0, help="Seconds the old secret keeps signing beside the new one (default 86400; 0: at once)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Generate a new webhook signing secret; the old one keeps signing beside it for a day.

    Example: paygate webhooks rotate-secret --expire-previous-in 3600
    """
    r = call(connect(api_url, api_key, api_secret).rotate_webhook_secret, expire_previous_in)
    until = r.get("previous_secret_expires_at")
    emit(r, json_out, f"new webhook secret: {r['webhook_secret']}" + (f"\nthe previous secret signs beside it until {until}" if until else ""))
