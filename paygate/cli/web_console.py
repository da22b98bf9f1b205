"""The console in a browser (textual-serve), behind a login token when others can reach it.

The console acts as the merchant with the merchant's secret, so a console on anything but
loopback asks for a token first: ``?token=…`` once (from the URL printed at start), then an
HttpOnly, SameSite=Strict cookie. Without it every path — page, assets, websocket — is 401.
"""

from __future__ import annotations

import hmac
import ipaddress
import secrets

from aiohttp import web
from textual_serve.server import Server

COOKIE = "paygate_console_token"


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def new_token() -> str:
    return secrets.token_urlsafe(24)


class TokenServer(Server):
    """textual-serve's server with every request checked against ``token`` (None: no check)."""

    def __init__(self, command: str, *, token: str | None, **kw):
        super().__init__(command, **kw)
        self.token = token

    async def _make_app(self) -> web.Application:
        app = await super()._make_app()
        if self.token is not None:
            app.middlewares.append(self._require_token)
        return app

    @web.middleware
    async def _require_token(self, request: web.Request, handler):
        offered = request.query.get("token")
        if offered is not None and hmac.compare_digest(offered.encode(), self.token.encode()):
            response = await handler(request)
            response.set_cookie(COOKIE, self.token, httponly=True, samesite="Strict", secure=request.secure)
            return response
        cookie = request.cookies.get(COOKIE, "")
        if cookie and hmac.compare_digest(cookie.encode(), self.token.encode()):
            return await handler(request)
        return web.Response(status=401, text="paygate console: open the URL with ?token=… that `paygate tui --web` printed at start (or PAYGATE_CONSOLE_TOKEN).\n")
