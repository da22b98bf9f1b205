"""Structured logs: one JSON object per line on stderr, for operators and their log shippers.

On a terminal (``PAYGATE_LOG_FORMAT=auto``, the default) lines are for a person instead: short
text, and calmer: the per-request access lines and huey's and Sanic's chatter only from WARNING.
``json`` or ``text`` forces one; JSON is what a file, a pipe or a container gets.

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
        return self.dumps(self.fields(record))

    def fields(self, record: logging.LogRecord) -> dict:
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
        return out


def fast_dumps():
    """orjson when installed (it is, with the server): half the cost of a line. Imported lazily."""
    try:
        import orjson
    except ImportError:  # pragma: no cover
        return None
    return lambda value: orjson.dumps(value, default=str).decode("utf-8")


class TextFormatter(JsonFormatter):
    """``12:00:01 WARNING paygate.webhooks  message  status=500 request_id=…``: the same record,
    the same masking, for a person at a terminal."""

    def format(self, record: logging.LogRecord) -> str:
        fields = self.fields(record)
        head = f"{fields.pop('time')[11:19]} {fields.pop('level'):<7} {fields.pop('logger')}  {fields.pop('message')}"
        exception = fields.pop("exception", None)
        extra = "  " + " ".join(f"{k}={v}" for k, v in fields.items()) if fields else ""
        return head + extra + (f"\n{exception}" if exception else "")


CHATTY = ("paygate.access", "huey", "sanic")  # calm on a terminal: WARNING and above only


def use_text(fmt: str, stream) -> bool:
    if fmt == "auto":
        isatty = getattr(stream, "isatty", None)
        return bool(isatty and isatty())
    return fmt == "text"


def setup(level: str = "INFO", stream=None, *, fast: bool = True, fmt: str = "auto") -> None:
    """Send every logger's records to ``stream`` (stderr) at ``level``: JSON lines, or text on a
    terminal (see the module docstring)."""
    # Lines carry none of these; skipping them saves a getpid() and thread lookups per record.
    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    stream = stream or sys.stderr
    text = use_text(fmt, stream)
    root = logging.getLogger()
    root.setLevel(getattr(logging, level, logging.INFO))
    formatter = TextFormatter() if text else JsonFormatter(fast_dumps() if fast else None)
    ours = [h for h in root.handlers if isinstance(h.formatter, JsonFormatter)]
    if ours:
        if type(ours[0].formatter) is not type(formatter):
            ours[0].setFormatter(formatter)
    else:
        for old in list(root.handlers):
            if type(old) is logging.StreamHandler:  # a plain console handler (basicConfig); test capture handlers stay
                root.removeHandler(old)
        handler = logging.StreamHandler(stream)
        handler.setFormatter(formatter)
        root.addHandler(handler)
    # Libraries whose own handlers would print plain-text duplicates: route them through ours.
    names = [n for n in list(logging.root.manager.loggerDict) if n.split(".")[0] in ("sanic", "huey")]
    for name in names + ["sanic.root", "sanic.error", "sanic.server", "huey"]:
        lib = logging.getLogger(name)
        for old in list(lib.handlers):
            lib.removeHandler(old)
        lib.propagate = True
    if text and root.level < logging.WARNING:  # Sanic sets its loggers' own levels: each one is calmed
        for name in set(names) | set(CHATTY) | {"sanic.root", "sanic.error", "sanic.server"}:
            logging.getLogger(name).setLevel(logging.WARNING)
