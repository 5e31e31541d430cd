"""The panel during and around runs: editing a notebook in JupyterLab and syncing it, the
plan preview, progress and Cancel on a slow cloud, and the connection to the Jupyter server
going away and coming back."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess
from aext_project_filebrowser_server.testing import cloud_client, remote_files

from .lab import Lab, start_lab
from .panel import (
    PANEL,
    SALES_FORECAST,
    button,
    connection_state,
    file_row,
    open_panel,
    row,
    wait_badge,
    wait_file_status,
)
from .test_panel import download


def test_edit_the_notebook_in_jupyterlab_then_sync_turns_it_synced(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    file_row(project, "forecast.ipynb").get_by_role("button").click()
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell .cm-content").first
    cell.wait_for()
    cell.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("# tuned by hand\n")
    page.keyboard.press("Control+s")
    open_panel(page)
    wait_file_status(project, "forecast.ipynb", "modified_local", timeout_ms=20_000)
    assert "1 to push" in wait_badge(project, "changes").inner_text()
    button(project, "Sync").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    wait_badge(project, "synced")
    wait_file_status(project, "forecast.ipynb", "synced")
    with cloud_client(lab.cloud_url) as cloud:
        notebook = json.loads(remote_files(cloud, SALES_FORECAST)["forecast.ipynb"])
    sources = ["".join(c["source"]) for c in notebook["cells"]]
    assert any(s.startswith("# tuned by hand") for s in sources), sources


def test_preview_plan_shows_each_direction_before_doing_it(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    folder = next((lab.root / "projects").iterdir())
    (folder / "notes.txt").write_text("mine\n")
    wait_file_status(project, "notes.txt", "new_local", timeout_ms=20_000)
    button(project, "Preview plan").click()
    dialog = page.locator(".jp-Dialog")
    dialog.locator('[data-operation="upload"]').get_by_text("notes.txt").wait_for()
    dialog.get_by_label("Pull (the cloud to this folder)").check()
    dialog.get_by_text("Nothing to do: the folder and the cloud agree.").wait_for()
    dialog.get_by_label("Push (this folder to the cloud)").check()
    dialog.locator('[data-operation="upload"]').wait_for()
    with cloud_client(lab.cloud_url) as cloud:
        assert "notes.txt" not in remote_files(cloud, SALES_FORECAST)  # a dry run
    button(dialog, "Run it now").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    with cloud_client(lab.cloud_url) as cloud:
        assert remote_files(cloud, SALES_FORECAST)["notes.txt"] == b"mine\n"


# Enough files and latency that the download, paced up to 32 files in flight, is still
# running when a slow browser's Cancel lands (40 files at 400 ms were done in 2 s).
FILES = 120


def test_a_slow_download_shows_progress_and_cancel_stops_it(
    lab: Lab, page_for: Any, replica_ui: ReplicaProcess
) -> None:
    with cloud_client(lab.cloud_url) as cloud:
        created = cloud.post("/api/projects", json={"title": "Slow one", "name": "slow-one"})
        assert created.status_code == 201, created.text
        project_id = created.json()["id"]
        for i in range(FILES):
            cloud.put(
                f"/api/projects/{project_id}/files/f{i:03}.bin",
                files={"files": (f"f{i:03}.bin", bytes(2048))},
            ).raise_for_status()
    page = page_for(lab)
    open_panel(page)
    button(page.locator(PANEL), "Refresh").click()
    project = row(page, project_id)
    project.wait_for()
    replica_ui.set_faults("latency=1500ms")
    button(project, "Download").click()
    bar = project.get_by_role("progressbar")
    bar.wait_for()
    project.get_by_text(f"of {FILES} files").wait_for(timeout=30_000)
    assert 0 <= int(bar.get_attribute("aria-valuenow") or "-1") <= 100
    button(project, "Cancel").click()
    project.locator('[data-outcome="cancelled"]').wait_for(timeout=60_000)
    replica_ui.set_faults("")
    folder = next(p for p in (lab.root / "projects").iterdir() if p.name == "Slow one")
    downloaded = [p for p in folder.iterdir() if p.suffix == ".bin"]
    assert len(downloaded) < FILES  # it stopped part-way
    assert all(p.read_bytes() == bytes(2048) for p in downloaded)  # and tore nothing
    button(project, "Sync").click()  # the next run finishes the job
    project.locator('[data-outcome="ok"]').wait_for(timeout=60_000)
    assert len([p for p in folder.iterdir() if p.suffix == ".bin"]) == FILES


def test_the_panel_says_when_the_server_is_gone_and_reconnects(
    tmp_path: Path, replica_ui: ReplicaProcess, page_for: Any
) -> None:
    lab = start_lab(tmp_path / "lab", replica_ui)
    try:
        page = page_for(lab)
        open_panel(page)
        connection_state(page, "connected")
        port = int(lab.url.rsplit(":", 1)[1].strip("/"))
        lab.stop()
        offline = page.locator(f"{PANEL} .aext-Connection-offline")
        offline.wait_for(timeout=20_000)
        assert "Offline" in offline.inner_text()
        lab = start_lab(tmp_path / "lab", replica_ui, port=port)
        offline.wait_for(state="detached", timeout=40_000)
        button(row(page, SALES_FORECAST), "Download").click()  # it works again
        wait_badge(row(page, SALES_FORECAST), "synced", timeout_ms=60_000)
    finally:
        lab.stop()
