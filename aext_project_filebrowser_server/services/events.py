"""In-process publish/subscribe of project events for WebSocket connections.

Events are the WebSocket messages themselves (`project_changed`, and a sync's `accepted`,
`progress`, `conflict`, `completed`, `failed`), keyed by project, so any connection that
subscribes to a project sees its sync's progress, even after reconnecting.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from dataclasses import dataclass
from functools import cached_property
from typing import Any

QUEUE_LIMIT = 1000


@dataclass(frozen=True)
class Event:
    project_id: str
    message: Mapping[str, Any]

    @cached_property
    def text(self) -> str:
        """The message as JSON, encoded once however many connections send it."""
        return json.dumps(self.message, default=str)


class EventBus:
    """Each subscriber gets its own bounded queue; a stalled one loses events, not memory."""

    def __init__(self) -> None:
        self._queues: set[asyncio.Queue[Event]] = set()

    def subscribe(self) -> asyncio.Queue[Event]:
        queue: asyncio.Queue[Event] = asyncio.Queue(QUEUE_LIMIT)
        self._queues.add(queue)
        return queue

    def unsubscribe(self, queue: asyncio.Queue[Event]) -> None:
        self._queues.discard(queue)

    def publish(self, project_id: str, message: Mapping[str, Any]) -> None:
        event = Event(project_id, message)
        for queue in list(self._queues):
            if not queue.full():
                queue.put_nowait(event)

    def project_changed(self, project_id: str, reason: str) -> None:
        """Tell every subscriber that a project's files, metadata or status changed."""
        self.publish(
            project_id, {"type": "project_changed", "project_id": project_id, "reason": reason}
        )
