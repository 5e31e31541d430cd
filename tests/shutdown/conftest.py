"""Shutdown tests: real `jupyter server` processes, stopped by a signal."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest


@pytest.fixture
def server_config(tmp_path: Path, replica: Any) -> dict[str, Any]:
    """The extension's settings: a store and projects root of the test's own, the replica."""
    return {
        "db_url": f"sqlite:///{tmp_path / 'state' / 'project_filebrowser.db'}",
        "cloud_url": replica.url,
        "cloud_api_key": "demo-alice-key",
        "projects_root": str(tmp_path / "projects"),
        "watch_folders": True,
        "server_name": "shutdown-lab",
    }
