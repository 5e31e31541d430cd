"""A Jupyter server with the extension pointed at the session replica, plus notebook helpers."""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aext_project_filebrowser_server.testing import (
    Project,
    cloud_client,
    create_project,
    unique_name,
)


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, replica: Any, tmp_path: Path) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": replica.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 3,
        "server_name": "lab-server",
        "projects_root": str(tmp_path / "projects-root"),
        "watch_folders": False,
    }


@pytest.fixture
def cloud_http(replica: Any) -> Iterator[httpx.Client]:
    """Alice talking to the replica directly, as another Jupyter server would."""
    with cloud_client(replica.url) as client:
        yield client


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, tmp_path: Path
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project with its local folder and store row (what POST projects does)."""

    async def make() -> Project:
        name = unique_name("nb")
        return await create_project(jp_serverapp, cloud_http, name, tmp_path / "folders" / name)

    return make


def cloud_version(client: httpx.Client, project_id: str, path: str) -> str:
    listing = client.get(f"/api/projects/{project_id}/files", params={"limit": 1000}).json()
    version: str = next(i["file_version_id"] for i in listing["items"] if i["path"] == path)
    return version


def put_remote(client: httpx.Client, project_id: str, path: str, data: bytes) -> str:
    """Replace the cloud file as another server would: If-Match its current version."""
    answer = client.put(
        f"/api/projects/{project_id}/files/{path}",
        files={"files": (path.rsplit("/", 1)[-1], data)},
        headers={"If-Match": cloud_version(client, project_id, path)},
    )
    assert answer.status_code in (200, 201), answer.text
    version: str = answer.json()["file_version_id"]
    return version


def versions(client: httpx.Client, project_id: str, path: str) -> list[dict[str, Any]]:
    answer = client.get(f"/api/projects/{project_id}/files/{path}/versions")
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


# --- notebooks ------------------------------------------------------------------------------


def notebook(*cells: tuple[str, str], language_version: str = "3.11") -> Any:
    """A notebook of (id, source) cells; ids starting with "md" are markdown."""
    return new_notebook(
        cells=[
            new_markdown_cell(source, id=cell_id)
            if cell_id.startswith("md")
            else new_code_cell(source, id=cell_id)
            for cell_id, source in cells
        ],
        metadata={"language_info": {"name": "python", "version": language_version}},
    )


def ran(nb: Any, cell_id: str, count: int, text: str) -> Any:
    """`nb` with one code cell executed: an execution count and a stream output."""
    for cell in nb.cells:
        if cell.id == cell_id:
            cell.execution_count = count
            cell.outputs = [new_output("stream", name="stdout", text=text)]
    return nb


def dump(nb: Any) -> bytes:
    """The file Jupyter would save (multi-line text as lists of lines)."""
    return (nbformat.writes(nb) + "\n").encode()


def cells_of(data: bytes) -> dict[str, dict[str, Any]]:
    loaded = json.loads(data)
    return {cell["id"]: cell for cell in loaded["cells"]}


def source_of(cell: dict[str, Any]) -> str:
    source = cell["source"]
    return "".join(source) if isinstance(source, list) else str(source)
