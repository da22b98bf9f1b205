"""How the ops commands print: aligned tables and fields for people, ``--json`` for scripts."""

from __future__ import annotations

import sys
from contextlib import ExitStack

import typer

from .common import print_json


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """Plain aligned text table: ``columns`` are (key, heading)."""
    cells = [[h for _, h in columns]] + [["" if r.get(k) is None else str(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)


def print_fields(pairs: list[tuple[str, object]]) -> None:
    width = max(len(label) for label, _ in pairs)
    for label, value in pairs:
        typer.echo(f"{label.ljust(width)}  {'-' if value is None or value == '' else value}")


def page_footer(page: dict, noun: str) -> str:
    shown = len(page["data"])
    if "total" not in page:  # a cursor page: nothing counted
        more = f"; more with --starting-after {page['data'][-1]['id']}" if page.get("has_more") and shown else ""
        return f"Showing {shown} {noun}{more}." if shown else f"No {noun} found."
    if not shown:
        return f"No {noun} found (total {page['total']})."
    start = page.get("offset", 0) + 1
    return f"Showing {start}–{start + shown - 1} of {page['total']} {noun}."


def emit(value, as_json: bool, text: str) -> None:
    """``value`` as JSON for ``--json``, else ``text``."""
    if as_json:
        print_json(value)
    else:
        typer.echo(text)


def fetch_all(iterate, noun: str) -> dict:
    """Every row of a client iterator (``iterate(on_page=…)``) as one list page, with a progress bar
    on stderr sized by the first page's ``total``: long exports show how far they are, stdout
    (the table or ``--json``) stays clean."""
    with ExitStack() as stack:
        bar = None

        def progress(page: dict) -> None:
            nonlocal bar
            if bar is None:
                length = page.get("total") or len(page["data"])
                bar = stack.enter_context(typer.progressbar(length=length, label=f"exporting {noun}", file=sys.stderr))
            bar.update(len(page["data"]))

        rows = list(iterate(on_page=progress))
    return {"object": "list", "data": rows, "has_more": False, "total": len(rows), "offset": 0, "limit": len(rows)}
