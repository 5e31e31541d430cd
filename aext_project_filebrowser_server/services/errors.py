"""The one error type services raise; handlers turn it into a JSON 4xx/5xx with its code.

`service_call` is how handlers await a service: a cloud failure that a service let through
becomes its `ServiceError` here, so handlers know nothing of the cloud client.
"""

from __future__ import annotations

from collections.abc import Awaitable
from typing import TypeVar

from ..cloud.errors import (
    AuthRequired,
    CloudError,
    Forbidden,
    InvalidCloudResponse,
    InvalidRequest,
    ProjectNotFound,
)

T = TypeVar("T")


class ServiceError(Exception):
    """A failure the user should see: an HTTP status, a stable `code` and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str) -> ServiceError:
    return ServiceError(404, "not_found", f"{what} was not found")


def cloud_failure(exc: CloudError) -> ServiceError:
    """The user-facing error of a cloud failure. Each cause keeps its own code, so a user is
    never told "the cloud is unavailable" when it answered but refused the request or sent
    something that cannot be trusted."""
    if isinstance(exc, AuthRequired):
        return ServiceError(401, "auth_required_cloud", "the cloud did not accept the API key")
    if isinstance(exc, Forbidden):
        return ServiceError(403, "forbidden", "the cloud refused: no permission on this project")
    if isinstance(exc, ProjectNotFound):
        return ServiceError(404, "not_found", "the project no longer exists in the cloud")
    if isinstance(exc, InvalidRequest):
        return ServiceError(502, "cloud_rejected", f"the cloud refused the request: {exc}")
    if isinstance(exc, InvalidCloudResponse):
        why = f"the cloud sent an answer that cannot be trusted, nothing was changed: {exc}"
        return ServiceError(502, "invalid_cloud_response", why)
    return ServiceError(502, "cloud_unavailable", f"the cloud is unavailable: {exc}")


async def service_call(work: Awaitable[T]) -> T:
    """Await a service; a `CloudError` it let through becomes `cloud_failure(error)`."""
    try:
        return await work
    except CloudError as exc:
        raise cloud_failure(exc) from None
