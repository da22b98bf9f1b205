"""``paygate reports export``: the balance transactions CSV, streamed from the daemon to a file.

The file is written as it arrives (constant memory on both sides) under a temporary name and
renamed at the end, so an interrupted export never leaves a file that looks complete.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import Optional

import typer

from ..client import ApiError
from .common import fail, print_json
from .payments import utc_time
from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, JsonOption, connect

reports_app = typer.Typer(help="Reports of your money (through the REST API).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(reports_app, name="reports")


@reports_app.command("export")
def export(
    since: Optional[str] = typer.Option(None, "--from", help="Created at or after (ISO-8601, UTC)."),
    until: Optional[str] = typer.Option(None, "--to", help="Created before (ISO-8601, UTC)."),
    output: Path = typer.Option(..., "-o", "--output", dir_okay=False, help="The CSV file to write."),
    api_url: Optional[str] = ApiUrlOption,
    api_key: Optional[str] = ApiKeyOption,
    api_secret: Optional[str] = ApiSecretOption,
    json_out: bool = JsonOption,
):
    """Export every balance transaction of a window as CSV (net adds up to the balance).

    Example: paygate reports export --from 2026-01-01 --to 2026-02-01 -o january.csv
    """
    api = connect(api_url, api_key, api_secret)
    partial = output.with_name(output.name + ".part")
    rows = -1  # the header line is not a row
    try:
        with partial.open("wb") as fp, typer.progressbar(length=0, label="Exporting", file=sys.stderr, show_pos=True, show_eta=False) as bar:
            for chunk in api.export_balance_transactions(start=utc_time(since), end=utc_time(until)):
                fp.write(chunk)
                lines = chunk.count(b"\n")
                rows += lines
                bar.update(lines)
    except ApiError as exc:
        partial.unlink(missing_ok=True)
        fail(exc)
    os.replace(partial, output)
    rows = max(rows, 0)
    if json_out:
        print_json({"file": str(output), "rows": rows})
    else:
        typer.echo(f"Exported {rows} balance transaction(s) to {output}")
