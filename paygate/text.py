"""Free text from merchants and shoppers (receipts, reasons, descriptions, names).

Any script and emoji are welcome; the length is bounded, and invisible control characters are
refused: PostgreSQL cannot store NUL at all (it would be a 500 there and a stored oddity on
SQLite), and the rest would garble a terminal or a log line. Line breaks and tabs are fine.
"""

from __future__ import annotations

import unicodedata

from .errors import InvalidRequest

_ALLOWED_CONTROLS = frozenset("\n\r\t")


def parse_text(value, field: str, max_chars: int) -> str | None:
    """``value`` as stored text, ``None`` when absent; ``InvalidRequest`` naming ``field`` otherwise."""
    if value is None:
        return None
    name = field.rsplit(".", 1)[-1]
    if not isinstance(value, str) or len(value) > max_chars:
        raise InvalidRequest(f"{name} must be a string of at most {max_chars} characters", field=field)
    if not value.isprintable() and any(_is_control(ch) for ch in value):
        raise InvalidRequest(f"{name} must not contain control characters", field=field)
    return value


def _is_control(ch: str) -> bool:
    return ch not in _ALLOWED_CONTROLS and unicodedata.category(ch) in ("Cc", "Cs")
