"""The cloud failing: create stays atomic, reads keep answering from the store."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.cloud import credentials

from .helpers import Api, cloud_as, stored_row


@pytest.fixture
def cloud_key(replica_alice_key: str) -> str:
    return replica_alice_key


@pytest.fixture
def own_replica(replica_factory: Any) -> Any:
    """A replica of this test only, so faults and shutdowns touch no other test."""
    return replica_factory()


@pytest.fixture
def pfb_extension_config(
    pfb_extension_config: dict[str, Any], own_replica: Any, cloud_key: str
) -> dict[str, Any]:
    return {**pfb_extension_config, "cloud_url": own_replica.url, "cloud_api_key": cloud_key}


async def titles_in_cloud(url: str, key: str) -> list[str]:
    async with cloud_as(url, key) as alice:
        return [p.title for p in await cc.list_all_projects(alice)]


async def test_failed_cloud_create_leaves_nothing_behind(
    api: Api, own_replica: Any, cloud_key: str, projects_root: Path
) -> None:
    own_replica.set_faults("error_rate=1,status=500,methods=POST")
    reply = await api.post("projects", body={"title": "Doomed"})
    assert (reply.code, reply.body["code"]) == (502, "cloud_unavailable"), reply.body
    own_replica.set_faults("off")
    assert not projects_root.exists() or not any(projects_root.iterdir())
    assert (await api.get("projects")).body["projects"] == []
    assert "Doomed" not in await titles_in_cloud(own_replica.url, cloud_key)


async def test_failed_local_step_removes_the_cloud_project(
    api: Api, own_replica: Any, cloud_key: str, projects_root: Path, pfb_db_path: Path
) -> None:
    projects_root.parent.mkdir(parents=True, exist_ok=True)
    projects_root.write_text("a file where the projects folder should be")
    reply = await api.post("projects", body={"title": "Half made"})
    assert (reply.code, reply.body["code"]) == (503, "local_folder_unavailable"), reply.body
    assert "removed again" in reply.body["message"]
    assert projects_root.read_text() == "a file where the projects folder should be"
    assert (await api.get("projects")).body["projects"] == []
    assert "Half made" not in await titles_in_cloud(own_replica.url, cloud_key)


async def test_reads_answer_from_the_store_when_the_cloud_is_down(
    api: Api, own_replica: Any
) -> None:
    project = await api.create("Offline work")
    (Path(project["local_path"]) / "a.txt").write_text("still here")
    own_replica.stop()

    listed = await api.get("projects", params={"refresh": "true"})
    assert listed.code == 200
    assert listed.body["cloud_status"] == "unreachable"
    assert [p["id"] for p in listed.body["projects"]] == [project["id"]]

    detail = await api.get("projects", project["id"])
    assert detail.code == 200
    assert detail.body["cloud_status"] == "unreachable"
    assert [(f["path"], f["status"], f["size"]) for f in detail.body["files"]] == [
        ("a.txt", None, 10)
    ]
    plan = await api.get("projects", project["id"], "plan")
    assert (plan.code, plan.body["code"]) == (502, "cloud_unavailable")

    create = await api.post("projects", body={"title": "Not now"})
    assert (create.code, create.body["code"]) == (502, "cloud_unavailable")
    rename = await api.call(
        "PATCH", "projects", project["id"], body={"title": "x"}, headers={"If-Match": "1"}
    )
    assert (rename.code, rename.body["code"]) == (502, "cloud_unavailable")
    assert (await api.get("projects", project["id"])).body["project"]["title"] == "Offline work"


@pytest.fixture
def without_anaconda_auth(monkeypatch: pytest.MonkeyPatch) -> None:
    """As installed without the `[anaconda]` extra: no stored login to fall back on."""
    monkeypatch.setattr(credentials, "anaconda_auth_available", lambda: False)


@pytest.mark.parametrize("cloud_key", ["", "not-a-valid-key"])
async def test_without_valid_credentials_local_reads_still_work(
    without_anaconda_auth: None, api: Api, cloud_key: str, pfb_db_path: Path
) -> None:
    listed = await api.get("projects", params={"refresh": "true"})
    assert listed.code == 200
    expected = "not_configured" if not cloud_key else "auth_required"
    assert listed.body["cloud_status"] == expected
    create = await api.post("projects", body={"title": "Needs a login"})
    assert (create.code, create.body["code"]) == (401, "auth_required_cloud")
    assert stored_row(pfb_db_path, "anything") is None
