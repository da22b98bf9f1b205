"""The one error a client call raises: the daemon's error body, or "could not reach it".

    ApiError(status, code, description, request_id)
      status 0, code CONNECTION_ERROR   no answer (refused, timed out, DNS)
      status ≥ 400, code from the body  the contract's codes: BAD_REQUEST_ERROR, NOT_FOUND_ERROR, …

Callers branch on ``code`` (stable), never on the description (for people). ``str()`` gives all
of it on one line, so a traceback or a log line is enough to find the request in the daemon's log.
"""

from __future__ import annotations

CONNECTION_ERROR = "CONNECTION_ERROR"


class ApiError(Exception):
    def __init__(self, status: int, code: str, description: str, request_id: str | None = None):
        super().__init__(description)
        self.status, self.code, self.description, self.request_id = status, code, description, request_id

    def __str__(self) -> str:
        where = f"HTTP {self.status}" if self.status else "no answer"
        if self.request_id:
            where += f", request_id {self.request_id}"
        return f"{self.code}: {self.description} ({where})"
