"""Who the client is and where the daemon is: flags, then environment, then a config file.

Order: explicit arguments, ``PAYGATE_API_URL`` / ``PAYGATE_API_KEY`` / ``PAYGATE_API_SECRET``,
``~/.config/paygate/config.toml`` (``api_url``, ``api_key``, ``api_secret``; ``PAYGATE_CONFIG``
names another file), and last the seeded test merchant on localhost. The secret prints as ``****``.
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


def _config_file() -> dict:
    if CONFIG_PATH.exists():
        try:
            return tomllib.loads(CONFIG_PATH.read_text())
        except (OSError, tomllib.TOMLDecodeError):
            return {}
    return {}


def resolve_credentials(api_url: Optional[str] = None, api_key: Optional[str] = None, api_secret: Optional[str] = None) -> Credentials:
    conf = _config_file()
    return Credentials(
        api_url=(api_url or os.environ.get("PAYGATE_API_URL") or conf.get("api_url") or DEFAULT_URL).rstrip("/"),
        api_key=api_key or os.environ.get("PAYGATE_API_KEY") or conf.get("api_key") or DEFAULT_KEY,
        api_secret=api_secret or os.environ.get("PAYGATE_API_SECRET") or conf.get("api_secret") or DEFAULT_SECRET,
    )
