"""The sync_e2e fixtures (a real Jupyter server, a real replica in both dialects), with
project folders under the projects root, where the folder watcher looks."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import httpx
import pytest
import sync_e2e.conftest as e2e

from aext_project_filebrowser_server.testing import Project, create_project, unique_name

cloud_http = e2e.cloud_http
pfb_extension_config = e2e.pfb_extension_config


@pytest.fixture
def make_project(
    jp_serverapp: Any, cloud_http: httpx.Client, pfb_extension_config: dict[str, Any]
) -> Callable[[], Awaitable[Project]]:
    """A new cloud project, its folder under the projects root and its store row."""

    async def make() -> Project:
        name = unique_name("n")
        root = Path(pfb_extension_config["projects_root"]) / name
        return await create_project(jp_serverapp, cloud_http, name, root)

    return make
