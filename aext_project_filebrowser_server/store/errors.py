"""Errors raised by the store's CRUD functions."""


class StoreError(Exception):
    """Base of the store's errors."""


class NotFound(StoreError):
    """The row asked for does not exist."""


class StaleVersion(StoreError):
    """An update named a version that is no longer current: someone else wrote first."""

    def __init__(self, entity: str, key: str, expected: int, current: int | None) -> None:
        super().__init__(
            f"{entity} {key} changed since it was read (expected version {expected}, "
            f"current {current})"
        )
        self.expected = expected
        self.current = current


class AlreadyExists(StoreError):
    """A row with the same unique key exists."""
