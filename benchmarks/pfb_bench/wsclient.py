"""Driving push/pull/sync over the extension's WebSocket, timed from request to `completed`."""

from __future__ import annotations

import asyncio
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from .procs import EXTENSION


@dataclass(frozen=True)
class RunResult:
    seconds: float
    message: dict[str, Any]

    @property
    def ok(self) -> bool:
        return self.message.get("type") == "completed" and (
            self.message.get("summary", {}).get("result") == "ok"
        )

    def counts(self) -> dict[str, int]:
        counts: dict[str, int] = self.message.get("summary", {}).get("counts", {})
        return counts


def ws_url(base_url: str) -> str:
    return base_url.replace("http://", "ws://", 1) + f"{EXTENSION}/ws"


async def connect(base_url: str, token: str) -> WebSocketClientConnection:
    request = HTTPRequest(
        ws_url(base_url), headers={"Authorization": f"token {token}"}, request_timeout=30
    )
    return await websocket_connect(request, max_message_size=16 * 1024 * 1024)


async def _run(base_url: str, token: str, kind: str, project_id: str, timeout: float) -> RunResult:
    ws = await connect(base_url, token)
    try:
        request_id = uuid.uuid4().hex
        started = time.perf_counter()
        await ws.write_message(
            json.dumps({"type": kind, "request_id": request_id, "project_id": project_id})
        )
        while True:
            raw = await asyncio.wait_for(ws.read_message(), timeout)
            if raw is None:
                raise RuntimeError("the WebSocket closed before the run ended")
            message = json.loads(raw)
            if message.get("request_id") != request_id:
                continue
            if message["type"] in ("completed", "failed", "error"):
                return RunResult(time.perf_counter() - started, message)
    finally:
        ws.close()


def run_sync(
    base_url: str, token: str, kind: str, project_id: str, timeout: float = 600
) -> RunResult:
    """One push/pull/sync; raises if it did not complete with result "ok"."""
    result = asyncio.run(_run(base_url, token, kind, project_id, timeout))
    if not result.ok:
        raise RuntimeError(f"{kind} of {project_id} did not succeed: {result.message}")
    return result
