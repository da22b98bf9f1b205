"""Long-running commands: ``serve`` and ``worker``."""

from __future__ import annotations

from typing import Optional

import typer

from .common import settings_from, setup_logging
from .readiness import announce_when_listening


def register(app: typer.Typer) -> None:
    @app.command()
    def serve(
        port: Optional[int] = typer.Option(None, help="API port (default 8000, env PAYGATE_API_PORT)."),
        checkout_port: Optional[int] = typer.Option(None, help="Checkout port (default 3001)."),
        host: Optional[str] = typer.Option(None, help="Bind address (default 127.0.0.1 on the embedded default with its test merchant, else 0.0.0.0; env PAYGATE_HOST)."),
        workers: Optional[int] = typer.Option(None, "--workers", "-w", help="API processes (default 1)."),
        database_url: Optional[str] = typer.Option(None, help="postgresql://… (default: embedded SQLite)."),
        redis_url: Optional[str] = typer.Option(None, help="redis://… (default: queue on SQLite, worker in-process)."),
    ):
        """Run the API daemon (port 8000) and the checkout (port 3001).

        Example: paygate serve --workers 4
        """
        settings = settings_from(
            api_port=port, checkout_port=checkout_port, host=host, api_workers=workers, database_url=database_url, redis_url=redis_url
        )
        setup_logging(settings.log_level)
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
        announce_when_listening(settings.host, [settings.api_port, settings.checkout_port], lambda: typer.echo(ready, err=True))
        run(settings)

    @app.command()
    def worker(
        threads: Optional[int] = typer.Option(None, "--threads", "-t", help="Consumer threads (default 8)."),
        database_url: Optional[str] = typer.Option(None),
        redis_url: Optional[str] = typer.Option(None),
    ):
        """Run a huey consumer process (PostgreSQL + Redis deployments). Run as many as you need.

        Example: REDIS_URL=redis://localhost:6379/0 DATABASE_URL=postgresql://… paygate worker
        """
        settings = settings_from(worker_threads=threads, database_url=database_url, redis_url=redis_url)
        setup_logging(settings.log_level)
        if not settings.redis_url:
            typer.echo("paygate worker needs REDIS_URL; on the embedded default `paygate serve` runs the worker itself.", err=True)
            raise typer.Exit(2)
        from ..jobs.runner import run_worker

        typer.echo(f"Ready! paygate worker with {settings.worker_threads} threads (^C to quit)", err=True)
        run_worker(settings)


def _shown(host: str) -> str:
    return "localhost" if host in ("0.0.0.0", "::") else host
