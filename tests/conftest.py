"""Every test server runs this extension against a temporary store."""

from __future__ import annotations

import dataclasses
from pathlib import Path
from typing import Any

import pytest

pytest_plugins = [
    "pytest_jupyter.jupyter_server",
    "aext_project_filebrowser_server.pytest_plugin",
]


@pytest.fixture
def pfb_db_path(tmp_path: Path) -> Path:
    """Where the extension's store lives in a test (outside the notebook root)."""
    return tmp_path / "state" / "project_filebrowser.db"


@pytest.fixture
def pfb_db_setup(pfb_db_path: Path) -> None:
    """Prepares the store file before the server starts; modules override it."""


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path) -> dict[str, Any]:
    """ProjectFileBrowserApp config for tests; modules extend it (cloud URL, key...)."""
    return {"db_url": f"sqlite:///{pfb_db_path}"}


@pytest.fixture
def jp_server_config(pfb_db_setup: None, pfb_extension_config: dict[str, Any]) -> dict[str, Any]:
    return {
        "ServerApp": {"jpserver_extensions": {"aext_project_filebrowser_server": True}},
        "ProjectFileBrowserApp": pfb_extension_config,
    }


@pytest.fixture(autouse=True)
def _no_real_anaconda_login(
    tmp_path_factory: pytest.TempPathFactory, monkeypatch: pytest.MonkeyPatch
) -> None:
    """anaconda-auth reads the developer's own `anaconda login` (~/.anaconda): every test
    gets an empty keyring and config of its own instead, and no key in the environment."""
    home = tmp_path_factory.mktemp("anaconda-home")
    monkeypatch.setenv("ANACONDA_AUTH_KEYRING_PATH", str(home / "keyring"))
    monkeypatch.setenv("ANACONDA_CONFIG_TOML", str(home / "config.toml"))
    monkeypatch.delenv("ANACONDA_AUTH_API_KEY", raising=False)
    monkeypatch.delenv("ANACONDA_AUTH_DOMAIN", raising=False)


@pytest.fixture
def engine_in_this_process(jp_serverapp: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    """For a test that patches the sync engine in this process (monkeypatch): the test
    server's runs execute here, as with `sync_in_worker=False`, not in the sync worker
    process, which never sees the patch."""
    settings = jp_serverapp.web_app.settings
    in_process = dataclasses.replace(settings["pfb_context"], worker=None)
    monkeypatch.setitem(settings, "pfb_context", in_process)
