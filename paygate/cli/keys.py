"""``paygate keys create|list|revoke|rotate``: the merchant's API keys through the API, like a
merchant's script. A secret is printed once, when a key is created or rotated; never again.
"""

from __future__ import annotations

from typing import List, Optional

import typer

from ..scopes import ALL_SCOPES
from .output import emit, table
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, call, connect

keys_app = typer.Typer(help="API keys: several per merchant, each with scopes, an optional expiry, revocation and rotation.", no_args_is_help=True)

KEY_COLUMNS = [("id", "KEY"), ("name", "NAME"), ("status", "STATUS"), ("scopes", "SCOPES"), ("created_at", "CREATED"), ("expires_at", "EXPIRES"), ("last_used_at", "LAST USED")]


def _details(k: dict) -> str:
    lines = [f"{label}: {'' if k.get(key) is None else k[key]}" for key, label in KEY_COLUMNS]
    lines[3] = f"SCOPES: {' '.join(k.get('scopes') or [])}"
    if k.get("previous_secret_expires_at"):
        lines.append(f"PREVIOUS SECRET WORKS UNTIL: {k['previous_secret_expires_at']}")
    if k.get("secret"):
        lines.append(f"SECRET: {k['secret']}  (shown once: store it now)")
    return "\n".join(lines)


def register(app: typer.Typer) -> None:
    app.add_typer(keys_app, name="keys")


@keys_app.command("create")
def create(
    name: str = typer.Argument(..., help="What the key is for, e.g. 'reporting job'."),
    scopes: List[str] = typer.Option(..., "--scope", "-s", help=f"A scope (repeatable): {', '.join(ALL_SCOPES)}."),
    expires_at: Optional[str] = typer.Option(None, help="ISO-8601 time after which the key is refused."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Create a key; prints its secret (shown this once).

    Example: paygate keys create "reporting" -s payments:read --expires-at 2030-01-01T00:00:00Z
    """
    made = call(connect(api_url, api_key, api_secret).create_api_key, name, list(scopes), expires_at=expires_at)
    emit(made, json_out, _details(made))


@keys_app.command("list")
def list_keys(
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """List the keys, newest first (never a secret).

    Example: paygate keys list
    """
    page = call(connect(api_url, api_key, api_secret).api_keys, limit=100)
    rows = [{**k, "scopes": " ".join(k["scopes"])} for k in page["data"]]
    emit(page, json_out, table(rows, KEY_COLUMNS))


@keys_app.command("revoke")
def revoke(
    key_id: str = typer.Argument(..., help="The key (key_…)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Revoke a key: every API process refuses it within a second.

    Example: paygate keys revoke key_live_…
    """
    k = call(connect(api_url, api_key, api_secret).revoke_api_key, key_id)
    emit(k, json_out, _details(k))


@keys_app.command("rotate")
def rotate(
    key_id: str = typer.Argument(..., help="The key (key_…)."),
    expire_previous_in: Optional[int] = typer.Option(None, help="Seconds the previous secret keeps working (default 86400; 0 = at once)."),
    json_out: bool = JsonOption,
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
):
    """Give a key a new secret (printed once); the previous one keeps working for a while.

    Example: paygate keys rotate key_live_… --expire-previous-in 3600
    """
    k = call(connect(api_url, api_key, api_secret).rotate_api_key, key_id, expire_previous_in)
    emit(k, json_out, _details(k))
