"""The baseline: a Sanic hello-world, run like the daemon (same processes, access log off).

``python -m bench.hello PORT WORKERS``
"""

from __future__ import annotations

import sys

from sanic import Sanic
from sanic.response import json


def create_app() -> Sanic:
    app = Sanic("bench_hello")

    @app.get("/")
    async def hello(request):
        return json({"hello": "world"})

    return app


if __name__ == "__main__":
    port, workers = int(sys.argv[1]), int(sys.argv[2])
    app = create_app()
    if workers == 1:
        app.prepare(host="127.0.0.1", port=port, access_log=False, motd=False, single_process=True)
        Sanic.serve_single(app)
    else:
        from sanic.worker.loader import AppLoader

        loader = AppLoader(factory=create_app)
        app.prepare(host="127.0.0.1", port=port, access_log=False, motd=False, workers=workers)
        Sanic.serve(primary=app, app_loader=loader)
