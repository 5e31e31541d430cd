"""REST tests run a real Jupyter server whose extension talks to the replica over loopback."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from .helpers import Api


@pytest.fixture
def pfb_extension_config(
    pfb_extension_config: dict[str, Any], replica: Any, replica_alice_key: str
) -> dict[str, Any]:
    """The extension as alice, against the session replica, retrying little."""
    return {
        **pfb_extension_config,
        "cloud_url": replica.url,
        "cloud_api_key": replica_alice_key,
        "cloud_retry_attempts": 2,
        "cloud_timeout": 10.0,
        "server_name": "test-lab",
    }


@pytest.fixture
def api(jp_fetch: Any) -> Api:
    return Api(jp_fetch)


@pytest.fixture
def projects_root(jp_root_dir: Path) -> Path:
    return Path(jp_root_dir) / "projects"
