"""``paygate serve``: the API and checkout apps, and on the embedded default the worker too."""

from __future__ import annotations

import logging
import os
from functools import partial

from sanic import Sanic
from sanic.worker.loader import AppLoader

from .. import logs

from . import metrics_dir, parent_death
from .app import create_api_app
from .checkout import create_checkout_app
from .metrics import create_metrics_app

log = logging.getLogger("paygate.serve")


def _attach_embedded_worker(app: Sanic, settings) -> None:
    """The embedded default runs huey's consumer as threads in the API process."""

    @app.after_server_start
    async def start_worker(app):
        from ..jobs.runner import EmbeddedWorker

        app.ctx.embedded_worker = EmbeddedWorker(settings)
        app.ctx.embedded_worker.start()

    @app.before_server_stop
    async def stop_worker(app):
        worker = getattr(app.ctx, "embedded_worker", None)
        if worker is not None:
            worker.stop()


def build_apps(settings) -> Sanic:
    if os.environ.get("SANIC_WORKER_NAME"):  # a worker of `serve --workers N`
        parent_death.die_with_parent()
    api = create_api_app(settings)
    checkout = create_checkout_app(settings)
    common = dict(host=settings.host, access_log=False, motd=False)
    single = settings.api_workers == 1
    api.prepare(port=settings.api_port, workers=settings.api_workers, single_process=single, **common)
    # With several processes, Sanic's main process pre-binds the primary app's socket only; each
    # worker binds the secondary (checkout) app itself with SO_REUSEPORT. Preparing it in the main
    # process too would bind it there without SO_REUSEPORT and every worker's bind would fail.
    if single or os.environ.get("SANIC_WORKER_NAME"):
        checkout.prepare(port=settings.checkout_port, workers=settings.api_workers, single_process=single, **common)
        if settings.metrics_port:  # operator data, on its own (loopback by default) address
            metrics_common = {**common, "host": settings.metrics_host}
            create_metrics_app(settings).prepare(port=settings.metrics_port, workers=settings.api_workers, single_process=single, **metrics_common)
    if not settings.redis_url:
        _attach_embedded_worker(api, settings)
    logs.setup(settings.log_level, fmt=settings.log_format)  # creating the apps installed Sanic's plain-text handlers: ours only
    return api


def serve(settings) -> None:
    metrics_dir.prepare(settings.api_workers)  # before any worker starts: they inherit it
    if settings.api_workers == 1:
        api = build_apps(settings)
        Sanic.serve_single(api)
    else:
        parent_death.mark_main_process()
        loader = AppLoader(factory=partial(build_apps, settings))
        api = loader.load()
        Sanic.serve(primary=api, app_loader=loader)
