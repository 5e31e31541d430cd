"""The WebSocket: push/pull/sync requests in, progress and project events out.

Messages are validated by the pydantic union in schemas/ws.py; an invalid one gets an
`error` reply and the connection stays open. A sync runs as a background task owned by
the server, so closing the socket does not cancel it; a new connection that subscribes to
the project receives its progress.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
from typing import Any

from jupyter_server.auth.decorator import authorized, ws_authenticated
from jupyter_server.base.handlers import JupyterHandler
from jupyter_server.base.websocket import WebSocketMixin
from jupyter_server.extension.handler import ExtensionHandlerMixin
from pydantic import ValidationError
from tornado.websocket import WebSocketClosedError, WebSocketHandler

from ..context import AppContext
from ..schemas.ws import CancelMessage, SubscribeMessage, SyncMessage, client_message
from ..services.errors import ServiceError
from ..services.events import Event
from ..services.sync.run import start_sync
from .base import AUTH_RESOURCE

MAX_MESSAGE_BYTES = 1024 * 1024


class SyncWebSocket(WebSocketMixin, WebSocketHandler, ExtensionHandlerMixin, JupyterHandler):
    auth_resource = AUTH_RESOURCE

    @property
    def context(self) -> AppContext:
        value: AppContext = self.settings["pfb_context"]
        return value

    def get_compression_options(self) -> dict[str, Any] | None:
        return None

    @property
    def max_message_size(self) -> int:
        return MAX_MESSAGE_BYTES

    @ws_authenticated
    @authorized
    async def get(self, *args: Any, **kwargs: Any) -> None:
        await super().get(*args, **kwargs)

    def open(self, *args: Any, **kwargs: Any) -> None:
        super().open(*args, **kwargs)
        self._all_projects = False
        self._projects: set[str] = set()
        self._queue = self.context.events.subscribe()
        self._polled: list[list[str] | None] = []  # what this connection asked to follow
        self._forwarder = asyncio.ensure_future(self._forward_events())

    def on_close(self) -> None:
        super().on_close()
        self.context.events.unsubscribe(self._queue)
        for followed in self._polled:
            self.context.subscriptions.remove(followed)
        self._forwarder.cancel()

    def _send(self, message: dict[str, Any]) -> None:
        self._send_text(json.dumps(message, default=str))

    def _send_text(self, text: str) -> None:
        with contextlib.suppress(WebSocketClosedError):
            self.write_message(text)

    def _error(self, code: str, message: str, request_id: str | None = None) -> None:
        reply: dict[str, Any] = {"type": "error", "code": code, "message": message}
        if request_id:
            reply["request_id"] = request_id
        self._send(reply)

    async def _forward_events(self) -> None:
        while True:
            event: Event = await self._queue.get()
            if self._all_projects or event.project_id in self._projects:
                self._send_text(event.text)

    async def on_message(self, raw: str | bytes) -> None:
        try:
            message = client_message.validate_json(raw)
        except ValidationError as exc:
            problems = "; ".join(
                f"{'.'.join(str(p) for p in e['loc']) or 'message'}: {e['msg']}"
                for e in exc.errors()[:5]
            )
            self._error("invalid_message", problems)
            return
        if isinstance(message, SubscribeMessage):
            self._subscribe(message)
        elif isinstance(message, CancelMessage):
            self._cancel(message)
        else:
            await self._start(message)

    def _subscribe(self, message: SubscribeMessage) -> None:
        if message.project_ids == "*":
            self._all_projects = True
            polled: list[str] | None = None
        else:
            self._projects.update(message.project_ids)
            polled = list(message.project_ids)
        self._polled.append(polled)
        self.context.subscriptions.add(polled)  # the cloud poll checks these projects
        for running in self.context.syncs.all():
            followed = self._all_projects or running.project_id in self._projects
            if followed and running.last_progress is not None:
                self._send(
                    {
                        "type": "progress",
                        "request_id": running.request_id,
                        "project_id": running.project_id,
                        **running.last_progress,
                    }
                )
        self._send({"type": "subscribed", "project_ids": message.project_ids})

    def _cancel(self, message: CancelMessage) -> None:
        running = self.context.syncs.for_request(message.request_id)
        if running is None:
            self._error("not_running", "no running sync has this request_id", message.request_id)
            return
        running.cancel.set()

    async def _start(self, message: SyncMessage) -> None:
        self._projects.add(message.project_id)  # the requester follows its own sync
        try:
            await start_sync(
                self.context,
                project_id=message.project_id,
                direction=message.type,
                request_id=message.request_id,
                force=message.force,
                paths=message.paths,
            )
        except ServiceError as exc:
            self._send(
                {
                    "type": "failed",
                    "request_id": message.request_id,
                    "project_id": message.project_id,
                    "code": exc.code,
                    "message": exc.message,
                }
            )


default_handlers = [(r"/aext_project_filebrowser_server/ws", SyncWebSocket)]
