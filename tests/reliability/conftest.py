"""Fixtures shared by the reliability suites."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from .jupyter_process import Launcher


@pytest.fixture(scope="session")
def launcher() -> Iterator[Launcher]:
    """Forks Jupyter servers (child processes) from one pre-warmed zygote."""
    started = Launcher()
    yield started
    started.close()
