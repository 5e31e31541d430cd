"""The one error type services raise; handlers turn it into a JSON 4xx/5xx with its code."""

from __future__ import annotations


class ServiceError(Exception):
    """A failure the user should see: an HTTP status, a stable `code` and a message."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(message)
        self.status = status
        self.code = code
        self.message = message


def not_found(what: str) -> ServiceError:
    return ServiceError(404, "not_found", f"{what} was not found")
