"""The replica's error vocabulary.

Storage and request code raise these; the base handler renders every one of them as the
Project API's JSON error body, `{"error": {"code": ..., "message": ...}}`, so no code path
needs to know about HTTP status lines and no client ever sees a traceback.
"""

from __future__ import annotations

from collections.abc import Mapping


class ReplicaError(Exception):
    """An error with an HTTP status and a stable machine code."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, headers: Mapping[str, str] | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.headers: Mapping[str, str] = headers or {}


class InvalidRequest(ReplicaError):
    status = 400
    code = "invalid_request"


class InvalidPath(ReplicaError):
    status = 400
    code = "invalid_path"


class AuthRequired(ReplicaError):
    status = 401
    code = "auth_required"


class Forbidden(ReplicaError):
    status = 403
    code = "forbidden"


class NotFound(ReplicaError):
    status = 404
    code = "not_found"


class MethodNotAllowed(ReplicaError):
    status = 405
    code = "method_not_allowed"


class Conflict(ReplicaError):
    status = 409
    code = "conflict"


class PreconditionFailed(ReplicaError):
    status = 412
    code = "precondition_failed"


class TooLarge(ReplicaError):
    status = 413
    code = "too_large"


class RangeNotSatisfiable(ReplicaError):
    status = 416
    code = "range_not_satisfiable"


class RateLimited(ReplicaError):
    status = 429
    code = "rate_limited"


class InjectedFault(ReplicaError):
    """An answer chosen by fault injection (5xx, or 429 with Retry-After)."""

    def __init__(
        self,
        status: int,
        code: str = "unavailable",
        message: str = "injected fault",
        headers: Mapping[str, str] | None = None,
    ) -> None:
        super().__init__(message, headers)
        self.status = status
        self.code = code


class BlobMissing(ReplicaError):
    status = 500
    code = "blob_missing"
