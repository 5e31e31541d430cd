"""`GET projects?refresh=true` reconciles the store with everything the user can see in the
cloud: projects other users shared appear, renames follow, deletions are marked."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.schemas.projects import ProjectOwner

from .helpers import ALICE_ID, BOB_ID, Api, cloud_as, slug, stored_row


async def test_refresh_follows_a_project_bob_shares_renames_and_deletes(
    api: Api, replica: Any, replica_bob_key: str, pfb_db_path: Path
) -> None:
    async with cloud_as(replica.url, replica_bob_key) as bob:
        shared = await cc.create_project(bob, "Bob's analysis", slug("bob"), {"tags": ["bob"]})
        await cc.set_permissions(bob, shared.id, users=[ALICE_ID], role="reader")

        assert shared.id not in {p["id"] for p in (await api.get("projects")).body["projects"]}
        reply = await api.get("projects", params={"refresh": "true"})
        assert reply.code == 200
        assert reply.body["cloud_status"] == "ok"
        found = {p["id"]: p for p in reply.body["projects"]}[shared.id]
        assert found["title"] == "Bob's analysis"
        assert found["local_path"] is None  # listed, not downloaded
        assert (found["owner_id"], found["owner_type"], found["owner_name"]) == (
            BOB_ID,
            "user",
            "bob",
        )
        row = stored_row(pfb_db_path, shared.id)
        assert row is not None and row["owner_id"] == BOB_ID

        await cc.update_project(bob, shared.id, title="Bob's renamed analysis")
        renamed = await api.get("projects", params={"refresh": "true"})
        assert {p["id"]: p for p in renamed.body["projects"]}[shared.id]["title"] == (
            "Bob's renamed analysis"
        )
        version = {p["id"]: p for p in renamed.body["projects"]}[shared.id]["version"]
        unchanged = await api.get("projects", params={"refresh": "true"})
        assert {p["id"]: p for p in unchanged.body["projects"]}[shared.id]["version"] == version

        await cc.delete_project(bob, shared.id)
    gone = await api.get("projects", params={"refresh": "true"})
    marked = {p["id"]: p for p in gone.body["projects"]}[shared.id]
    assert marked["cloud_state"] == "cloud_deleted"
    again = await api.post("projects", shared.id, "download", body={})
    assert (again.code, again.body["code"]) == (409, "cloud_deleted")


async def test_alice_cannot_share_or_delete_bobs_project(
    api: Api, replica: Any, replica_bob_key: str
) -> None:
    async with cloud_as(replica.url, replica_bob_key) as bob:
        shared = await cc.create_project(bob, "Read only for alice", slug("bob"))
        await cc.set_permissions(bob, shared.id, users=[ALICE_ID], role="reader")
        await api.get("projects", params={"refresh": "true"})
        share = await api.post("projects", shared.id, "permissions", body={"is_public": True})
        assert (share.code, share.body["code"]) == (403, "forbidden")
        delete = await api.call("DELETE", "projects", shared.id, params={"scope": "cloud"})
        assert (delete.code, delete.body["code"]) == (403, "forbidden")
        rename = await api.call(
            "PATCH", "projects", shared.id, body={"title": "x"}, headers={"If-Match": "1"}
        )
        assert (rename.code, rename.body["code"]) == (403, "forbidden")
        assert (await cc.get_project(bob, shared.id)).title == "Read only for alice"
        await cc.delete_project(bob, shared.id)


async def test_refresh_never_imports_a_strangers_public_project(
    api: Api, replica: Any, replica_bob_key: str
) -> None:
    """Measured on main: bob's public project, shared with nobody, became one of alice's
    local projects. A refresh lists alice's own, her organizations' and the projects shared
    with her, never everything public."""
    async with cloud_as(replica.url, replica_bob_key) as bob:
        public = await cc.create_project(bob, "Bob's public notes", slug("pub"))
        await cc.set_permissions(bob, public.id, is_public=True)
        org = next(o for o in await cc.list_my_organizations(bob) if o.name == "acme")
        owner = ProjectOwner(id=org.id, type="organization")
        team = await cc.create_project(bob, "Acme team project", slug("acme"), owner=owner)
        try:
            reply = await api.get("projects", params={"refresh": "true"})
            assert reply.body["cloud_status"] == "ok"
            ids = {p["id"] for p in reply.body["projects"]}
            assert public.id not in ids
            assert team.id in ids  # alice is in acme
        finally:
            await cc.delete_project(bob, public.id)
            await cc.delete_project(bob, team.id)
