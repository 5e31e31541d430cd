"""A file's versions from JupyterLab's file browser: an older notebook version opened
read-only, then restored, in a real Chromium."""

from __future__ import annotations

import json
from typing import Any

from aext_project_filebrowser_server.testing import cloud_client

from .lab import Lab
from .panel import SALES_FORECAST, button, open_panel, row, wait_until
from .test_panel import download, keep_screenshot
from .test_panel_conflicts import browse_to, browser_item, put_cloud, sales_folder, toast


def notebook(text: str) -> bytes:
    cell = {"cell_type": "markdown", "metadata": {}, "source": [text]}
    body = {"cells": [cell], "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return json.dumps(body, indent=1).encode()


def test_an_older_notebook_version_is_opened_and_restored_from_the_file_browser(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    download(page, SALES_FORECAST)
    folder = sales_folder(lab)
    original = (folder / "forecast.ipynb").read_bytes()
    put_cloud(lab, "forecast.ipynb", notebook("A newer forecast"))
    project = row(page, SALES_FORECAST)
    button(project, "Pull").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    assert b"A newer forecast" in (folder / "forecast.ipynb").read_bytes()

    browse_to(page, f"projects/{folder.name}")
    browser_item(page, "forecast.ipynb").click(button="right")
    page.get_by_role("menuitem", name="Show versions…").click()
    dialog = page.locator(".jp-Dialog")
    versions = dialog.locator(".aext-Version")
    wait_until(lambda: versions.count() == 2, what="two versions")
    keep_screenshot(page, "projects-versions.png")
    button(versions.nth(1), "Open").click()
    view = page.locator(".aext-ReadOnlyView")
    view.wait_for()
    view.get_by_text("Read-only").wait_for()
    original_cells = json.loads(original)["cells"]
    first_source = "".join(original_cells[0]["source"]).splitlines()[0]
    view.get_by_text(first_source.lstrip("# ").strip()[:20]).first.wait_for(timeout=20_000)

    browser_item(page, "forecast.ipynb").click(button="right")
    page.get_by_role("menuitem", name="Show versions…").click()
    versions = page.locator(".jp-Dialog .aext-Version")
    wait_until(lambda: versions.count() == 2, what="two versions")
    button(versions.nth(1), "Restore…").click()
    confirm = page.locator(".jp-Dialog")
    confirm.get_by_text("conflict copy").wait_for()
    button(confirm, "Restore").click()
    toast(page, "Restored forecast.ipynb").wait_for()
    assert (folder / "forecast.ipynb").read_bytes() == original
    assert not [p for p in folder.iterdir() if "(conflict" in p.name]  # it was synced: no copy


def test_recently_deleted_files_come_back_from_the_trash_and_from_the_cloud(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    folder = sales_folder(lab)
    readme = (folder / "README.md").read_bytes()
    model = (folder / "src" / "model.py").read_bytes()
    with cloud_client(lab.cloud_url) as cloud:  # another user deletes README.md in the cloud
        answer = cloud.delete(f"/api/projects/{SALES_FORECAST}/files/README.md")
        assert answer.status_code in (200, 204), answer.text
    (folder / "src" / "model.py").unlink()  # and the user deletes one here
    button(project, "Sync").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    assert not (folder / "README.md").exists()

    button(project, "Recently deleted").click()
    trashed = project.locator('.aext-Deleted[data-source="trash"][data-path="README.md"]')
    in_cloud = project.locator('.aext-Deleted[data-source="cloud"][data-path="src/model.py"]')
    trashed.wait_for()
    in_cloud.wait_for()
    keep_screenshot(page, "projects-deleted.png")

    button(trashed, "Restore").click()
    project.locator(".aext-Notice").get_by_text("Restored README.md").wait_for()
    assert (folder / "README.md").read_bytes() == readme
    button(in_cloud, "Restore").click()
    project.locator(".aext-Notice").get_by_text("Restored src/model.py").wait_for()
    assert (folder / "src" / "model.py").read_bytes() == model
