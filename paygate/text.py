"""Free text from merchants and shoppers (receipts, reasons, descriptions, names).

Any script and emoji are welcome; the length is bounded, and invisible control characters are
refused: PostgreSQL cannot store NUL at all (it would be a 500 there and a stored oddity on
SQLite), and the rest would garble a terminal or a log line. Line breaks and tabs are fine.
"""

from __future__ import annotations

import re

from .errors import InvalidRequest

# Every C0 and C1 control but tab, line feed and carriage return. The OpenAPI document states this
# very pattern for each free-text field.
PRINTABLE = re.compile(r"[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]*\Z")
# Lone surrogates: JSON decoding already refuses them, so only a caller inside the process could
# pass one; no database can store it. Not in PRINTABLE: in a JavaScript pattern without the u flag
# this range would also refuse every emoji.
_SURROGATE = re.compile("[\ud800-\udfff]")


def parse_text(value, field: str, max_chars: int) -> str | None:
    """``value`` as stored text, ``None`` when absent; ``InvalidRequest`` naming ``field`` otherwise."""
    if value is None:
        return None
    name = field.rsplit(".", 1)[-1]
    if not isinstance(value, str) or len(value) > max_chars:
        raise InvalidRequest(f"{name} must be a string of at most {max_chars} characters", field=field)
    if not PRINTABLE.match(value) or _SURROGATE.search(value):
        raise InvalidRequest(f"{name} must not contain control characters", field=field)
    return value
