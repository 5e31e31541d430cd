"""Constants and helpers shared by the replica tests (a uniquely named module, since
pytest may not import `conftest` modules by name)."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess

SALES_FORECAST = "5a1e5000-f0ec-4a57-8000-000000000001"  # alice's, shared with bob (reader)
SCRATCH = "5c4a7c40-0000-4a11-8000-000000000002"  # alice's, private
WEATHER = "3ea74e40-0000-4b0b-8000-000000000003"  # bob's
TEAM_DASHBOARD = "da5b0a4d-0000-4acc-8000-000000000004"  # acme's (alice and bob)
PUBLIC_EXAMPLES = "9b11c000-0000-4b0b-8000-000000000005"  # bob's, public
ALICE_ID = "a11ce000-0000-4000-8000-000000000001"
BOB_ID = "b0b00000-0000-4000-8000-000000000002"
CAROL_ID = "ca401000-0000-4000-8000-000000000003"
ACME_ID = "ac3e0000-0000-4000-8000-0000000000a1"


def client_for(server: ReplicaProcess, key: str | None) -> httpx.Client:
    headers = {"Api-Version": "2023.11.28"}
    if key is not None:
        headers["Authorization"] = f"Bearer {key}"
    return httpx.Client(base_url=server.url, headers=headers, timeout=30.0)


def upload(
    client: httpx.Client,
    project_id: str,
    path: str,
    content: bytes,
    headers: dict[str, str] | None = None,
) -> httpx.Response:
    return client.put(
        f"/api/projects/{project_id}/files/{path}",
        files={"files": (path.rsplit("/", 1)[-1], content)},
        headers=headers,
    )


def new_project(client: httpx.Client, **fields: Any) -> dict[str, Any]:
    """Create a uniquely named project (fields override the body) and return its JSON."""
    body: dict[str, Any] = {"name": f"t-{uuid.uuid4().hex[:12]}", "title": "Test project"}
    body.update(fields)
    response = client.post("/api/projects", json=body)
    assert response.status_code == 201, response.text
    project: dict[str, Any] = response.json()
    return project


def error_code(response: httpx.Response) -> str:
    body = response.json()
    assert set(body) == {"error"}, body
    assert isinstance(body["error"]["message"], str)
    code: str = body["error"]["code"]
    return code
