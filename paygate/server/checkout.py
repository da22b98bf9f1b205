"""The checkout app (port 3001): the SDK (``/checkout.js``) and the hosted page (``/checkout``).

The page is static HTML, CSS and JavaScript; the only thing filled in per request is the API
origin the page calls (``PAYGATE_PUBLIC_API_URL``, or this request's host on the API port). The
page is meant to be framed by any merchant's shop (``frame-ancestors *``), so its Content Security
Policy is what keeps it honest: scripts and styles from this origin only, and network requests to
this origin and the API origin only, so a shopper's card details cannot go anywhere else.
"""

from __future__ import annotations

import html
import re
from functools import lru_cache
from pathlib import Path

from sanic import Blueprint, Sanic
from sanic.exceptions import NotFound
from sanic.response import file, html as html_response

from . import errors
from .app import _configure, _install_request_id

# Inside the package (the SDK included: its one copy), so an installed wheel serves them too.
STATIC_DIR = Path(__file__).resolve().parent / "static"

# What /static/ may serve: the page's own assets, nothing else from the folder.
STATIC_FILES = {
    "checkout.css": "text/css; charset=utf-8",
    "checkout-page.js": "application/javascript; charset=utf-8",
}
_HOST = re.compile(r"^(?:[A-Za-z0-9.-]{1,253}|\[[0-9A-Fa-f:.]{2,45}\])$")

bp = Blueprint("checkout")


@lru_cache(maxsize=1)
def _page_template() -> str:
    return (STATIC_DIR / "checkout.html").read_text(encoding="utf-8")


def api_origin(request) -> str:
    """The API origin the page calls: configured, or the host the shopper reached us on."""
    settings = request.app.ctx.settings
    if settings.public_api_url:
        return settings.public_api_url
    host = request.host or ""
    host = host[: host.find("]") + 1] if host.startswith("[") else host.split(":", 1)[0]
    if not _HOST.match(host):
        host = "localhost"
    scheme = "https" if request.scheme == "https" else "http"
    return f"{scheme}://{host}:{settings.api_port}"


def page_headers(api: str) -> dict:
    csp = "; ".join(
        [
            "default-src 'none'",
            "script-src 'self'",
            "style-src 'self'",
            "img-src 'self' data:",
            f"connect-src 'self' {api}",
            "frame-ancestors *",
            "base-uri 'none'",
            "form-action 'none'",
        ]
    )
    return {
        "Content-Security-Policy": csp,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "no-referrer",
        "Cache-Control": "no-store",
        "Permissions-Policy": "camera=(), microphone=(), geolocation=()",
    }


@bp.get("/checkout.js")
async def checkout_js(request):
    return await file(
        STATIC_DIR / "checkout.js",
        mime_type="application/javascript; charset=utf-8",
        headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"},
    )


@bp.get("/checkout")
async def checkout_page(request):
    api = api_origin(request)
    mode = "test" if request.app.ctx.settings.test_mode else "live"
    body = _page_template().replace("{{API_URL}}", html.escape(api, quote=True)).replace("{{MODE}}", mode)
    return html_response(body, headers=page_headers(api))


@bp.get("/static/<name:str>")
async def checkout_static(request, name):
    mime = STATIC_FILES.get(name)
    if mime is None:
        raise NotFound("Not found")
    return await file(
        STATIC_DIR / name, mime_type=mime, headers={"X-Content-Type-Options": "nosniff", "Cache-Control": "public, max-age=300"}
    )


def create_checkout_app(settings, name: str = "paygate_checkout") -> Sanic:
    app = Sanic(name)
    _configure(app, settings)
    errors.install(app)
    _install_request_id(app)
    app.blueprint(bp)
    return app
