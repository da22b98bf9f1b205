"""What every ops command shares to reach the daemon: the credential options and one client.

Ops commands talk HTTP exactly as a merchant's script would, through :mod:`paygate.client`
(credentials: flags, then ``PAYGATE_API_*``, then the config file, then the seeded test merchant).
An API error becomes the contract's description on stderr and a non-zero exit, never a traceback.
"""

from __future__ import annotations

import typer

from ..client import ApiError, Client, ConfigFileError, Credentials, resolve_credentials
from .common import fail

ApiUrlOption = typer.Option(None, "--api-url", help="Daemon URL (env PAYGATE_API_URL, default http://localhost:8000).")
ApiKeyOption = typer.Option(None, "--api-key", help="Merchant API key (env PAYGATE_API_KEY).")
ApiSecretOption = typer.Option(None, "--api-secret", help="Merchant API secret (env PAYGATE_API_SECRET).")
JsonOption = typer.Option(False, "--json", help="Print JSON (for scripts).")


def credentials(api_url=None, api_key=None, api_secret=None) -> Credentials:
    """Resolved credentials; a malformed config file stops the command (exit 2) with the file and line."""
    try:
        return resolve_credentials(api_url, api_key, api_secret)
    except ConfigFileError as exc:
        typer.echo(f"paygate: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def connect(api_url=None, api_key=None, api_secret=None) -> Client:
    return Client(credentials(api_url, api_key, api_secret))


def call(fn, *args, **kwargs):
    """``fn(*args, **kwargs)``, or exit with the API error's message and exit code."""
    try:
        return fn(*args, **kwargs)
    except ApiError as exc:
        fail(exc)
