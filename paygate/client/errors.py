"""The one error a client call raises: the daemon's error body, or "could not reach it".

    ApiError(status, code, description)
      status 0, code CONNECTION_ERROR   no answer (refused, timed out, DNS)
      status ≥ 400, code from the body  the contract's codes: BAD_REQUEST_ERROR, NOT_FOUND_ERROR, …

Callers branch on ``code`` (stable), never on the description (for people).
"""

from __future__ import annotations

CONNECTION_ERROR = "CONNECTION_ERROR"


class ApiError(Exception):
    def __init__(self, status: int, code: str, description: str):
        super().__init__(description)
        self.status, self.code, self.description = status, code, description
