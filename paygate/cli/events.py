"""``paygate events list``: the event stream (what happened, in order), through the API."""

from __future__ import annotations

from typing import Optional

import typer

from .output import emit, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

events_app = typer.Typer(help="The event stream (what happened, in order).", no_args_is_help=True)

EVENT_COLUMNS = [("id", "ID"), ("event", "EVENT"), ("object_id", "OBJECT"), ("created_at", "CREATED")]


def register(app: typer.Typer) -> None:
    app.add_typer(events_app, name="events")


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
