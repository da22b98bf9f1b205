"""Logs for the reader at hand: readable, calmer text on a terminal; JSON lines for files, pipes
and ``--log-format json``; card numbers masked either way."""

from __future__ import annotations

import io
import json
import logging

import pytest

from paygate import config, logs


class Terminal(io.StringIO):
    def isatty(self) -> bool:
        return True


@pytest.fixture
def clean_logging():
    root = logging.getLogger()
    names = [n for n in list(logging.root.manager.loggerDict) if not isinstance(logging.root.manager.loggerDict[n], logging.PlaceHolder)]
    saved = (list(root.handlers), root.level, {n: logging.getLogger(n).level for n in names + list(logs.CHATTY)})
    for h in list(root.handlers):
        if isinstance(h.formatter, logs.JsonFormatter):
            root.removeHandler(h)
    yield
    for h in list(root.handlers):
        root.removeHandler(h)
    for h in saved[0]:
        root.addHandler(h)
    root.setLevel(saved[1])
    for name, level in saved[2].items():
        logging.getLogger(name).setLevel(level)
    logging.getLogger("huey.consumer").setLevel(logging.NOTSET)


def emit_some(stream) -> list[str]:
    logging.getLogger("paygate.webhooks").warning("endpoint failing for 4242 4242 4242 4242", extra={"status": 500})
    logging.getLogger("paygate.access").info("GET /api/v1/payments 200", extra={"status": 200})
    logging.getLogger("huey.consumer").info("Huey consumer started with 8 thread")
    return [line for line in stream.getvalue().splitlines() if line]


def test_a_terminal_gets_calm_readable_lines(clean_logging):
    stream = Terminal()
    logs.setup("INFO", stream)
    (line,) = emit_some(stream)  # the access line and huey's chatter stay quiet at INFO
    assert not line.startswith("{") and "WARNING paygate.webhooks  endpoint failing for [REDACTED]  status=500" in line, line


def test_a_file_gets_json_lines_with_everything(clean_logging):
    stream = io.StringIO()
    logs.setup("INFO", stream)
    lines = [json.loads(line) for line in emit_some(stream)]
    assert [e["logger"] for e in lines] == ["paygate.webhooks", "paygate.access", "huey.consumer"]
    assert "4242" not in lines[0]["message"]


def test_json_on_a_terminal_when_asked(clean_logging):
    stream = Terminal()
    logs.setup("INFO", stream, fmt="json")
    assert len([json.loads(line) for line in emit_some(stream)]) == 3


def test_the_format_is_a_setting():
    assert config.load({}).log_format == "auto" and config.load({"PAYGATE_LOG_FORMAT": "JSON"}).log_format == "json"
    with pytest.raises(config.ConfigError, match="PAYGATE_LOG_FORMAT"):
        config.load({"PAYGATE_LOG_FORMAT": "xml"})
