"""Typed errors of the cloud Project API client.

Every error the client raises is a `CloudError`; each carries the HTTP `status` (None when
no response was received) and a stable machine `code` (the API's `error.code` when it sent
one). Messages are built by the client from the method, the URL path and the server's own
message, with the API key redacted: they never contain credentials.

| status            | class                                 |
|-------------------|---------------------------------------|
| 400 (and 405, 411, 413-415, 422) | `InvalidRequest`       |
| 401               | `AuthRequired`                        |
| 403               | `Forbidden`                           |
| 404               | `ProjectNotFound` / `FileNotFound`    |
| 409               | `AlreadyExists`                       |
| 412               | `PreconditionFailed`                  |
| 429               | `RateLimited` (after retries)         |
| 5xx, network      | `CloudUnavailable` (after retries)    |
| bad JSON / schema | `InvalidCloudResponse`                |
"""

from __future__ import annotations

__all__ = [
    "AlreadyExists",
    "AuthRequired",
    "CloudError",
    "CloudUnavailable",
    "FileNotFound",
    "Forbidden",
    "InvalidCloudResponse",
    "InvalidRequest",
    "LocalFileChanged",
    "NotFound",
    "PreconditionFailed",
    "ProjectNotFound",
    "RateLimited",
]


class CloudError(Exception):
    """Base of every error raised by the cloud client."""

    default_code = "cloud_error"

    def __init__(self, message: str, *, status: int | None = None, code: str | None = None):
        super().__init__(message)
        self.message = message
        self.status = status
        self.code = code or self.default_code

    def __str__(self) -> str:
        return self.message

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.message!r}, status={self.status}, code={self.code!r})"


class InvalidRequest(CloudError):
    """400: the cloud rejected the request as malformed (bad body, bad path...)."""

    default_code = "invalid_request"


class AuthRequired(CloudError):
    """401: no credentials, or the API key / token is invalid or expired."""

    default_code = "auth_required"


class Forbidden(CloudError):
    """403: authenticated, but not allowed to do this."""

    default_code = "forbidden"


class NotFound(CloudError):
    """404: the addressed thing does not exist (or is not visible to this user)."""

    default_code = "not_found"


class ProjectNotFound(NotFound):
    """404 on a project endpoint."""


class FileNotFound(NotFound):
    """404 on a file endpoint: the file (or, rarely, its project) does not exist."""


class AlreadyExists(CloudError):
    """409: the thing being created exists already (or the write conflicts)."""

    default_code = "conflict"


class PreconditionFailed(CloudError):
    """412: `If-Match` / `If-None-Match` did not hold: someone else wrote first."""

    default_code = "precondition_failed"


class RateLimited(CloudError):
    """429 that outlived the retry budget. `retry_after` is the server's hint in seconds."""

    default_code = "rate_limited"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = 429,
        code: str | None = None,
        retry_after: float | None = None,
    ):
        super().__init__(message, status=status, code=code)
        self.retry_after = retry_after


class CloudUnavailable(CloudError):
    """The cloud could not be reached or kept failing (network error, timeout, 5xx).

    `processed` tells what is known of the failed request's effect on the server:
    False when it provably was not processed (the connection was never made, or the server
    answered 503/429, which by contract come before any processing), None when the outcome
    is unknown (the connection dropped or timed out after the request was sent, or another
    5xx). A non-idempotent request is never repeated when `processed` is None.
    """

    default_code = "cloud_unavailable"

    def __init__(
        self,
        message: str,
        *,
        status: int | None = None,
        code: str | None = None,
        processed: bool | None = None,
    ):
        super().__init__(message, status=status, code=code)
        self.processed = processed

    @property
    def outcome_unknown(self) -> bool:
        """True when the request may or may not have taken effect on the server."""
        return self.processed is None


class InvalidCloudResponse(CloudError):
    """The cloud answered something this client cannot use: not JSON, a JSON document that
    does not match the expected schema, a download whose size or checksum is wrong, a
    pagination link to another origin."""

    default_code = "invalid_cloud_response"


class LocalFileChanged(CloudError):
    """The local file changed while it was being uploaded (size or expected hash); the
    upload was aborted before the cloud could commit it."""

    default_code = "local_file_changed"
