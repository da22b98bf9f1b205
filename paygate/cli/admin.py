"""Admin commands straight to the database: merchants and migrations."""

from __future__ import annotations

import typer

from .. import audit, bootstrap, db, merchants, migrations, serialize
from ..errors import PaygateError
from ..models import Merchant
from .common import fail, print_json, settings_from
from .output import emit, table

merchants_app = typer.Typer(help="Create and list merchants (admin, straight to the database).", no_args_is_help=True)


def register(app: typer.Typer) -> None:
    app.add_typer(merchants_app, name="merchants")

    @app.command()
    def migrate(json_out: bool = typer.Option(False, "--json", help="Print JSON: the versions applied.")):
        """Apply pending database migrations (start-up also does this).

        Example: DATABASE_URL=postgresql://… paygate migrate
        """
        settings = settings_from()
        db.open_database(settings)
        applied = migrations.migrate()
        emit({"applied": applied}, json_out, f"applied migrations: {applied}" if applied else "database is up to date")


@merchants_app.command("create")
def create(
    name: str = typer.Option(..., help="Business name."),
    email: str = typer.Option(..., help="Contact email (unique)."),
    json_out: bool = typer.Option(False, "--json", help="Print JSON."),
):
    """Create a merchant and print its API key and secret (the secret is shown only once).

    Example: paygate merchants create --name "Acme" --email ops@acme.test --json
    """
    bootstrap.start(settings_from())
    try:
        row, secret = db.unit_of_work(_create_merchant, name, email)
    except PaygateError as exc:
        fail(exc)
    data = {**serialize.merchant(row), "api_secret": secret, "webhook_secret": row.webhook_secret}
    if json_out:
        print_json(data)
        return
    typer.echo(f"Merchant {row.name} <{row.email}> created: {row.id}")
    typer.echo(f"  API key:    {row.api_key}")
    typer.echo(f"  API secret: {secret}   (shown once; store it now)")


def _create_merchant(name: str, email: str):
    """The merchant and its audit row (``admin`` + the OS user), in one transaction."""
    row, secret = merchants.create_merchant(name, email)
    audit.record(audit.admin_context(row.id, "admin.createMerchant", {"name": row.name, "email": row.email}, row.id), row)
    return row, secret


@merchants_app.command("list")
def list_(json_out: bool = typer.Option(False, "--json", help="Print JSON.")):
    """List merchants.

    Example: paygate merchants list
    """
    bootstrap.start(settings_from())
    rows = db.read(lambda: [serialize.merchant(m) for m in Merchant.select().order_by(Merchant.created_at)])
    if json_out:
        print_json(rows)
        return
    typer.echo(table(rows, [("id", "ID"), ("api_key", "API KEY"), ("name", "NAME"), ("email", "EMAIL"), ("webhook_url", "WEBHOOK URL")]))
