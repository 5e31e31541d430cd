"""Invalid configuration fails at start with a message naming the setting."""

from __future__ import annotations

import os
import socket
from datetime import datetime, timezone

import pytest
from traitlets.traitlets import TraitError

from aext_project_filebrowser_server.config import default_server_name
from aext_project_filebrowser_server.extension import ProjectFileBrowserApp
from aext_project_filebrowser_server.services.sync.names import conflict_copy_path


@pytest.mark.parametrize(
    ("name", "value", "fragment"),
    [
        ("db_url", "postgresql://x/y", "ProjectFileBrowserApp.db_url"),
        ("db_url", "sqlite:///relative.db", "absolute"),
        ("projects_root", "relative/dir", "ProjectFileBrowserApp.projects_root"),
        ("cloud_url", "ftp://example.org", "ProjectFileBrowserApp.cloud_url"),
        ("api_version", "  ", "ProjectFileBrowserApp.api_version"),
        ("sync_concurrency", 0, "ProjectFileBrowserApp.sync_concurrency"),
    ],
)
def test_invalid_setting_names_itself(name: str, value: object, fragment: str) -> None:
    app = ProjectFileBrowserApp()
    with pytest.raises(TraitError, match=fragment):
        setattr(app, name, value)


def test_defaults(monkeypatch: pytest.MonkeyPatch, tmp_path: os.PathLike[str]) -> None:
    monkeypatch.delenv("LOCAL", raising=False)
    monkeypatch.setenv("JUPYTER_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("ANACONDA_AUTH_API_KEY", "k-123")
    app = ProjectFileBrowserApp()
    assert app.db_url == f"sqlite:///{tmp_path}/aext_project_filebrowser/project_filebrowser.db"
    assert app.cloud_api_key == ""  # unset: the environment and anaconda login come next
    assert app.cloud_url == "https://anaconda.com"


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({}, "lab-host"),
        ({"JUPYTERHUB_USER": "alice"}, "alice@lab-host"),
        ({"JUPYTERHUB_USER": "alice", "JUPYTERHUB_SERVER_NAME": "gpu"}, "alice:gpu@lab-host"),
        ({"JUPYTERHUB_USER": " ", "JUPYTERHUB_SERVER_NAME": "gpu"}, "lab-host"),
    ],
)
def test_server_name_tells_hub_users_apart(environ: dict[str, str], expected: str) -> None:
    assert default_server_name(environ, "lab-host") == expected


def test_server_name_default_reads_the_hub_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JUPYTERHUB_USER", "bob")
    monkeypatch.delenv("JUPYTERHUB_SERVER_NAME", raising=False)
    assert ProjectFileBrowserApp().server_name == f"bob@{socket.gethostname()}"
    monkeypatch.delenv("JUPYTERHUB_USER")
    assert ProjectFileBrowserApp().server_name == socket.gethostname()


def test_server_name_shows_in_conflict_copy_names() -> None:
    copy = conflict_copy_path(
        "analysis.ipynb",
        who="alice",
        where=default_server_name({"JUPYTERHUB_USER": "alice"}, "hub-1"),
        when=datetime(2026, 11, 22, 14, 3, tzinfo=timezone.utc),
        taken=(),
    )
    assert copy == "analysis (conflict, alice on alice@hub-1, 2026-11-22 14-03).ipynb"
