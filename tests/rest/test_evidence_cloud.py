"""The REST API against the replica's `evidence` dialect: the cloud as public evidence says
it answers (naive timestamps, `owner.name` null, no `user.name`, 403 `auth_required`).
Measured on main: a refresh failed with 503 `store_unavailable` on the naive timestamps and
`POST projects` created the cloud project and deleted it again."""

from __future__ import annotations

from typing import Any

import pytest

from aext_project_filebrowser_server.cloud import client as cc

from .helpers import Api, cloud_as

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
