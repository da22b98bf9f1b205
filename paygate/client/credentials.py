"""Who the client is and where the daemon is: flags, then environment, then a config file.

Order: explicit arguments, ``PAYGATE_API_URL`` / ``PAYGATE_API_KEY`` / ``PAYGATE_API_SECRET``,
``~/.config/paygate/config.toml`` (``api_url``, ``api_key``, ``api_secret``; ``PAYGATE_CONFIG``
names another file), and last the seeded test merchant on localhost. The secret prints as ``****``.
A config file that exists but cannot be used is a :class:`ConfigFileError` naming the file and the
line, never skipped: falling back to the defaults would quietly act as the seeded test merchant.
"""

from __future__ import annotations

import os
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Optional

DEFAULT_URL = "http://localhost:8000"
DEFAULT_KEY = "key_test_abc123"
DEFAULT_SECRET = "secret_test_xyz789"
CONFIG_PATH = Path(os.environ.get("PAYGATE_CONFIG", "~/.config/paygate/config.toml")).expanduser()


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
    """The file's settings; {} when there is no file."""
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

    Raises :class:`ConfigFileError` for a config file that exists but is malformed.
    """
    conf = _config_file()
    return Credentials(
        api_url=(api_url or os.environ.get("PAYGATE_API_URL") or conf.get("api_url") or DEFAULT_URL).rstrip("/"),
        api_key=api_key or os.environ.get("PAYGATE_API_KEY") or conf.get("api_key") or DEFAULT_KEY,
        api_secret=api_secret or os.environ.get("PAYGATE_API_SECRET") or conf.get("api_secret") or DEFAULT_SECRET,
    )
