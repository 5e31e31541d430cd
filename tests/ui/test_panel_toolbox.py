"""Coming from Anaconda Toolbox, in a real Chromium: the panel offers the projects Toolbox
left in the Jupyter folder, "Adopt" keeps the folder where it is, and the first sync keeps
both versions of the file that differs."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from toolbox.toolbox_db import fingerprint, make_database, row, write_folder

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess
from aext_project_filebrowser_server.testing import cloud_client

from .lab import Lab, start_lab
from .panel import PANEL, button, open_panel, wait_until
from .test_panel import keep_screenshot

CLOUD_FILES = {"same.py": b"print('same')\n", "notes.md": b"cloud text\n"}
LOCAL_FILES = {"same.py": b"print('same')\n", "notes.md": b"local text\n"}


@pytest.fixture
def toolbox_lab(tmp_path: Path, replica_ui: ReplicaProcess) -> Iterator[tuple[Lab, dict, Path]]:
    """A lab whose Jupyter folder holds Toolbox's database and one project folder."""
    with cloud_client(replica_ui.url) as cloud:
        created = cloud.post("/api/projects", json={"title": "Toolbox notes", "name": "tb-notes"})
        assert created.status_code == 201, created.text
        project = created.json()
        versions = {}
        for path, data in CLOUD_FILES.items():
            answer = cloud.put(
                f"/api/projects/{project['id']}/files/{path}", files={"files": (path, data)}
            )
            answer.raise_for_status()
            versions[path] = answer.json().get("file_version_id")
    root = tmp_path / "lab" / "notebooks"
    database = make_database(root, [row(project, versions)])
    write_folder(root, project["id"], LOCAL_FILES)
    server = start_lab(tmp_path / "lab", replica_ui)
    yield server, project, database
    server.stop()


def test_a_toolbox_project_is_adopted_in_place_and_its_first_sync_keeps_both(
    toolbox_lab: tuple[Lab, dict, Path], page_for: Any
) -> None:
    lab, project, database = toolbox_lab
    before = fingerprint(database)
    page = page_for(lab)
    panel = open_panel(page)
    offer = panel.locator(f'.aext-ToolboxProject[data-toolbox-id="{project["id"]}"]')
    offer.wait_for()
    assert "Toolbox notes" in offer.inner_text()
    keep_screenshot(page, "projects-toolbox.png")
    button(offer, "Adopt").click()
    panel.locator(".aext-Notice").get_by_text('Adopted "Toolbox notes"').wait_for()
    adopted = page.locator(f'{PANEL} [data-project-id="{project["id"]}"]')
    adopted.wait_for()
    assert offer.count() == 0

    button(adopted, "Sync").click()
    adopted.locator("[data-outcome]").wait_for(timeout=30_000)
    folder = lab.root / "anaconda_projects" / project["id"]  # it stayed where it was
    wait_until(lambda: any("(conflict" in p.name for p in folder.iterdir()), what="a copy")
    copy = next(p for p in folder.iterdir() if "(conflict" in p.name)
    assert {(folder / "notes.md").read_bytes(), copy.read_bytes()} == {
        b"cloud text\n",
        b"local text\n",
    }
    assert (folder / "same.py").read_bytes() == b"print('same')\n"
    assert fingerprint(database) == before  # the old database is only read
