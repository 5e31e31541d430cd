"""WebSocket messages from the browser: a discriminated union on `type`.

Server-to-client messages are built by the sync run and the event bus (see
services/sync/run.py and services/events.py): `accepted`, `progress`, `conflict`,
`completed`, `failed`, `project_changed`, and `error` for an invalid message.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter

RequestId = Annotated[str, Field(min_length=1, max_length=128)]
ProjectId = Annotated[str, Field(min_length=1, max_length=64)]


class _Message(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class SyncMessage(_Message):
    """Start a push (local → cloud), pull (cloud → local) or two-way sync."""

    type: Literal["push", "pull", "sync"]
    request_id: RequestId
    project_id: ProjectId
    force: bool = False
    paths: (
        Annotated[
            list[Annotated[str, Field(min_length=1, max_length=1024)]], Field(max_length=10_000)
        ]
        | None
    ) = None


class CancelMessage(_Message):
    """Stop a running sync after the files in flight."""

    type: Literal["cancel"]
    request_id: RequestId


class SubscribeMessage(_Message):
    """Receive `project_changed` and sync messages for these projects ("*": all)."""

    type: Literal["subscribe"]
    project_ids: Annotated[list[ProjectId], Field(max_length=10_000)] | Literal["*"]


ClientMessage = Annotated[
    SyncMessage | CancelMessage | SubscribeMessage, Field(discriminator="type")
]
client_message = TypeAdapter(ClientMessage)
