"""Domain errors: one tree, stable codes. Adapters translate them once, with a table.

    PaygateError                      code
    ├── AuthenticationFailed          AUTHENTICATION_ERROR
    │   ├── ApiKeyExpired             API_KEY_EXPIRED     (past expires_at, or a rotated secret past its overlap)
    │   └── ApiKeyRevoked             API_KEY_REVOKED
    ├── PermissionDenied              PERMISSION_ERROR    (the key lacks the operation's scope)
    ├── InvalidRequest                BAD_REQUEST_ERROR
    │   ├── InvalidVpa                INVALID_VPA
    │   ├── InvalidCard               INVALID_CARD
    │   ├── ExpiredCard               EXPIRED_CARD
    │   ├── InvalidStateTransition    BAD_REQUEST_ERROR   (a status move the table forbids)
    │   │   └── NotCapturable         BAD_REQUEST_ERROR
    │   └── RefundExceedsAvailable    BAD_REQUEST_ERROR
    ├── NotFound                      NOT_FOUND_ERROR
    ├── IdempotencyKeyReused          IDEMPOTENCY_ERROR   (same key, another body)
    ├── IdempotencyKeyInProgress      CONFLICT_ERROR      (same key, first request still running)
    ├── PayloadTooLarge               PAYLOAD_TOO_LARGE
    ├── RateLimited                   RATE_LIMIT_ERROR
    └── ServiceUnavailable            SERVICE_UNAVAILABLE
        └── CommitInDoubt             SERVICE_UNAVAILABLE (COMMIT sent, outcome unknown)
        └── Overloaded                SERVICE_UNAVAILABLE (the committer's queue is full; Retry-After)

The core raises these and nothing transport-shaped; it never knows an HTTP status.
"""

from __future__ import annotations


class PaygateError(Exception):
    code = "PAYGATE_ERROR"
    description = "Something went wrong"

    def __init__(self, description: str | None = None, *, field: str | None = None, **extra):
        self.description = description or self.description
        self.field = field
        self.extra = extra
        super().__init__(self.description)

    def as_dict(self) -> dict:
        body = {"code": self.code, "description": self.description}
        if self.field:
            body["field"] = self.field
        body.update(self.extra)
        return body


class AuthenticationFailed(PaygateError):
    """401. The description says what to fix, but never whether a key exists: an unknown key
    and a wrong secret read the same to someone who does not hold the secret."""

    code = "AUTHENTICATION_ERROR"
    description = "Invalid API credentials: the API key is unknown or the secret does not match it"


class ApiKeyExpired(AuthenticationFailed):
    code = "API_KEY_EXPIRED"
    description = "This API key has expired"


class ApiKeyRevoked(AuthenticationFailed):
    code = "API_KEY_REVOKED"
    description = "This API key has been revoked"


class PermissionDenied(PaygateError):
    code = "PERMISSION_ERROR"
    description = "This API key is not allowed to perform this operation"


class InvalidRequest(PaygateError):
    code = "BAD_REQUEST_ERROR"
    description = "Invalid request"


class InvalidVpa(InvalidRequest):
    code = "INVALID_VPA"
    description = "Invalid VPA"


class InvalidCard(InvalidRequest):
    code = "INVALID_CARD"
    description = "Invalid card number"


class ExpiredCard(InvalidRequest):
    code = "EXPIRED_CARD"
    description = "Card has expired"


class InvalidStateTransition(InvalidRequest):
    description = "Invalid state transition"


class NotCapturable(InvalidStateTransition):
    description = "Payment not in capturable state"


class RefundExceedsAvailable(InvalidRequest):
    description = "Refund amount exceeds available amount"


class NotFound(PaygateError):
    code = "NOT_FOUND_ERROR"
    description = "Not found"


class IdempotencyKeyReused(PaygateError):
    code = "IDEMPOTENCY_ERROR"
    description = "Idempotency-Key was already used with a different request body"


class IdempotencyKeyInProgress(PaygateError):
    code = "CONFLICT_ERROR"
    description = "A request with this Idempotency-Key is still being processed; retry later"


class PayloadTooLarge(PaygateError):
    code = "PAYLOAD_TOO_LARGE"
    description = "Request body is too large"


class RateLimited(PaygateError):
    code = "RATE_LIMIT_ERROR"
    description = "Too many requests"

    def __init__(self, retry_after: int = 1, description: str | None = None):
        super().__init__(description)
        self.retry_after = retry_after


class ServiceUnavailable(PaygateError):
    code = "SERVICE_UNAVAILABLE"
    description = "Service temporarily unavailable; retry with the same Idempotency-Key"


class CommitInDoubt(ServiceUnavailable):
    """The database failed once COMMIT was sent: the request may or may not have taken effect.
    Nothing is run again on that guess; a retry with the same key replays or redoes it once."""

    description = (
        "The database failed while committing this request, so it may or may not have taken effect; "
        "retrying with the same Idempotency-Key is safe"
    )


class Overloaded(ServiceUnavailable):
    """More creates are waiting for a commit than the process will hold: refused before any work."""

    description = "The server is busy; retry shortly with the same Idempotency-Key"

    def __init__(self, retry_after: int = 1, description: str | None = None):
        super().__init__(description)
        self.retry_after = retry_after
