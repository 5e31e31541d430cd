"""Part two of the panel in a real Chromium: a conflict seen in the file browser and the
panel, compared and kept both; an older notebook version opened read-only and restored from
the file browser's context menu; the history; sharing; the status bar and notifications;
the file-browser decorations' setting."""

from __future__ import annotations

import json
from typing import Any

import httpx

from aext_project_filebrowser_server.testing import cloud_client, remote_files

from .lab import Lab
from .panel import (
    PANEL,
    SALES_FORECAST,
    button,
    file_row,
    open_panel,
    row,
    show_sidebar,
    wait_until,
)
from .test_panel import download, keep_screenshot

BOB_ID = "b0b00000-0000-4000-8000-000000000002"
LOCAL_EDIT = b"# Sales forecast\n\nEdited here.\n"
CLOUD_EDIT = b"# Sales forecast\n\nEdited in the cloud.\n"


def sales_folder(lab: Lab) -> Any:
    return next((lab.root / "projects").iterdir())


def put_cloud(lab: Lab, path: str, data: bytes) -> None:
    with cloud_client(lab.cloud_url) as cloud:  # another user, straight to the cloud
        answer = cloud.put(
            f"/api/projects/{SALES_FORECAST}/files/{path}",
            files={"files": (path.split("/")[-1], data)},
        )
        assert answer.status_code in (200, 201), answer.text


def show_file_browser(page: Any) -> None:
    show_sidebar(page, "filebrowser", "#filebrowser")


def toast(page: Any, text: str) -> Any:
    """A notification toast containing `text`."""
    return page.locator(".jp-toastContainer").get_by_text(text, exact=False)


def browse_to(page: Any, folder: str) -> Any:
    """Show `folder` in JupyterLab's file browser; returns its listing."""
    show_file_browser(page)
    page.locator(".jp-BreadCrumbs-home").click()
    listing = page.locator(".jp-DirListing-content")
    for part in folder.split("/"):
        listing.get_by_text(part, exact=True).dblclick()
        page.locator(".jp-BreadCrumbs").get_by_text(part).wait_for()
    return listing


def browser_item(page: Any, name: str) -> Any:
    return page.locator(".jp-DirListing-item").filter(
        has=page.locator(".jp-DirListing-itemText", has_text=name)
    )


def make_conflict(lab: Lab, page: Any) -> Any:
    project = download(page, SALES_FORECAST)
    put_cloud(lab, "README.md", CLOUD_EDIT)
    (sales_folder(lab) / "README.md").write_bytes(LOCAL_EDIT)
    button(project, "Sync").click()
    project.locator("[data-outcome]").wait_for(timeout=30_000)
    project.locator('.aext-Conflict[data-conflict-path="README.md"]').wait_for(timeout=20_000)
    return project


