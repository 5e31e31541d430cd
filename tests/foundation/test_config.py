"""Invalid configuration fails at start with a message naming the setting."""

from __future__ import annotations

import os

import pytest
from traitlets.traitlets import TraitError

from aext_project_filebrowser_server.extension import ProjectFileBrowserApp


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
    assert app.cloud_api_key == "k-123"
    assert app.cloud_url == "https://anaconda.com"
