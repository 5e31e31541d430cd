"""The Projects panel in a real Chromium against a real JupyterLab, extension and replica.

Each test gets its own replica (demo seed) and JupyterLab, and acts as a user would: clicks
by accessible names, reads the panel's stable data attributes, never calls the extension's
REST API to do what the panel should do (the cloud is written directly only to play
"another user").
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

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
    row_by_title,
    wait_badge,
    wait_file_status,
    wait_until,
)

DOCS = Path(__file__).resolve().parents[2] / "docs"
ARTIFACTS = Path(__file__).resolve().parents[2] / "ui-test-artifacts"
ALICE_PROJECTS = {
    "5a1e5000-f0ec-4a57-8000-000000000001": "Sales forecast",
    "5c4a7c40-0000-4a11-8000-000000000002": "Scratch pad",
    "da5b0a4d-0000-4acc-8000-000000000004": "Team dashboard",
}
SALES_FILES = ("README.md", "data/sales.csv", "src/model.py", "forecast.ipynb")


def keep_screenshot(page: Any, name: str) -> None:
    """Every run keeps its screenshots in ui-test-artifacts/; with AEXT_UPDATE_SCREENSHOTS=1
    the README's picture in docs/ is replaced too."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / name))
    if os.environ.get("AEXT_UPDATE_SCREENSHOTS"):
        DOCS.mkdir(exist_ok=True)
        page.screenshot(path=str(DOCS / name))


def download(page: Any, project_id: str) -> Any:
    """Click Download and wait until the run has ended and the detail shows every file
    synced (the badge alone can say synced while the run still records its bases)."""
    project = row(page, project_id)
    button(project, "Download").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=60_000)
    wait_badge(project, "synced", timeout_ms=60_000)
    project.locator(".aext-File").first.wait_for()
    return project


