"""What a UI test does with the Projects panel: open it, find a project's row, wait for a
badge or a file status. Selectors are the panel's stable attributes (`data-project-id`,
`data-path`, `data-status`, `data-connection-state`) and accessible names."""

from __future__ import annotations

import time
from typing import Any

PANEL = "#aext-projects-panel"
SALES_FORECAST = "5a1e5000-f0ec-4a57-8000-000000000001"


def open_panel(page: Any) -> Any:
    """Show the panel (click its left-sidebar tab unless it is showing: a second click would
    collapse the sidebar); returns the panel's locator."""
    panel = page.locator(PANEL)
    if not panel.is_visible():
        page.locator('li[data-id="aext-projects-panel"]').click()
    panel.wait_for(state="visible")
    return panel


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
