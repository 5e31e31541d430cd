"""What a UI test does with the Projects panel: open it, find a project's row, wait for a
badge or a file status. Selectors are the panel's stable attributes (`data-project-id`,
`data-path`, `data-status`, `data-connection-state`) and accessible names."""

from __future__ import annotations

import time
from typing import Any

from playwright.sync_api import TimeoutError as PlaywrightTimeout

PANEL = "#aext-projects-panel"
SALES_FORECAST = "5a1e5000-f0ec-4a57-8000-000000000001"


def show_sidebar(page: Any, tab_id: str, selector: str) -> Any:
    """Show a left-sidebar widget by clicking its tab unless it is showing (a second click
    would collapse the sidebar). JupyterLab may still be restoring its layout and open the
    widget itself between our look and our click, which the click then collapses: so look
    again after each click, and click again while it stays hidden."""
    widget = page.locator(selector)
    for _ in range(5):
        if widget.is_visible():
            return widget
        page.locator(f'li[data-id="{tab_id}"]').click()
        try:
            widget.wait_for(state="visible", timeout=5_000)
        except PlaywrightTimeout:  # collapsed by a restore racing the click: look again
            continue
    widget.wait_for(state="visible")
    return widget


def open_panel(page: Any) -> Any:
    """Show the panel; returns its locator."""
    return show_sidebar(page, "aext-projects-panel", PANEL)


def connection_state(page: Any, state: str, timeout_ms: int = 30_000) -> Any:
    banner = page.locator(f'{PANEL} .aext-Connection[data-connection-state="{state}"]')
    banner.wait_for(timeout=timeout_ms)
    return banner


def row(page: Any, project_id: str) -> Any:
    return page.locator(f'{PANEL} [data-project-id="{project_id}"]')


def row_by_title(page: Any, title: str) -> Any:
    return page.locator(f"{PANEL} li.aext-Project").filter(
        has=page.get_by_role("button", name=title, exact=True)
    )


def button(scope: Any, name: str) -> Any:
    return scope.get_by_role("button", name=name, exact=True)


def wait_badge(scope: Any, code: str, timeout_ms: int = 30_000) -> Any:
    badge = scope.locator(f'.aext-Badge[data-badge="{code}"]')
    badge.wait_for(timeout=timeout_ms)
    return badge


def file_row(scope: Any, path: str) -> Any:
    return scope.locator(f'[data-path="{path}"]')


def wait_file_status(scope: Any, path: str, status: str, timeout_ms: int = 30_000) -> None:
    scope.locator(f'[data-path="{path}"][data-status="{status}"]').wait_for(timeout=timeout_ms)


def wait_until(check: Any, timeout_s: float = 30.0, what: str = "condition") -> None:
    deadline = time.monotonic() + timeout_s
    while time.monotonic() < deadline:
        if check():
            return
        time.sleep(0.2)
    raise AssertionError(f"timed out after {timeout_s:g} s waiting for {what}")