def test_the_panel_lists_the_demo_projects(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    tab = page.locator('li[data-id="aext-projects-panel"]')
    assert (tab.get_attribute("title") or "").startswith("Projects")
    open_panel(page)
    banner = connection_state(page, "connected")
    assert "alice" in banner.inner_text()
    for project_id, title in ALICE_PROJECTS.items():
        project = row(page, project_id)
        project.wait_for()
        assert title in project.inner_text()
        wait_badge(project, "cloud_only")
        assert button(project, "Download").is_visible()
    public_by_bob = row(page, "9b11c000-0000-4b0b-8000-000000000005")
    assert public_by_bob.count() == 0  # a stranger's public project is not listed
    for name in ("New project", "Refresh"):
        assert button(page.locator(PANEL), name).is_visible()
    page.get_by_label("Filter projects by title or tag").fill("team")
    wait_until(lambda: row(page, SALES_FORECAST).count() == 0, what="the filter")
    assert row(page, "da5b0a4d-0000-4acc-8000-000000000004").is_visible()


def test_download_sales_forecast_shows_its_files_synced_and_in_the_file_browser(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    for path in SALES_FILES:
        wait_file_status(project, path, "synced")
    assert "Last sync: just now" in project.inner_text()
    folder = next((lab.root / "projects").iterdir())
    assert (folder / "data" / "sales.csv").is_file()
    keep_screenshot(page, "projects-panel.png")

    button(project, "Open folder").click()
    listing = page.locator(".jp-DirListing-content")
    listing.get_by_text("forecast.ipynb", exact=True).wait_for()
    assert listing.get_by_text("README.md", exact=True).is_visible()

    open_panel(page)  # the file browser took the sidebar; back to the panel
    file_row(project, "README.md").get_by_role("button").click()
    page.locator(".jp-MainAreaWidget .jp-FileEditor").first.wait_for()


def test_a_new_project_with_a_new_file_is_pushed_and_synced(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    connection_state(page, "connected")
    button(page.locator(PANEL), "New project").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_label("Title").fill("Churn study")
    dialog.get_by_label("Tags (comma separated)").fill("ui, test")
    button(dialog, "Create").click()
    page.locator(".jp-BreadCrumbs").get_by_text("Churn study").wait_for()  # folder opened
    folder = lab.root / "projects" / "Churn study"
    assert folder.is_dir()
    open_panel(page)
    project = row_by_title(page, "Churn study")
    project.wait_for()

    (folder / "analysis.py").write_text("print('churn')\n")  # the user adds a file
    wait_file_status(project, "analysis.py", "new_local", timeout_ms=20_000)
    wait_badge(project, "changes")
    button(project, "Push").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    wait_badge(project, "synced")
    wait_file_status(project, "analysis.py", "synced")
    project_id = project.get_attribute("data-project-id")
    with cloud_client(lab.cloud_url) as cloud:
        assert remote_files(cloud, project_id) == {"analysis.py": b"print('churn')\n"}


def test_a_cloud_edit_shows_as_to_pull_without_reload_and_pull_brings_it(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    with cloud_client(lab.cloud_url) as cloud:  # someone else edits in the cloud
        answer = cloud.put(
            f"/api/projects/{SALES_FORECAST}/files/README.md",
            files={"files": ("README.md", b"# Edited elsewhere\n")},
        )
        assert answer.status_code in (200, 201), answer.text
    wait_file_status(project, "README.md", "modified_remote", timeout_ms=20_000)
    badge = wait_badge(project, "changes")
    assert "1 to pull" in badge.inner_text()

    button(project, "Pull").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    wait_file_status(project, "README.md", "synced")
    folder = next((lab.root / "projects").iterdir())
    assert (folder / "README.md").read_bytes() == b"# Edited elsewhere\n"


def test_a_mass_delete_is_held_until_the_user_confirms(lab: Lab, page_for: Any) -> None:
    with cloud_client(lab.cloud_url) as cloud:
        created = cloud.post("/api/projects", json={"title": "Many files", "name": "many-files"})
        assert created.status_code == 201, created.text
        project_id = created.json()["id"]
        for i in range(14):
            cloud.put(
                f"/api/projects/{project_id}/files/part-{i:02}.txt",
                files={"files": (f"part-{i:02}.txt", f"part {i}\n".encode())},
            ).raise_for_status()
    page = page_for(lab)
    open_panel(page)
    button(page.locator(PANEL), "Refresh").click()
    project = download(page, project_id)
    folder = next(p for p in (lab.root / "projects").iterdir() if p.name == "Many files")
    for i in range(1, 14):
        (folder / f"part-{i:02}.txt").unlink()  # the user deletes 13 of 14 files

    button(project, "Sync").click()
    dialog = page.locator(".jp-Dialog")
    dialog.get_by_text("Going ahead would delete 13 files").wait_for(timeout=30_000)
    assert dialog.get_by_text("part-05.txt").is_visible()
    with cloud_client(lab.cloud_url) as cloud:
        assert len(remote_files(cloud, project_id)) == 14
    button(dialog, "Keep everything").click()
    assert project.locator('[data-outcome="gate"]').is_visible()
    with cloud_client(lab.cloud_url) as cloud:
        assert len(remote_files(cloud, project_id)) == 14  # nothing deleted

    button(project, "Review…").click()
    button(page.locator(".jp-Dialog"), "Sync anyway").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    with cloud_client(lab.cloud_url) as cloud:
        assert set(remote_files(cloud, project_id)) == {"part-00.txt"}


@pytest.mark.parametrize("api_key", [None, "a-revoked-key"])
def test_not_logged_in_says_what_to_do(
    tmp_path: Path, replica_ui: ReplicaProcess, page_for: Any, api_key: str | None
) -> None:
    lab = start_lab(tmp_path / "lab", replica_ui, api_key=api_key)
    try:
        page = page_for(lab)
        open_panel(page)
        banner = connection_state(page, "not_logged_in")
        text = banner.inner_text()
        assert "Not logged in" in text
        assert "cloud_api_key" in text
        assert "Traceback" not in page.locator(PANEL).inner_text()
    finally:
        lab.stop()


def test_cloud_down_reads_clearly_and_local_projects_stay(
    tmp_path: Path, replica_ui: ReplicaProcess, page_for: Any
) -> None:
    lab = start_lab(tmp_path / "lab", replica_ui)
    try:
        page = page_for(lab)
        open_panel(page)
        download(page, SALES_FORECAST)
        replica_ui.stop()
        button(page.locator(PANEL), "Refresh").click()
        banner = connection_state(page, "cloud_unreachable")
        assert "cannot be reached" in banner.inner_text()
        assert row(page, SALES_FORECAST).is_visible()  # the store still answers
        keep_screenshot(page, "projects-panel-cloud-down.png")
    finally:
        lab.stop()


def test_the_dark_theme_renders(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    connection_state(page, "connected")
    page.evaluate(
        "() => window.jupyterapp.commands.execute('apputils:change-theme',"
        " {theme: 'JupyterLab Dark'})"
    )
    page.wait_for_function("() => document.body.dataset.jpThemeLight === 'false'")
    page.wait_for_timeout(500)
    colour = page.evaluate(
        """() => getComputedStyle(document.querySelector('#aext-projects-panel')).backgroundColor"""
    )
    red, green, blue = (int(v) for v in colour[colour.index("(") + 1 : -1].split(",")[:3])
    assert red + green + blue < 3 * 96, colour  # a dark background, not the light default
    text = page.evaluate(
        """() => getComputedStyle(document.querySelector('.aext-Project-title')).color"""
    )
    red, green, blue = (int(v) for v in text[text.index("(") + 1 : -1].split(",")[:3])
    assert red + green + blue > 3 * 160, text  # light text on it
    keep_screenshot(page, "projects-panel-dark.png")
