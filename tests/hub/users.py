"""What a hub user does, through the proxy: token calls, a browser session, the socket."""

from __future__ import annotations

import contextlib
import json
import time
from collections.abc import Iterator
from typing import Any

import httpx
from reliability.jupyter_process import WsRun, run_on_socket
from tornado.httpclient import HTTPRequest
from tornado.websocket import WebSocketClientConnection, websocket_connect

from .hub_process import Hub


def as_user(hub: Hub, user: str, token: str) -> httpx.Client:
    """`user`'s calls to the extension on their server, with their hub token."""
    return httpx.Client(
        base_url=hub.user_url(user, "aext_project_filebrowser_server/"),
        headers={"Authorization": f"token {token}"},
        timeout=60,
    )


async def socket(hub: Hub, user: str, headers: dict[str, str]) -> WebSocketClientConnection:
    url = hub.user_url(user, "aext_project_filebrowser_server/ws").replace("http://", "ws://")
    request = HTTPRequest(url, headers=headers, connect_timeout=20, request_timeout=20)
    return await websocket_connect(request)


async def run(hub: Hub, user: str, token: str, project_id: str, kind: str, **kw: Any) -> WsRun:
    """One push/pull/sync over `user`'s socket, through the proxy."""
    ws = await socket(hub, user, {"Authorization": f"token {token}"})
    return await run_on_socket(ws, project_id, kind, **kw)


@contextlib.contextmanager
def browser_login(hub: Hub, user: str) -> Iterator[httpx.Client]:
    """A browser session: the hub's login form (with its `_xsrf`), then the OAuth dance to
    the user's server, which leaves that server's login cookie and its `_xsrf` cookie."""
    with httpx.Client(base_url=hub.url, follow_redirects=True, timeout=60) as client:
        yield _logged_in(client, user)


def _logged_in(client: httpx.Client, user: str) -> httpx.Client:
    client.get("hub/login")
    form = {"username": user, "password": "any", "_xsrf": cookie(client, "_xsrf", "/hub/")}
    client.post("hub/login", data=form).raise_for_status()
    # An API route answers 403 without the server's cookie; a page (any authenticated one:
    # JupyterLab's, or a missing file) redirects to the hub's OAuth, which sets it.
    client.get(f"user/{user}/files/.no-such-file")
    landed = client.get(f"user/{user}/api/status")
    assert landed.status_code == 200, (landed.status_code, landed.text[:500])
    return client


def cookie(client: httpx.Client, name: str, path: str) -> str:
    for item in client.cookies.jar:
        if item.name == name and item.path.rstrip("/") == path.rstrip("/") and item.value:
            return item.value
    raise AssertionError(
        f"no {name} cookie for {path}: {[(c.name, c.path) for c in client.cookies.jar]}"
    )


def cookie_header(client: httpx.Client, path: str) -> str:
    """The Cookie header a browser sends to `path` (what a WebSocket upgrade carries)."""
    return "; ".join(f"{c.name}={c.value}" for c in client.cookies.jar if path.startswith(c.path))


def create_project(api: httpx.Client, title: str, owner: str | None = None) -> dict[str, Any]:
    body: dict[str, Any] = {"title": title}
    if owner:
        body["owner"] = owner
    answer = api.post("projects", json=body)
    assert answer.status_code == 201, answer.text
    project: dict[str, Any] = answer.json()
    return project


def wait_downloaded(api: httpx.Client, project_id: str, timeout: float = 60) -> dict[str, Any]:
    """Start the first download of a cloud project and wait for its run to end `ok`."""
    answer = api.post(f"projects/{project_id}/download", json={})
    assert answer.status_code == 202, answer.text
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        runs = api.get(f"projects/{project_id}/history").json()["runs"]
        if runs and runs[0]["result"] != "running":
            assert runs[0]["result"] == "ok", runs[0]
            detail: dict[str, Any] = api.get(f"projects/{project_id}").json()["project"]
            return detail
        time.sleep(0.1)
    raise AssertionError(f"the download of {project_id} did not end within {timeout:g} s")


def subscribe_message() -> str:
    return json.dumps({"type": "subscribe", "project_ids": "*"})
