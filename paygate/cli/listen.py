"""``paygate listen``: follow the event stream and forward each event, signed, to a local URL.

For developing a receiver on a laptop the daemon cannot reach: polls ``/api/v1/events`` after a
cursor and POSTs each event's body with the merchant's signature headers, as a delivery would.
The secret is read again before each batch it forwards, so a rotation is followed at once.
``--json`` prints one JSON object per forwarded event on stdout (diagnostics stay on stderr).
"""

from __future__ import annotations

import json
import time
from datetime import datetime, timezone
from typing import Optional

import requests
import typer

from .. import events as event_types
from ..client import ApiError
from ..signing import signature_headers
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, call, connect


def register(app: typer.Typer) -> None:
    app.command("listen")(listen)


def _forward(session: requests.Session, url: str, secret: str, event: dict) -> tuple[int | None, str | None]:
    """(HTTP status, None) or (None, the error's name)."""
    body = event_types.build_body(event["id"], event["event"], event["timestamp"], event["data"]).encode("utf-8")
    headers = {"Content-Type": "application/json", **signature_headers(secret, event["id"], body, int(time.time()))}
    try:
        r = session.post(url, data=body, headers=headers, timeout=5, allow_redirects=False)
        return r.status_code, None
    except requests.RequestException as exc:
        return None, type(exc).__name__


def _stamp() -> str:
    return datetime.now(timezone.utc).strftime("%Y-%m-%d %H:%M:%S")


def listen(
    forward_to: str = typer.Option(..., "--forward-to", "-f", help="Local URL that receives each event, signed."),
    events: Optional[str] = typer.Option(None, help="Comma-separated event types to forward (default: all)."),
    interval: float = typer.Option(0.5, help="Seconds between polls."),
    as_json: bool = typer.Option(False, "--json", help="One JSON object per forwarded event on stdout."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Follow new events and forward each one, signed with your webhook secret, to a local URL.

    Example: paygate listen --forward-to http://localhost:4242/webhooks
    """
    api = connect(api_url, api_key, api_secret)
    wanted = {e.strip() for e in events.split(",")} if events else None
    call(api.webhook_secret)  # fail early on bad credentials, before Ready!
    newest = call(api.events, limit=1)["data"]
    cursor = newest[0]["id"] if newest else None
    session = requests.Session()
    session.trust_env = False
    typer.echo(f"Ready! Forwarding events to {forward_to} (^C to quit)", err=as_json)
    try:
        while True:
            try:
                if cursor:
                    page = api.events(after=cursor, limit=100)["data"]
                else:
                    page = list(reversed(api.events(limit=100)["data"]))
                secret = api.webhook_secret()["webhook_secret"] if page else None
            except ApiError as exc:
                typer.echo(f"{_stamp()}  poll failed: {exc.description}; retrying", err=True)
                time.sleep(max(interval, 1.0))
                continue
            for event in page:
                cursor = event["id"]
                if wanted and event["event"] not in wanted:
                    continue
                status, error = _forward(session, forward_to, secret, event)
                if as_json:
                    line = {"time": _stamp(), "event": event["event"], "id": event["id"], "forward_to": forward_to, "status": status, "error": error}
                    typer.echo(json.dumps(line, ensure_ascii=False))
                else:
                    typer.echo(f"{_stamp()}   --> {event['event']} [{event['id']}]  <-- {f'[{status}]' if status else f'[ERROR] {error}'} POST {forward_to}")
            if not page:
                time.sleep(interval)
    except KeyboardInterrupt:
        typer.echo("Stopped.", err=True)
