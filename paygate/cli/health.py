"""``paygate healthcheck api|worker|console``: is *this* container's process doing its job?

One probe per role, for Docker's ``HEALTHCHECK`` and compose's ``healthcheck:``. The API answers
``/health`` on its port; a worker has no port, so its proof is a fresh heartbeat row written by a
worker on this host; the web console answers HTTP on its port (401 without the token is alive).
Exit 0 healthy, 1 not, with one line saying why.
"""

from __future__ import annotations

import socket
import urllib.error
import urllib.request

import typer

from .common import settings_from

ROLES = ("api", "worker", "console")


def _http_status(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=3) as r:
            return r.status
    except urllib.error.HTTPError as exc:
        return exc.code


def _worker_alive() -> bool:
    from .. import db
    from ..clock import utcnow
    from ..heartbeat import STALE_AFTER
    from ..models import Heartbeat

    db.open_database(settings_from())
    host = socket.gethostname() + ":"
    fresh = (Heartbeat.role == "worker") & (Heartbeat.last_seen >= utcnow() - STALE_AFTER) & Heartbeat.id.startswith(host)
    return db.read(lambda: Heartbeat.select().where(fresh).exists())


def register(app: typer.Typer) -> None:
    @app.command()
    def healthcheck(
        role: str = typer.Argument(..., help="api, worker or console."),
        port: int = typer.Option(None, "--port", help="The port to probe (api: PAYGATE_API_PORT or 8000; console: 3000)."),
    ):
        """Exit 0 when this host's ROLE is healthy (for Docker health checks).

        Example: paygate healthcheck worker
        """
        if role not in ROLES:
            typer.echo(f"paygate: the role is one of {', '.join(ROLES)}", err=True)
            raise typer.Exit(2)
        try:
            if role == "api":
                status = _http_status(f"http://127.0.0.1:{port or settings_from().api_port}/health")
                healthy, why = status == 200, f"/health answered {status}"
            elif role == "console":
                status = _http_status(f"http://127.0.0.1:{port or 3000}/")
                healthy, why = status in (200, 401), f"the console answered {status}"
            else:
                healthy, why = _worker_alive(), "no fresh heartbeat from a worker on this host"
        except (OSError, urllib.error.URLError) as exc:
            healthy, why = False, f"no answer ({exc})"
        except Exception as exc:  # the database is down: unhealthy, said in one line
            healthy, why = False, f"{type(exc).__name__}: {exc}"
        if not healthy:
            typer.echo(f"unhealthy: {why}", err=True)
            raise typer.Exit(1)
        typer.echo("healthy")
