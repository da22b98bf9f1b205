"""``paygate endpoints create|list|get|update|delete|rotate-secret|replay``: webhook endpoints
through the API, like a merchant's script. A table for people, ``--json`` for scripts; progress
and diagnostics go to stderr.
"""

from __future__ import annotations

import sys
import time
from datetime import datetime
from typing import List, Optional

import typer

from ..client import since_iso
from .output import emit, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

endpoints_app = typer.Typer(help="Webhook endpoints: several destinations, each with an event filter and its own secret.", no_args_is_help=True)

ENDPOINT_COLUMNS = [("id", "ID"), ("status", "STATUS"), ("url", "URL"), ("enabled_events", "EVENTS"), ("success", "24H OK"), ("last_error", "LAST ERROR")]


def _row(e: dict) -> dict:
    health = e.get("health") or {}
    rate = health.get("success_rate_24h")
    ok = "-" if rate is None else f"{health.get('succeeded_24h')}/{health.get('deliveries_24h')} ({rate:.0%})"
    events = ",".join(e.get("enabled_events") or [])
    return {**e, "enabled_events": events, "success": ok, "last_error": health.get("last_error"), "status": e["status"] + (" (default)" if e.get("default") else "")}


def _details(e: dict) -> str:
    keys = ("id", "url", "description", "enabled_events", "status", "created_at", "disabled_at", "failing_since", "previous_secret_expires_at")
    lines = [f"{k}: {'' if e.get(k) is None else (','.join(e[k]) if isinstance(e[k], list) else e[k])}" for k in keys]
    if e.get("secret"):
        lines.append(f"secret: {e['secret']}  (shown once: store it now)")
    health = e.get("health")
    if health:
        lines.append("health (24 h): " + ", ".join(f"{k}={v}" for k, v in health.items()))
    return "\n".join(lines)


def parse_since(value: str, now: datetime | None = None) -> str:
    """``2h``/``30m``/``7d``/``90s`` ago, or an ISO-8601 time, as ISO-8601 UTC."""
    try:
        return since_iso(value, now)
    except ValueError as exc:
        raise typer.BadParameter(str(exc)) from None


