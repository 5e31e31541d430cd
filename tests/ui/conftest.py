"""Fixtures of the panel's UI tests: Debian's Chromium driven by Playwright (its own browser
download is never used), a real JupyterLab with the extension and a real replica per test.

A failing test leaves a screenshot and the server log in `ui-test-artifacts/`.
"""

from __future__ import annotations

import contextlib
import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica

from .lab import Lab, start_lab

playwright_api = pytest.importorskip("playwright.sync_api")

SLOW_CPU = float(os.environ.get("UI_SLOW_CPU", "0"))
ARTIFACTS = Path(__file__).resolve().parents[2] / "ui-test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-quic",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def chromium_path() -> str:
    found = (
        os.environ.get("CHROMIUM") or shutil.which("chromium") or shutil.which("chromium-browser")
    )
    if not found:
        pytest.fail("no Chromium: run `bash scripts/ensure-chromium.sh` or set CHROMIUM")
    return found


@pytest.fixture(autouse=True)
def jp_asyncio_loop() -> None:
    """The UI tests are synchronous (Playwright's sync API runs its own loop on this
    thread); pytest-jupyter's autouse loop would pick up Playwright's and close it."""
    return None


@pytest.fixture(autouse=True)
def jp_server_cleanup() -> None:
    """No in-process Jupyter server here (each test runs its own as a child process)."""
    return None


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]) -> Iterator[None]:
    outcome = yield
    report = outcome.get_result()  # type: ignore[attr-defined]
    setattr(item, f"report_{report.when}", report)
    if report.when == "call" and report.failed:
        # CI shows only its console: the server's own account of the failure goes there too.
        for name, value in getattr(item, "funcargs", {}).items():
            if isinstance(value, Lab):
                title = f"lab log ({name}): warnings and the end"
                report.sections.append((title, log_digest(value)))


def log_digest(lab: Lab, tail: int = 40) -> str:
    """The lab log's warnings, errors and tracebacks, then its last `tail` lines."""
    try:
        lines = lab.log().splitlines()
    except OSError as exc:
        return f"(no log: {exc})"
    marks = ("WARNING", "ERROR", "Traceback", "Error:", "[W ", "[E ")
    flagged = [line for line in lines[:-tail] if any(mark in line for mark in marks)]
    return "\n".join([*flagged[-60:], "-- the end of the log --", *lines[-tail:]])


@pytest.fixture
def browser() -> Iterator[object]:
    """A Chromium per test: Playwright's sync API keeps an event loop running on this thread
    while it is open, which the async tests after these must not inherit."""
    with playwright_api.sync_playwright() as p:
        launched = p.chromium.launch(executable_path=chromium_path(), args=CHROMIUM_ARGS)
        yield launched
        launched.close()


@pytest.fixture
def replica_ui(tmp_path: Path) -> Iterator[ReplicaProcess]:
    server = start_replica(tmp_path / "replica")
    yield server
    server.stop()


@pytest.fixture
def lab(tmp_path: Path, replica_ui: ReplicaProcess) -> Iterator[Lab]:
    server = start_lab(tmp_path / "lab", replica_ui)
    yield server
    server.stop()


@pytest.fixture
def page_for(browser: object, request: pytest.FixtureRequest) -> Iterator[object]:
    """`page_for(lab)`: a fresh browser page on that lab; screenshots kept on failure."""
    pages: list[tuple[object, Lab]] = []

    def open_page(lab: Lab) -> object:
        context = browser.new_context(viewport={"width": 1280, "height": 800})  # type: ignore[attr-defined]
        page = context.new_page()
        page.set_default_timeout(30_000)
        if SLOW_CPU:  # a slow machine's timing, to flush out races (e.g. UI_SLOW_CPU=6)
            cdp = context.new_cdp_session(page)
            cdp.send("Emulation.setCPUThrottlingRate", {"rate": SLOW_CPU})
        pages.append((page, lab))
        page.goto(lab.lab_url)
        page.wait_for_selector("#jupyterlab-splash", state="detached", timeout=90_000)
        return page

    yield open_page
    failed = getattr(request.node, "report_call", None)
    for index, (page, lab) in enumerate(pages):
        if failed is not None and failed.failed:
            ARTIFACTS.mkdir(exist_ok=True)
            stem = f"{request.node.name}-{index}"
            with contextlib.suppress(Exception):  # the page may be gone; the log still helps
                page.screenshot(path=str(ARTIFACTS / f"{stem}.png"))  # type: ignore[attr-defined]
            (ARTIFACTS / f"{stem}-lab.log").write_text(lab.log())
        page.context.close()  # type: ignore[attr-defined]
