"""Shared CLI plumbing: settings from flags + environment, logging, errors → exit codes.

One exit-code table for every command: a domain error (admin commands, on the database) and an
API error (ops commands, over HTTP) carry the same stable ``code`` and print the same way.
"""

from __future__ import annotations

import json
import sys
from typing import NoReturn

import typer

from .. import config
from ..client import ApiError
from ..errors import PaygateError

EXIT_CODES = {
    "AUTHENTICATION_ERROR": 3,
    "NOT_FOUND_ERROR": 4,
    "SERVICE_UNAVAILABLE": 5,
    "CONNECTION_ERROR": 6,
    "API_KEY_EXPIRED": 3,
    "API_KEY_REVOKED": 3,
    "PERMISSION_ERROR": 7,
}


def settings_from(**overrides) -> config.Settings:
    try:
        return config.configure(config.load(**overrides))
    except config.ConfigError as exc:
        typer.echo(f"paygate: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None


def setup_logging(level: str = "INFO", fmt: str = "auto") -> None:
    """One JSON object per line on stderr, or readable text on a terminal (see ``paygate.logs``)."""
    from ..logs import setup

    setup(level, sys.stderr, fmt=fmt)


def fail(exc: PaygateError | ApiError) -> NoReturn:
    """Print the error's description and code on stderr; exit with the code's number."""
    typer.echo(f"Error: {exc.description} ({exc.code})", err=True)
    raise typer.Exit(EXIT_CODES.get(exc.code, 1))


def print_json(value) -> None:
    typer.echo(json.dumps(value, indent=2, ensure_ascii=False))