@endpoints_app.command("create")
def create(
    url: str = typer.Argument(..., help="Where to POST events (http or https)."),
    events: List[str] = typer.Option(["*"], "--event", "-e", help="An event type, a prefix such as payment.*, or * (repeatable)."),
    description: Optional[str] = typer.Option(None, help="What this endpoint is for."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Add a webhook endpoint; prints its signing secret (shown this once).

    Example: paygate endpoints create https://orders.example.com/hooks -e 'payment.*'
    """
    body = {"url": url, "enabled_events": list(events)}
    if description is not None:
        body["description"] = description
    made = call(connect(api_url, api_key, api_secret).create_webhook_endpoint, **body)
    emit(made, json_out, _details(made))


@endpoints_app.command("list")
def list_endpoints(
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """List the endpoints (the default one, the merchant's webhook_url, first) with their health.

    Example: paygate endpoints list
    """
    page = call(connect(api_url, api_key, api_secret).webhook_endpoints, limit=100)
    emit(page, json_out, table([_row(e) for e in page["data"]], ENDPOINT_COLUMNS) + f"\n{len(page['data'])} of {page['total']}")


@endpoints_app.command("get")
def get(
    endpoint_id: str = typer.Argument(..., help="The endpoint id (we_…)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Show one endpoint and its health over the last 24 h.

    Example: paygate endpoints get we_…
    """
    e = call(connect(api_url, api_key, api_secret).webhook_endpoint, endpoint_id)
    emit(e, json_out, _details(e))


@endpoints_app.command("update")
def update(
    endpoint_id: str = typer.Argument(..., help="The endpoint id (we_…)."),
    url: Optional[str] = typer.Option(None, help="A new URL."),
    events: Optional[List[str]] = typer.Option(None, "--event", "-e", help="Replace the filter (repeatable)."),
    description: Optional[str] = typer.Option(None, help="A new description."),
    enable: bool = typer.Option(False, "--enable", help="Enable it (what was skipped is not resent; see replay)."),
    disable: bool = typer.Option(False, "--disable", help="Disable it: its pending deliveries stop."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Change an endpoint's URL, filter, description or status.

    Example: paygate endpoints update we_… --disable
    """
    if enable and disable:
        raise typer.BadParameter("--enable and --disable together")
    body: dict = {}
    if url is not None:
        body["url"] = url
    if events:
        body["enabled_events"] = list(events)
    if description is not None:
        body["description"] = description
    if enable or disable:
        body["status"] = "enabled" if enable else "disabled"
    if not body:
        raise typer.BadParameter("nothing to change: pass --url, --event, --description, --enable or --disable")
    e = call(connect(api_url, api_key, api_secret).update_webhook_endpoint, endpoint_id, **body)
    emit(e, json_out, _details(e))


@endpoints_app.command("delete")
def delete(
    endpoint_id: str = typer.Argument(..., help="The endpoint id (we_…)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Delete an endpoint; its delivery log stays.

    Example: paygate endpoints delete we_…
    """
    gone = call(connect(api_url, api_key, api_secret).delete_webhook_endpoint, endpoint_id)
    emit(gone, json_out, f"deleted {gone['id']}")


@endpoints_app.command("rotate-secret")
def rotate_secret(
    endpoint_id: str = typer.Argument(..., help="The endpoint id (we_…)."),
    expire_previous_in: int = typer.Option(86400, help="Seconds the old secret keeps signing beside the new one (0: now)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """A new signing secret; deliveries carry both signatures until the old one expires.

    Example: paygate endpoints rotate-secret we_… --expire-previous-in 3600
    """
    e = call(connect(api_url, api_key, api_secret).rotate_webhook_endpoint_secret, endpoint_id, expire_previous_in)
    emit(e, json_out, _details(e))


def _pending(api, endpoint_id: str) -> int:
    return api.deliveries(endpoint_id=endpoint_id, status="pending", limit=1)["total"]


@endpoints_app.command("replay")
def replay(
    endpoint_id: str = typer.Argument(..., help="The endpoint id (we_…)."),
    since: str = typer.Option(..., help="From when: 2h, 30m, 7d, or an ISO-8601 time."),
    until: Optional[str] = typer.Option(None, help="Up to when (same forms); default now."),
    status: str = typer.Option("failed", help="Which deliveries: failed, success or any."),
    wait: bool = typer.Option(True, "--wait/--no-wait", help="Show progress until they have gone out."),
    timeout: float = typer.Option(600.0, help="Stop waiting after this many seconds (the deliveries go on)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Send an endpoint's past deliveries again: same event ids and bodies, fresh attempts.

    Example: paygate endpoints replay we_… --since 2h --status failed
    """
    api = connect(api_url, api_key, api_secret)
    until_iso = parse_since(until) if until is not None else None
    result = call(api.replay_webhook_endpoint, endpoint_id, parse_since(since), until=until_iso, status=status)
    queued = result["queued"]
    left = 0
    if wait and queued:
        deadline = time.monotonic() + timeout
        with typer.progressbar(length=queued, label="replaying", file=sys.stderr) as bar:
            done = 0
            while True:
                left = min(queued, call(_pending, api, endpoint_id))
                step = max(0, queued - left - done)
                bar.update(step)
                done += step
                if not left or time.monotonic() > deadline:
                    break
                time.sleep(0.5)
    result = {**result, "still_pending": left}
    text = f"queued {queued} deliveries again" + (f"; {left} still pending" if left else ("; all sent" if wait and queued else ""))
    emit(result, json_out, text)


def register(app: typer.Typer) -> None:
    app.add_typer(endpoints_app, name="endpoints")
