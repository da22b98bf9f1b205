"""The ops commands' HTTP client: they talk to the daemon exactly as a merchant's script would.

Credentials come from flags, then the environment (``PAYGATE_API_URL``, ``PAYGATE_API_KEY``,
``PAYGATE_API_SECRET``), then ``~/.config/paygate/config.toml`` (``api_url``, ``api_key``,
``api_secret``), and default to the seeded test merchant on localhost. Errors come back as the
contract's description and a non-zero exit code, never a traceback.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

import requests
import typer

from ..money import format_amount

DEFAULT_URL = "http://localhost:8000"
DEFAULT_KEY = "key_test_abc123"
DEFAULT_SECRET = "secret_test_xyz789"
CONFIG_PATH = Path(os.environ.get("PAYGATE_CONFIG", "~/.config/paygate/config.toml")).expanduser()

EXIT_CODES = {"AUTHENTICATION_ERROR": 3, "NOT_FOUND_ERROR": 4, "SERVICE_UNAVAILABLE": 5, "CONNECTION_ERROR": 6}


class ApiError(Exception):
    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description


@dataclass(frozen=True)
class Credentials:
    api_url: str
    api_key: str
    api_secret: str

    def __repr__(self) -> str:
        return f"Credentials(api_url={self.api_url!r}, api_key={self.api_key!r}, api_secret='****')"


class ConfigFileError(Exception):
    """The config file exists but cannot be used; the message names the file and the line."""


_CONFIG_KEYS = ("api_url", "api_key", "api_secret")


def _line_of(text: str, key: str) -> int | None:
    for number, line in enumerate(text.splitlines(), 1):
        if line.strip().startswith(key) and line.strip()[len(key) :].lstrip().startswith("="):
            return number
    return None


def _config_file() -> dict:
    """The file's settings; {} when there is no file. A broken file is an error, never ignored:
    falling back to the defaults would quietly act as the seeded test merchant."""
    if not CONFIG_PATH.exists():
        return {}
    try:
        text = CONFIG_PATH.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as exc:
        raise ConfigFileError(f"{CONFIG_PATH}: cannot be read ({type(exc).__name__}: {getattr(exc, 'strerror', None) or exc})") from None
    try:
        conf = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:  # its message ends "(at line N, column M)"
        raise ConfigFileError(f"{CONFIG_PATH}: not valid TOML: {exc}") from None
    for key in _CONFIG_KEYS:
        if key in conf and not (isinstance(conf[key], str) and conf[key].strip()):
            line = _line_of(text, key)
            where = f" (at line {line})" if line else ""
            raise ConfigFileError(f"{CONFIG_PATH}: {key} must be a non-empty string{where}")
    return conf


def resolve_credentials(api_url: Optional[str] = None, api_key: Optional[str] = None, api_secret: Optional[str] = None) -> Credentials:
    """Flags, then environment, then the config file, then the seeded test merchant.

    A config file that exists but is malformed stops the command (exit 2) with the file and line.
    """
    try:
        conf = _config_file()
    except ConfigFileError as exc:
        typer.echo(f"paygate: configuration error: {exc}", err=True)
        raise typer.Exit(2) from None
    return Credentials(
        api_url=(api_url or os.environ.get("PAYGATE_API_URL") or conf.get("api_url") or DEFAULT_URL).rstrip("/"),
        api_key=api_key or os.environ.get("PAYGATE_API_KEY") or conf.get("api_key") or DEFAULT_KEY,
        api_secret=api_secret or os.environ.get("PAYGATE_API_SECRET") or conf.get("api_secret") or DEFAULT_SECRET,
    )


class ApiClient:
    def __init__(self, creds: Credentials, timeout: float = 15.0):
        self.creds = creds
        self.timeout = timeout
        self.session = requests.Session()
        self.session.headers.update({"X-Api-Key": creds.api_key, "X-Api-Secret": creds.api_secret})

    def request(self, method: str, path: str, *, json=None, params=None, headers=None) -> dict:
        try:
            r = self.session.request(method, self.creds.api_url + path, json=json, params=params, headers=headers, timeout=self.timeout)
        except requests.RequestException:
            raise ApiError(0, "CONNECTION_ERROR", f"cannot reach the paygate daemon at {self.creds.api_url}") from None
        try:
            body = r.json()
        except ValueError:
            body = None
        if r.status_code >= 400:
            err = (body or {}).get("error", {}) if isinstance(body, dict) else {}
            raise ApiError(r.status_code, err.get("code", "HTTP_ERROR"), err.get("description", f"HTTP {r.status_code}"))
        return body

    def get(self, path, **params):
        return self.request("GET", path, params={k: v for k, v in params.items() if v is not None})

    def post(self, path, json=None, headers=None):
        return self.request("POST", path, json=json, headers=headers)

    def put(self, path, json=None):
        return self.request("PUT", path, json=json)


# Options every client command takes, so `--api-url/--api-key/--api-secret` work everywhere.
ApiUrlOption = typer.Option(None, "--api-url", help="Daemon URL (env PAYGATE_API_URL, default http://localhost:8000).")
ApiKeyOption = typer.Option(None, "--api-key", help="Merchant API key (env PAYGATE_API_KEY).")
ApiSecretOption = typer.Option(None, "--api-secret", help="Merchant API secret (env PAYGATE_API_SECRET).")
JsonOption = typer.Option(False, "--json", help="Print JSON (for scripts).")


def client(api_url=None, api_key=None, api_secret=None) -> ApiClient:
    return ApiClient(resolve_credentials(api_url, api_key, api_secret))


def die(exc: ApiError) -> None:
    typer.echo(f"Error: {exc.description} ({exc.code})", err=True)
    raise typer.Exit(EXIT_CODES.get(exc.code, 1))


def money(amount: int | None, currency: str = "INR") -> str:
    return "-" if amount is None else format_amount(amount, currency)


def table(rows: list[dict], columns: list[tuple[str, str]]) -> str:
    """Plain aligned text table: ``columns`` are (key, heading)."""
    cells = [[h for _, h in columns]] + [["" if r.get(k) is None else str(r.get(k)) for k, _ in columns] for r in rows]
    widths = [max(len(row[i]) for row in cells) for i in range(len(columns))]
    lines = ["  ".join(c.ljust(w) for c, w in zip(row, widths)).rstrip() for row in cells]
    lines.insert(1, "  ".join("-" * w for w in widths))
    return "\n".join(lines)
