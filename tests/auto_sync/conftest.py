"""A Jupyter server (in process) with the folder watcher and short auto-sync delays, against
a real replica over loopback; projects live under the watched projects root."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.testing import (
    EXTENSION,
    Project,
    cloud_client,
    create_project,
    unique_name,
)

#: Short enough for a test, long enough that a burst of saves (the watcher reports them a
#: second or two late on a busy machine) falls into one quiet period.
QUIET_S = 3.0
MAX_WAIT_S = 30.0
RETRY_S = 1.0


@pytest.fixture
def auto_replica(replica: Any) -> Any:
    """The cloud; modules that need faults override it with a replica of their own."""
    return replica


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, auto_replica: Any, tmp_path: Path) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": auto_replica.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 1,
        "cloud_timeout": 10.0,
        "cloud_poll_interval": 0,
        "server_name": "auto-lab",
        "projects_root": str(tmp_path / "projects-root"),
        "auto_sync_quiet_seconds": QUIET_S,
        "auto_sync_max_wait_seconds": MAX_WAIT_S,
        "auto_sync_retry_seconds": RETRY_S,
    }


@pytest.fixture
def cloud_http(auto_replica: Any) -> Iterator[httpx.Client]:
    with cloud_client(auto_replica.url) as client:
        yield client


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A cloud project with its folder under the watched projects root and its store row.
    The first call also starts the extension's background work (the folder watcher, the
    auto-sync scheduler), which pytest-jupyter's server never starts by itself; the
    server's teardown stops it through `stop_extension`."""
    started: list[bool] = []

    async def make() -> Project:
        if not started:
            await jp_serverapp.extension_manager.start_all_extensions()
            started.append(True)
        name = unique_name("auto")
        root = tmp_path / "projects-root" / name
        return await create_project(jp_serverapp, cloud_http, name, root)

    return make


class Listener:
    """Every message a WebSocket subscribed to some projects receives, in order."""

    def __init__(self, ws: Any) -> None:
        self.ws = ws
        self.messages: list[dict[str, Any]] = []
        self._arrived = asyncio.Event()
        self._reader = asyncio.ensure_future(self._read())

    async def _read(self) -> None:
        while (raw := await self.ws.read_message()) is not None:
            self.messages.append(json.loads(raw))
            self._arrived.set()

    async def wait_for(
        self, found: Callable[[list[dict[str, Any]]], bool], timeout: float = 90.0
    ) -> list[dict[str, Any]]:
        """Wait until `found(messages)` holds; the messages so far."""
        loop = asyncio.get_running_loop()
        deadline = loop.time() + timeout
        while not found(self.messages):
            self._arrived.clear()
            left = deadline - loop.time()
            if left <= 0:
                kinds = [
                    (m.get("type"), m.get("request_id"), m.get("reason")) for m in self.messages
                ]
                raise AssertionError(f"timed out; messages so far: {kinds}")
            with contextlib.suppress(asyncio.TimeoutError):
                await asyncio.wait_for(self._arrived.wait(), left)
        return self.messages

    def auto_ends(self) -> list[dict[str, Any]]:
        """The `completed`/`failed` messages of automatic runs."""
        return [
            m
            for m in self.messages
            if m.get("type") in ("completed", "failed")
            and str(m.get("request_id", "")).startswith("auto-")
        ]


@pytest.fixture
def listen(jp_ws_fetch: Any) -> Iterator[Callable[[str], Awaitable[Listener]]]:
    """`await listen(project_id)`: a subscribed WebSocket recording what it receives."""
    opened: list[Listener] = []

    async def subscribe(project_id: str) -> Listener:
        ws = await jp_ws_fetch(EXTENSION, "ws")
        listener = Listener(ws)
        ws.write_message(json.dumps({"type": "subscribe", "project_ids": [project_id]}))
        await listener.wait_for(lambda ms: any(m["type"] == "subscribed" for m in ms), 30)
        opened.append(listener)
        return listener

    yield subscribe
    for listener in opened:
        listener.ws.close()
        listener._reader.cancel()


async def set_mode(jp_fetch: Any, project_id: str, body: dict[str, Any]) -> dict[str, Any]:
    answer = await jp_fetch(
        EXTENSION, "projects", project_id, "auto_sync", method="PUT", body=json.dumps(body)
    )
    assert answer.code == 200
    state: dict[str, Any] = json.loads(answer.body)
    return state


async def get_project(jp_fetch: Any, project_id: str) -> dict[str, Any]:
    answer = await jp_fetch(EXTENSION, "projects", project_id)
    project: dict[str, Any] = json.loads(answer.body)["project"]
    return project


async def history(jp_fetch: Any, project_id: str) -> list[dict[str, Any]]:
    answer = await jp_fetch(EXTENSION, "projects", project_id, "history")
    runs: list[dict[str, Any]] = json.loads(answer.body)["runs"]
    return runs
