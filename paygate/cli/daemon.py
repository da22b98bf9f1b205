"""Long-running commands: ``serve`` and ``worker``."""

from __future__ import annotations

import os
import sys
from typing import Optional

import typer

from .common import settings_from, setup_logging
from .readiness import announce_when_listening, unbindable


LogFormatOption = typer.Option(None, "--log-format", help="auto (text on a terminal, else JSON lines), json or text; env PAYGATE_LOG_FORMAT.")


def _log_format(value: Optional[str]) -> Optional[str]:
    """The flag, also for the processes this one starts (Sanic workers read the environment)."""
    if value is not None:
        os.environ["PAYGATE_LOG_FORMAT"] = value
    return value.lower() if value else None


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: Optional[int] = typer.Option(None, help="API port (default 8000, env PAYGATE_API_PORT)."),
        checkout_port: Optional[int] = typer.Option(None, help="Checkout port (default 3001)."),
        host: Optional[str] = typer.Option(None, help="Bind address (default 127.0.0.1 on the embedded default with its test merchant, else 0.0.0.0; env PAYGATE_HOST)."),
        workers: Optional[int] = typer.Option(None, "--workers", "-w", help="API processes (default 1)."),
        database_url: Optional[str] = typer.Option(None, help="postgresql://… (default: embedded SQLite)."),
        redis_url: Optional[str] = typer.Option(None, help="redis://… (default: queue on SQLite, worker in-process)."),
        log_format: Optional[str] = LogFormatOption,
    ):
        """Run the API daemon (port 8000) and the checkout (port 3001).

        Example: paygate serve --workers 4
        """
        settings = settings_from(
            api_port=port, checkout_port=checkout_port, host=host, api_workers=workers, database_url=database_url, redis_url=redis_url,
            log_format=_log_format(log_format),
        )
        busy = unbindable(settings.host, {settings.api_port: "API", settings.checkout_port: "checkout"})
        if busy:
            typer.echo(f"paygate: {busy}", err=True)
            raise typer.Exit(2)
        setup_logging(settings.log_level, settings.log_format)
        os.environ.setdefault("SANIC_IGNORE_PRODUCTION_WARNING", "true")  # advice for Sanic developers, not for paygate's users
        from ..config import exposure_warning
        from ..server.serve import serve as run

        warning = exposure_warning(settings)
        if warning:
            typer.echo(f"Warning: {warning}", err=True)

        backend = "PostgreSQL + Redis" if settings.redis_url else ("embedded SQLite" if settings.embedded else "database URL")
        ready = (
            f"Ready! paygate API on http://{_shown(settings.host)}:{settings.api_port}, checkout on "
            f"http://{_shown(settings.host)}:{settings.checkout_port} ({backend}) (^C to quit)"
        )
        facts = startup_facts(settings)  # a table on a terminal; one line in a log file, where lines are records
        ready += "".join(f"\n  {label:<14} {text}" for label, text in facts) if sys.stderr.isatty() else "".join(f" | {label}: {text}" for label, text in facts)
        announce_when_listening(settings.host, [settings.api_port, settings.checkout_port], lambda: typer.echo(ready, err=True))
        run(settings)

    @app.command()
    def worker(
        threads: Optional[int] = typer.Option(None, "--threads", "-t", help="Consumer threads (default 8)."),
        database_url: Optional[str] = typer.Option(None),
        redis_url: Optional[str] = typer.Option(None),
        log_format: Optional[str] = LogFormatOption,
    ):
        """Run a huey consumer process (PostgreSQL + Redis deployments). Run as many as you need.

        Example: REDIS_URL=redis://localhost:6379/0 DATABASE_URL=postgresql://… paygate worker
        """
        settings = settings_from(worker_threads=threads, database_url=database_url, redis_url=redis_url, log_format=_log_format(log_format))
        setup_logging(settings.log_level, settings.log_format)
        if not settings.redis_url:
            typer.echo("paygate worker needs REDIS_URL; on the embedded default `paygate serve` runs the worker itself.", err=True)
            raise typer.Exit(2)
        from ..jobs.runner import run_worker

        typer.echo(f"Ready! paygate worker with {settings.worker_threads} threads (^C to quit)", err=True)
        run_worker(settings)


def _shown(host: str) -> str:
    return "localhost" if host in ("0.0.0.0", "::") else host


def startup_facts(settings) -> list[tuple[str, str]]:
    """What a newcomer must know at start: where it listens, how the bank behaves, who can log in.
    Never a secret: the seeded merchant's is public, but it still has no place in a log."""
    everywhere = settings.host in ("0.0.0.0", "::", "")
    bind = f"{settings.host} (every interface: reachable from other machines)" if everywhere else settings.host
    if settings.test_mode:
        outcome = "success" if settings.test_payment_success else "failure"
        bank = f"test mode, the simulated bank answers in {settings.test_processing_delay_ms} ms with {outcome} (test instruments always win)"
    else:
        bank = "simulated, answers in 5-10 s; UPI succeeds 90 %, card 95 % (success@paygate and card 4242… always succeed)"
    if settings.seed_test_merchant:
        from ..merchants import TEST_MERCHANT

        merchant = f"seeded, key {TEST_MERCHANT['api_key']} (its secret is in the README; PAYGATE_SEED_TEST_MERCHANT=false turns it off)"
    else:
        merchant = "not seeded (`paygate merchants create` makes one; PAYGATE_SEED_TEST_MERCHANT=true seeds it)"
    return [("bind address", bind), ("bank", bank), ("test merchant", merchant)]
