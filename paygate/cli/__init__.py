"""The front door: ``paygate <noun> <verb>``. Long runners print "Ready! … (^C to quit)".

Commands that operate a running daemon talk to it over HTTP like a merchant's script would;
admin commands (merchants, migrate) work on the database directly.
"""

from __future__ import annotations

import typer

from . import admin, console, daemon, events, health, listen, simulate, trigger, webhooks
from . import endpoints as endpoint_commands
from . import payments as payment_commands
from . import refunds as refund_commands
from . import audit as audit_commands
from . import keys as key_commands
from . import ledger as ledger_commands
from . import balance as balance_commands
from . import settlements as settlement_commands
from . import reconcile as reconcile_commands
from . import reports as report_commands

app = typer.Typer(
    name="paygate",
    help="paygate: a self-hosted payment gateway. Run `paygate serve` to start.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
daemon.register(app)
admin.register(app)
webhooks.register(app)
events.register(app)
listen.register(app)
trigger.register(app)
endpoint_commands.register(app)
payment_commands.register(app)
refund_commands.register(app)
console.register(app)
simulate.register(app)
key_commands.register(app)
audit_commands.register(app)
ledger_commands.register(app)
balance_commands.register(app)
settlement_commands.register(app)
reconcile_commands.register(app)
report_commands.register(app)
health.register(app)


def _print_version(value: bool) -> None:
    if value:
        from importlib.metadata import PackageNotFoundError, version

        try:
            typer.echo(f"paygate {version('paygate')}")
        except PackageNotFoundError:  # running from a source tree that was never installed
            from .. import __version__

            typer.echo(f"paygate {__version__}")
        raise typer.Exit()


@app.callback()
def _options(_version: bool = typer.Option(False, "--version", callback=_print_version, is_eager=True, help="Print the version and exit.")):
    """paygate: a self-hosted payment gateway. Run `paygate serve` to start."""


def main() -> None:
    app()
