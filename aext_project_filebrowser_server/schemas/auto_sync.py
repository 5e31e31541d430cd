"""Auto-sync: the per-project setting a client sends, and the state every project shows."""

from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

AutoSyncMode = Literal["off", "on_save", "interval"]
MIN_INTERVAL_MINUTES = 1
MAX_INTERVAL_MINUTES = 1440  # once a day


def leave_out_default(schema: dict[str, Any]) -> None:
    """`json_schema_extra` of a request field a client may leave out: without a `default` in
    the OpenAPI document, the generated TypeScript type makes it optional (`field?:`), as
    the API is documented, instead of a field every client must send (openapi-typescript
    treats a field with a default as always present)."""
    schema.pop("default", None)


#: A request field a client may leave out (see `leave_out_default`).
OPTIONAL: dict[str, Any] = {"json_schema_extra": leave_out_default}


class AutoSyncBody(BaseModel):
    """`PUT projects/{id}/auto_sync`, and `auto_sync` of `POST projects`.

    `interval_minutes` (1-1440) is required for `interval` and refused otherwise, so that a
    client never believes it set an interval that is not used.
    """

    model_config = ConfigDict(frozen=True, extra="forbid")

    mode: AutoSyncMode
    interval_minutes: int | None = Field(
        default=None, ge=MIN_INTERVAL_MINUTES, le=MAX_INTERVAL_MINUTES, **OPTIONAL
    )

    @model_validator(mode="after")
    def _interval_with_its_mode(self) -> AutoSyncBody:
        if self.mode == "interval" and self.interval_minutes is None:
            raise ValueError("interval_minutes (1-1440) is required for mode interval")
        if self.mode != "interval" and self.interval_minutes is not None:
            raise ValueError("interval_minutes is only for mode interval")
        return self


class AutoSyncState(BaseModel):
    """`auto_sync` of every project. `paused`: a safety gate refused an automatic run, so
    auto-sync waits for the user (setting a mode again resumes it); `last_run_at`: when the
    last automatic run finished."""

    model_config = ConfigDict(frozen=True)

    mode: AutoSyncMode = "off"
    interval_minutes: int | None = None
    paused: bool = False
    paused_reason: str | None = None
    last_run_at: datetime | None = None
