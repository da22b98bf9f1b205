"""Structured logs: one JSON object per line on stderr, for operators and their log shippers.

Every line has ``time``, ``level``, ``logger`` and ``message``; HTTP access lines add
``request_id``, ``method``, ``path``, ``status`` and ``duration_ms``, and any other log line
written while a request is being handled carries that request's ``request_id``.

It refuses to leak card data: as a last line of defence, any run of 13–19 digits (a card
number, with or without spaces or dashes) is masked before a line is written. Nothing in paygate
logs secrets in the first place; this only catches mistakes.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re
import sys
import time

request_id_var: contextvars.ContextVar[str | None] = contextvars.ContextVar("paygate_request_id", default=None)

# 13–19 digits, optionally separated by single spaces or dashes: what a PAN looks like in text.
_PAN = re.compile(r"(?<!\d)\d(?:[ -]?\d){12,18}(?!\d)")
_FIELDS = ("request_id", "method", "path", "route", "status", "duration_ms", "merchant_id", "task", "object_id")


_encoder = json.JSONEncoder(ensure_ascii=False, separators=(",", ":"), default=str)
_dumps = _encoder.encode  # the core stays stdlib-only; a reused encoder skips dumps()' set-up


def mask_card_numbers(text: str) -> str:
    return _PAN.sub("[REDACTED]", text)


class JsonFormatter(logging.Formatter):
    """``logging.Formatter`` that writes one compact JSON object per record.

    ``dumps`` is the stdlib encoder here (the core stays stdlib-only); adapters pass a faster one.
    """

    def __init__(self, dumps=None):
        super().__init__()
        self.dumps = dumps or _dumps

    def format(self, record: logging.LogRecord) -> str:
        out = {
            "time": time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(record.created)) + ".%03dZ" % record.msecs,
            "level": record.levelname,
            "logger": record.name,
            "message": mask_card_numbers(record.getMessage()),
        }
        for name in _FIELDS:
            value = getattr(record, name, None)
            if value is not None:
                out[name] = value
        if "request_id" not in out:
            rid = request_id_var.get()
            if rid is not None:
                out["request_id"] = rid
        if record.exc_info:
            out["exception"] = mask_card_numbers(self.formatException(record.exc_info))
        return self.dumps(out)


def fast_dumps():
    """orjson when installed (it is, with the server): half the cost of a line. Imported lazily."""
    try:
        import orjson
    except ImportError:  # pragma: no cover
        return None
    return lambda value: orjson.dumps(value, default=str).decode("utf-8")


def setup(level: str = "INFO", stream=None, *, fast: bool = True) -> None:
    """Send every logger's records to ``stream`` (stderr) as JSON lines at ``level``."""
    # Lines carry none of these; skipping them saves a getpid() and thread lookups per record.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    root = logging.getLogger()
    root.setLevel(getattr(logging, level, logging.INFO))
    if not any(isinstance(h.formatter, JsonFormatter) for h in root.handlers):
        for old in list(root.handlers):
            if type(old) is logging.StreamHandler:  # a plain console handler (basicConfig); test capture handlers stay
                root.removeHandler(old)
        handler = logging.StreamHandler(stream or sys.stderr)
        handler.setFormatter(JsonFormatter(fast_dumps() if fast else None))
        root.addHandler(handler)
    # Libraries whose own handlers would print plain-text duplicates: route them through ours.
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in ("sanic", "huey")]
    for name in names + ["sanic.root", "sanic.error", "sanic.server", "huey"]:
        lib = logging.getLogger(name)
        for old in list(lib.handlers):
            lib.removeHandler(old)
        lib.propagate = True
