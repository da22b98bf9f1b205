"""The checkout app (port 3001): the SDK (``/checkout.js``) and the hosted page (``/checkout``)."""

from __future__ import annotations

from pathlib import Path

from sanic import Blueprint, Sanic
from sanic.response import file

from . import errors
from .app import _configure, _install_request_id

SDK_DIR = Path(__file__).resolve().parents[2] / "sdk"

bp = Blueprint("checkout")


@bp.get("/checkout.js")
async def checkout_js(request):
    return await file(SDK_DIR / "checkout.js", mime_type="application/javascript; charset=utf-8")


def create_checkout_app(settings, name: str = "paygate_checkout") -> Sanic:
    app = Sanic(name)
    _configure(app, settings)
    errors.install(app)
    _install_request_id(app)
    app.blueprint(bp)
    return app
