"""The REST API against the replica's `evidence` dialect: the cloud as public evidence says
it answers (naive timestamps, `owner.name` null, no `user.name`, 403 `auth_required`).
Measured on main: a refresh failed with 503 `store_unavailable` on the naive timestamps and
`POST projects` created the cloud project and deleted it again."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud import client as cc

from .helpers import EXT, Api, cloud_as, put_file, slug
from .test_files import download

SALES = "5a1e5000-f0ec-4a57-8000-000000000001"


@pytest.fixture
def cloud_key(replica_alice_key: str) -> str:
    return replica_alice_key


@pytest.fixture
def pfb_extension_config(
    pfb_extension_config: dict[str, Any], evidence_replica: Any, cloud_key: str
) -> dict[str, Any]:
    return {**pfb_extension_config, "cloud_url": evidence_replica.url, "cloud_api_key": cloud_key}


async def test_refresh_reads_naive_timestamps_as_utc(api: Api) -> None:
    reply = await api.get("projects", params={"refresh": "true"})
    assert (reply.code, reply.body["cloud_status"]) == (200, "ok")
    sales = {p["id"]: p for p in reply.body["projects"]}[SALES]
    assert sales["cloud_created_at"].endswith(("Z", "+00:00"))
    assert sales["owner_name"] is None  # the evidence: null in every stored copy
    health = (await api.get("health")).body
    assert health["cloud"]["reachable"] is True and health["cloud"]["login"] == "ok"
    assert health["cloud"]["left_out_entries"]["count"] == 0


async def test_create_keeps_the_cloud_project(
    api: Api, evidence_replica: Any, replica_alice_key: str
) -> None:
    created = await api.create("Evidence notes", tags=["e"])
    async with cloud_as(evidence_replica.url, replica_alice_key) as alice:
        cloud = await cc.get_project(alice, created["id"])
        assert cloud.title == "Evidence notes"
        await cc.delete_project(alice, cloud.id)


@pytest.mark.parametrize("cloud_key", ["not-a-valid-key"])
async def test_a_refused_login_is_login_needed(api: Api) -> None:
    """The evidence cloud answers a bad key with 403 `auth_required`: that is a login to
    renew, not "forbidden" and not "unreachable"."""
    listed = await api.get("projects", params={"refresh": "true"})
    assert (listed.code, listed.body["cloud_status"]) == (200, "auth_required")
    create = await api.post("projects", body={"title": "Needs a login"})
    assert (create.code, create.body["code"]) == (401, "auth_required_cloud")
    assert (await api.get("health")).body["cloud"]["login"] == "login_needed"


async def test_a_deleted_files_revision_is_read_and_restored(
    api: Api, evidence_replica: Any, replica_alice_key: str, tmp_path: Path
) -> None:
    """Downloads there are redirects to presigned storage and listings carry no hashes: a
    revision's bytes still come through, and a file gone from the cloud's listing and from
    the folder comes back from its revision."""
    async with cloud_as(evidence_replica.url, replica_alice_key) as alice:
        project = await cc.create_project(alice, "Evidence revisions", slug())
        first = await put_file(alice, project.id, "data/gone.csv", b"one", tmp_path)
        await put_file(alice, project.id, "data/gone.csv", b"two", tmp_path)
        await put_file(alice, project.id, "keep.txt", b"k", tmp_path)
        root = Path((await download(api, project.id))["local_path"])
        await cc.delete_file(alice, project.id, "data/gone.csv")
        assert "data/gone.csv" not in {f.path for f in await cc.list_files(alice, project.id)}
    (root / "data/gone.csv").unlink()

    listed = await api.get("projects", project.id, "files", "data/gone.csv", "versions")
    assert listed.code == 200, listed.body
    assert first in [v["file_version_id"] for v in listed.body["versions"]]
    parts = ("projects", project.id, "files", "data/gone.csv", "versions", first, "content")
    content = await api.fetch(EXT, *parts, method="GET", raise_error=False)
    assert (content.code, content.body) == (200, b"one")
    assert content.headers["Content-Type"] == "text/csv"
    restored = await api.post(
        "projects", project.id, "files", "data/gone.csv", "restore", body={"version": first}
    )
    assert restored.code == 200, restored.body
    assert (root / "data/gone.csv").read_bytes() == b"one"
