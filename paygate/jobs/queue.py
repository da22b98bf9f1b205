"""The huey instance, alone: RedisHuey when a Redis URL is configured, SqliteHuey otherwise.

Built from the process settings on first import; the CLI installs settings before that.
"""

from __future__ import annotations

from huey import RedisHuey, SqliteHuey

from .. import config


def make_huey(settings):
    if settings.redis_url:
        return RedisHuey(settings.queue_name, url=settings.redis_url, blocking=True, read_timeout=1, utc=True)
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    return SqliteHuey(settings.queue_name, filename=str(settings.queue_path), utc=True, timeout=15)


huey = make_huey(config.current())


def redis_ok() -> bool:
    try:
        return bool(huey.storage.conn.ping())
    except Exception:
        return False