def test_a_conflict_shows_in_the_browser_and_the_panel_is_compared_and_kept_both(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    project = make_conflict(lab, page)
    conflict = project.locator('.aext-Conflict[data-conflict-path="README.md"]')
    text = conflict.inner_text()
    assert "Yours:" in text and "Cloud:" in text
    copy_name = next(p.name for p in sales_folder(lab).iterdir() if "(conflict" in p.name)
    assert copy_name in text
    keep_screenshot(page, "projects-panel-conflict.png")

    browse_to(page, f"projects/{sales_folder(lab).name}")
    for name in ("README.md", copy_name):
        item = browser_item(page, name)
        item.locator(".aext-BrowserStatus").wait_for(timeout=20_000)
        assert item.get_attribute("data-aext-sync-status") == "conflict"
        assert "conflict" in (item.locator(".aext-BrowserStatus").get_attribute("title") or "")
    synced = browser_item(page, "forecast.ipynb")
    wait_until(lambda: synced.get_attribute("data-aext-sync-status") == "synced", what="synced")

    open_panel(page)
    button(conflict, "Compare").click()
    view = page.locator(".aext-CompareView .aext-TextDiff")
    view.wait_for()
    assert (
        view.locator('[data-diff="removed"]').inner_text().strip().endswith("Edited in the cloud.")
    )
    assert view.locator('[data-diff="added"]').inner_text().strip().endswith("Edited here.")
    keep_screenshot(page, "projects-compare.png")

    open_panel(page)
    button(conflict, "Keep both").click()
    notice = project.locator(".aext-Notice")
    notice.wait_for()
    assert "Kept both" in notice.inner_text()
    wait_until(lambda: project.locator(".aext-Conflict").count() == 0, what="the conflict to go")
    folder = sales_folder(lab)
    assert (folder / "README.md").read_bytes() == CLOUD_EDIT
    assert (folder / copy_name).read_bytes() == LOCAL_EDIT  # nothing lost


def test_keep_mine_asks_first_and_says_where_the_cloud_version_went(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    project = make_conflict(lab, page)
    conflict = project.locator('.aext-Conflict[data-conflict-path="README.md"]')
    button(conflict, "Keep mine").click()
    dialog = page.locator(".jp-Dialog")
    assert "project trash" in dialog.inner_text()
    button(dialog, "Keep mine").click()
    notice = project.locator(".aext-Notice")
    notice.wait_for()
    assert "project trash" in notice.inner_text()
    wait_until(
        lambda: (sales_folder(lab) / "README.md").read_bytes() == LOCAL_EDIT, what="your edit back"
    )
    trash = sales_folder(lab) / ".aext-project" / "trash"
    assert CLOUD_EDIT in [p.read_bytes() for p in trash.rglob("README.md")]


def test_history_lists_the_runs_newest_first(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    (sales_folder(lab) / "notes.txt").write_text("new\n")
    button(project, "Push").click()
    project.locator('[data-outcome="ok"]').wait_for(timeout=30_000)
    button(project, "History").click()
    runs = project.locator(".aext-HistoryRun")
    wait_until(lambda: runs.count() >= 2, what="two runs")
    assert "Push" in runs.nth(0).inner_text() and "1 uploaded" in runs.nth(0).inner_text()
    assert "first download" in runs.nth(1).inner_text()
    assert runs.nth(0).get_attribute("data-run-result") == "ok"


def test_share_makes_public_adds_a_user_and_says_what_the_cloud_refused(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    open_panel(page)
    project = row(page, SALES_FORECAST)
    project.wait_for()
    button(project, "Share…").click()
    dialog = page.locator(".jp-Dialog")
    public = dialog.get_by_label("Public: anyone can see this project")
    public.wait_for()
    public.click()  # sent at once; the box shows what the cloud answered
    wait_until(public.is_checked, what="the box checked")
    assert cloud_public(lab) is True
    dialog.locator('input[name="who"]').fill(BOB_ID)
    button(dialog, "Share").click()
    dialog.locator(f'[data-grant="{BOB_ID}"]').wait_for()
    dialog.locator('input[name="who"]').fill("nobody-by-that-name")
    button(dialog, "Share").click()
    dialog.get_by_role("alert").wait_for()
    assert dialog.get_by_role("alert").inner_text().strip()
    button(dialog, "Done").click()


def cloud_public(lab: Lab) -> bool:
    with cloud_client(lab.cloud_url) as cloud:
        answer = cloud.get(f"/api/projects/{SALES_FORECAST}/permissions")
        answer.raise_for_status()
        return bool(answer.json().get("is_public"))


def test_the_status_bar_and_a_notification_follow_a_sync_from_the_palette(
    lab: Lab, page_for: Any
) -> None:
    page = page_for(lab)
    # A slow machine, as in CI: JupyterLab draws a toast late, and an update sent before it
    # is drawn used to be lost (the toast said "starting…" for ever).
    page.context.new_cdp_session(page).send("Emulation.setCPUThrottlingRate", {"rate": 6})
    open_panel(page)
    project = download(page, SALES_FORECAST)
    file_row(project, "README.md").get_by_role("button").click()
    page.locator(".jp-MainAreaWidget .jp-FileEditor").first.wait_for()
    status = page.locator(".aext-StatusItem-button")
    status.wait_for()
    wait_until(lambda: status.inner_text() == "Sales forecast: Synced", what="the status bar")

    (sales_folder(lab) / "README.md").write_bytes(LOCAL_EDIT)
    wait_until(lambda: "1 to push" in status.inner_text(), what="the change in the status bar")
    page.keyboard.press("Control+Shift+C")
    page.locator(".lm-CommandPalette-input").fill("Sync current project")
    page.keyboard.press("Enter")
    toast(page, '"Sales forecast" done').wait_for(timeout=30_000)
    wait_until(lambda: status.inner_text() == "Sales forecast: Synced", what="synced again")
    with cloud_client(lab.cloud_url) as cloud:
        assert remote_files(cloud, SALES_FORECAST)["README.md"] == LOCAL_EDIT
    status.click()
    page.locator(PANEL).wait_for(state="visible")


def test_the_file_browser_decorations_can_be_turned_off(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    download(page, SALES_FORECAST)
    browse_to(page, f"projects/{sales_folder(lab).name}")
    item = browser_item(page, "README.md")
    wait_until(lambda: item.get_attribute("data-aext-sync-status") == "synced", what="decorated")
    answer = httpx.put(
        f"{lab.url}lab/api/settings/aext-project-filebrowser:plugin",
        headers=lab.headers(),
        json={"raw": json.dumps({"fileBrowserDecorations": False})},
    )
    assert answer.status_code == 204, answer.text
    page.reload()
    page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=90_000)
    show_file_browser(page)
    browser_item(page, "README.md").wait_for()
    page.wait_for_timeout(1500)  # the decorations run within a frame of each render
    assert page.locator("[data-aext-sync-status]").count() == 0
    assert page.locator(".aext-BrowserStatus").count() == 0


def edited_notebook(original: bytes, first_cell: str) -> bytes:
    body = json.loads(original)
    body["cells"][0]["source"] = [first_cell]
    return json.dumps(body, indent=1).encode()


def test_a_notebook_conflict_is_compared_cell_by_cell_with_nbdime(lab: Lab, page_for: Any) -> None:
    page = page_for(lab)
    open_panel(page)
    project = download(page, SALES_FORECAST)
    folder = sales_folder(lab)
    original = (folder / "forecast.ipynb").read_bytes()
    put_cloud(lab, "forecast.ipynb", edited_notebook(original, "# Forecast, cloud wording"))
    (folder / "forecast.ipynb").write_bytes(edited_notebook(original, "# Forecast, my wording"))
    button(project, "Sync").click()
    conflict = project.locator('.aext-Conflict[data-conflict-path="forecast.ipynb"]')
    conflict.wait_for(timeout=30_000)
    assert "edited on both sides" in conflict.inner_text()

    button(conflict, "Compare").click()
    view = page.locator(".aext-CompareView .aext-NotebookDiff")
    view.wait_for(timeout=30_000)
    changed = view.locator(".jp-Diff-twoway, .jp-Diff-changed, .jp-Cell-diff").first
    changed.wait_for(timeout=30_000)
    text = page.locator(".aext-CompareView").inner_text()
    assert "cloud wording" in text and "my wording" in text
    keep_screenshot(page, "projects-compare-notebook.png")
