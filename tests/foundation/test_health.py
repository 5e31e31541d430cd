"""The extension loads in a real Jupyter server, creates its store and answers health."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from tornado.httpclient import HTTPClientError

from aext_project_filebrowser_server import __version__
from aext_project_filebrowser_server.store.migrate import head_revision


async def test_health_reports_a_fresh_store_created_at_head(jp_fetch, pfb_db_path: Path) -> None:
    response = await jp_fetch("aext_project_filebrowser_server", "health")
    assert response.code == 200
    body = json.loads(response.body)
    assert body["status"] == "ok"
    assert body["version"] == __version__
    assert body["db_path"] == str(pfb_db_path)
    assert body["db_revision"] == body["head_revision"] == head_revision()
    assert body["migration"]["outcome"] == "created"
    assert body["migration"]["set_aside_path"] is None
    assert body["migration"]["backup_path"] is None
    assert body["cloud_url"] == "https://anaconda.com"
    assert pfb_db_path.is_file()


async def test_health_without_credentials_is_403(jp_fetch) -> None:
    with pytest.raises(HTTPClientError) as raised:
        await jp_fetch("aext_project_filebrowser_server", "health", headers={"Authorization": ""})
    assert raised.value.code == 403


async def test_the_store_is_not_inside_the_notebook_folder(jp_fetch, jp_root_dir: Path) -> None:
    await jp_fetch("aext_project_filebrowser_server", "health")
    assert not [p for p in Path(jp_root_dir).rglob("*.db")]
