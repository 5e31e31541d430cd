"""Auto-sync from the panel in a real Chromium: turned on in a project's row, a notebook
saved in JupyterLab is synced without pressing anything; a safety check pauses it and the
panel says so."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess
from aext_project_filebrowser_server.testing import cloud_client, remote_files

from .lab import Lab, start_lab
from .panel import SALES_FORECAST, button, file_row, open_panel, row, wait_until
from .test_panel import download, keep_screenshot

QUICK = (
    "--ProjectFileBrowserApp.auto_sync_quiet_seconds=1",
    "--ProjectFileBrowserApp.auto_sync_max_wait_seconds=5",
)


@pytest.fixture
def quick_lab(tmp_path: Path, replica_ui: ReplicaProcess) -> Iterator[Lab]:
    """A lab whose auto-sync waits one quiet second after a save (ten by default)."""
    server = start_lab(tmp_path / "lab", replica_ui, extra_args=QUICK)
    yield server
    server.stop()


def cloud_notebook_sources(lab: Lab) -> list[str]:
    with cloud_client(lab.cloud_url) as cloud:
        notebook = json.loads(remote_files(cloud, SALES_FORECAST)["forecast.ipynb"])
    return ["".join(c["source"]) for c in notebook["cells"]]


def test_auto_sync_on_save_syncs_a_saved_notebook_without_a_click(
    quick_lab: Lab, page_for: Any
) -> None:
    page = page_for(quick_lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    project.get_by_label("Auto-sync").select_option("on_save")
    project.locator('.aext-AutoSync[data-auto-sync="on_save"]').wait_for()
    keep_screenshot(page, "projects-auto-sync.png")

    file_row(project, "forecast.ipynb").get_by_role("button").click()
    cell = page.locator(".jp-NotebookPanel .jp-CodeCell .cm-content").first
    cell.wait_for()
    cell.click()
    page.keyboard.press("Control+Home")
    page.keyboard.type("# saved, then synced by itself\n")
    page.keyboard.press("Control+s")
    wait_until(
        lambda: any(
            s.startswith("# saved, then synced") for s in cloud_notebook_sources(quick_lab)
        ),
        timeout_s=60,
        what="the saved notebook in the cloud",
    )
    open_panel(page)
    button(project, "History").click()
    automatic = project.locator('.aext-HistoryRun[data-trigger="auto"]')
    automatic.first.wait_for(timeout=30_000)
    assert "automatic" in automatic.first.inner_text()


def test_a_safety_check_pauses_auto_sync_and_the_panel_says_so(
    quick_lab: Lab, page_for: Any
) -> None:
    page = page_for(quick_lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    project.get_by_label("Auto-sync").select_option("on_save")
    project.locator('.aext-AutoSync[data-auto-sync="on_save"]').wait_for()
    folder = next((quick_lab.root / "projects").iterdir())
    kept = {
        p.relative_to(folder) for p in folder.rglob("*") if p.is_file() and ".aext" not in str(p)
    }
    for path in folder.iterdir():  # every file goes: one side empty
        if path.name != ".aext-project":
            if path.is_dir():
                for inner in path.rglob("*"):
                    if inner.is_file():
                        inner.unlink()
            else:
                path.unlink()
    paused = project.locator('.aext-AutoSync[data-paused="true"] .aext-AutoSync-paused')
    paused.wait_for(timeout=60_000)
    assert "paused" in paused.inner_text()
    with cloud_client(quick_lab.cloud_url) as cloud:  # auto-sync never forces: nothing deleted
        assert {Path(p) for p in remote_files(cloud, SALES_FORECAST)} == kept
    assert row(page, SALES_FORECAST).locator(".aext-Attention").is_visible()
