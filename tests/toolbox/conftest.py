"""Adoption tests: a real Jupyter server whose root holds a Toolbox database and folders,
against a real replica of each dialect."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest
from rest.helpers import Api

from aext_project_filebrowser_server.testing import cloud_client


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, dialect_replica: Any, tmp_path: Path) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": dialect_replica.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 2,
        "server_name": "lab-server",
        "projects_root": str(tmp_path / "projects-root"),
    }


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


@pytest.fixture
def cloud_http(dialect_replica: Any) -> Iterator[httpx.Client]:
    with cloud_client(dialect_replica.url) as client:
        yield client


@pytest.fixture
def root(jp_root_dir: Path) -> Path:
    """Jupyter's root, where Toolbox kept `anaconda_projects/`."""
    return Path(jp_root_dir)
