"""``paygate tui``: the merchant console in the terminal, or in a browser with ``--web``.

The console is a client of the daemon like any merchant script: it needs the API URL and the
merchant's key and secret (flags, ``PAYGATE_API_*``, the config file, or the seeded test merchant).
With ``--web``, textual-serve serves it on port 3000 (where the seed README's dashboard lived);
each browser tab runs its own console process. Credentials reach those processes through the
environment, never the command line, so they do not show up in ``ps``. Bound to anything but
loopback, it asks for a login token (see ``web_console``).
"""

from __future__ import annotations

import os
import shlex
import sys

import typer

from .remote import ApiKeyOption, ApiSecretOption, ApiUrlOption, credentials


def register(app: typer.Typer) -> None:
    @app.command()
    def tui(
        web: bool = typer.Option(False, "--web", help="Serve the console in a browser (textual-serve) instead of this terminal."),
        host: str = typer.Option("127.0.0.1", "--host", help="With --web: address to listen on; anything but loopback needs the login token printed at start."),
        token: str = typer.Option(None, "--token", envvar="PAYGATE_CONSOLE_TOKEN", help="With --web off loopback: the login token (default: a new random one, printed)."),
        port: int = typer.Option(3000, "--port", help="With --web: port to listen on."),
        public_url: str = typer.Option(None, "--public-url", help="With --web: the URL browsers use, if not http://HOST:PORT."),
        api_url: str = ApiUrlOption,
        api_key: str = ApiKeyOption,
        api_secret: str = ApiSecretOption,
    ):
        """Open the merchant console: live analytics, transactions, webhooks and events.

        Keys: 1-4 switch screens, ? help, ctrl+p command palette, q quit.

        Example: paygate tui --api-url http://localhost:8000
        Example: paygate tui --web --host 0.0.0.0 --port 3000   (prints a URL with its login token)
        """
        creds = credentials(api_url, api_key, api_secret)
        if not web:
            from ..tui.app import run

            run(creds)
            return
        from .web_console import TokenServer, is_loopback, new_token

        os.environ.update(PAYGATE_API_URL=creds.api_url, PAYGATE_API_KEY=creds.api_key, PAYGATE_API_SECRET=creds.api_secret)
        os.environ.pop("PAYGATE_CONSOLE_TOKEN", None)  # the console processes need no token
        command = f"{shlex.quote(sys.executable)} -m paygate tui"
        login = None if is_loopback(host) else (token or new_token())
        url = public_url or f"http://{host}:{port}"
        shown = f"{url}/?token={login}" if login else url
        note = " (anyone with this URL acts as the merchant: keep it private)" if login else ""
        typer.echo(f"Ready! The paygate console is at {shown}{note} (^C to quit)", err=True)
        TokenServer(command, token=login, host=host, port=port, title="paygate console", public_url=public_url).serve()
