"""Adopting while the cloud cannot be asked: the stored copy is used until the next refresh."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from reliability.jupyter_process import free_port
from rest.helpers import Api

from .toolbox_db import fingerprint, make_database, offline_project, row, write_folder


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, tmp_path: Path) -> dict[str, Any]:
    """A cloud URL nothing listens on."""
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": f"http://127.0.0.1:{free_port()}",
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 1,
        "cloud_timeout": 2.0,
        "projects_root": str(tmp_path / "projects-root"),
    }


async def test_an_unreachable_cloud_adopts_from_the_stored_copy(api: Api, root: Path) -> None:
    project = offline_project("Written on a plane")
    database = make_database(root, [row(project, {"notes.md": "v-1"}, "Python 3 (ipykernel)")])
    folder = write_folder(root, project["id"], {"notes.md": b"draft\n"})
    before = fingerprint(database)
    adopted = await api.post("toolbox", "projects", project["id"], "adopt", body={})
    assert adopted.code == 200, adopted.body
    assert adopted.body["cloud_status"] == "unreachable"
    local = adopted.body["project"]
    assert (local["title"], local["local_path"], local["owner_id"]) == (
        "Written on a plane",
        str(folder),
        project["owner"]["id"],
    )
    assert local["default_environment"] == "Python 3 (ipykernel)"
    assert local["tags"] == ["toolbox"]
    assert local["cloud_created_at"].startswith("2025-11-13T13:29:47.246655")
    assert (folder / "notes.md").read_bytes() == b"draft\n"
    assert fingerprint(database) == before
