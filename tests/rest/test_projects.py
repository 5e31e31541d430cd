"""Projects over REST: list, create, get, patch, delete, with their 4xx paths."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.cloud.errors import ProjectNotFound

from .helpers import ALICE_ID, Api, cloud_as, stored_row, tree


async def test_list_starts_empty_and_reports_no_cloud_check(api: Api) -> None:
    reply = await api.get("projects")
    assert reply.code == 200
    assert reply.body == {"projects": [], "cloud_status": "not_checked"}


async def test_create_makes_cloud_project_folder_marker_and_row(
    api: Api, projects_root: Path, pfb_db_path: Path, replica: Any, replica_alice_key: str
) -> None:
    reply = await api.post(
        "projects",
        body={"title": "Sales forecast", "description": "Q3", "tags": ["demo", "q3"]},
    )
    assert reply.code == 201, reply.body
    project = reply.body
    assert reply.headers["ETag"] == '"1"'
    assert reply.headers["Location"].endswith(f"/projects/{project['id']}")
    assert uuid.UUID(project["id"])
    assert project["title"] == "Sales forecast"
    assert project["tags"] == ["demo", "q3"]
    assert project["description"] == "Q3"
    assert project["name"].startswith("sales-forecast-")
    folder = projects_root / "Sales forecast"
    assert project["local_path"] == str(folder)
    marker = folder / ".aext-project" / "project.json"
    assert json.loads(marker.read_text())["project_id"] == project["id"]

    # The store holds the owner as its id string, never a serialized object.
    row = stored_row(pfb_db_path, project["id"])
    assert row is not None
    assert row["owner_id"] == ALICE_ID
    assert row["owner_type"] == "user"
    assert isinstance(row["owner_id"], str) and not row["owner_id"].startswith("{")

    async with cloud_as(replica.url, replica_alice_key) as alice:
        in_cloud = await cc.get_project(alice, project["id"])
    assert in_cloud.title == "Sales forecast"
    assert in_cloud.name == project["name"]
    assert in_cloud.metadata.tags == ("demo", "q3")

    listed = await api.get("projects")
    assert [p["id"] for p in listed.body["projects"]] == [project["id"]]


async def test_folder_names_are_unique_and_filesystem_safe(api: Api, projects_root: Path) -> None:
    first = await api.create("Sales forecast")
    second = await api.create("Sales forecast")
    odd = await api.create('  ../a/b:c*?"<>|\x07 ..  ')
    dotted = await api.create("...")
    assert Path(first["local_path"]).name == "Sales forecast"
    assert Path(second["local_path"]).name == "Sales forecast (2)"
    assert Path(odd["local_path"]).name == "-a-b-c------"
    assert Path(dotted["local_path"]).name == "Untitled project"
    for project in (first, second, odd, dotted):
        assert Path(project["local_path"]).parent == projects_root
        assert Path(project["local_path"]).is_dir()


async def test_tag_and_q_filter_the_list(api: Api) -> None:
    await api.create("Alpha study", tags=["x"])
    await api.create("Beta study", tags=["y"])
    by_tag = await api.get("projects", params={"tag": "y"})
    assert [p["title"] for p in by_tag.body["projects"]] == ["Beta study"]
    by_q = await api.get("projects", params={"q": "ALPHA"})
    assert [p["title"] for p in by_q.body["projects"]] == ["Alpha study"]


@pytest.mark.parametrize(
    ("raw", "fragment"),
    [
        ("{not json", "json"),
        ('{"title": 5}', "title"),
        ('{"title": ""}', "title"),
        ('{"title": "   "}', "title"),
        ('{"title": "ok", "colour": "red"}', "colour"),
        ('{"title": "ok", "tags": "a"}', "tags"),
        ("[]", "body"),
        ("", "title"),
    ],
)
async def test_create_rejects_bad_bodies(
    api: Api, projects_root: Path, raw: str, fragment: str
) -> None:
    reply = await api.post("projects", raw=raw)
    assert reply.code == 400, reply.body
    assert reply.body["code"] == "invalid_body"
    assert fragment in reply.body["message"].lower()
    assert not projects_root.exists() or not any(projects_root.iterdir())


async def test_oversized_body_is_413(api: Api) -> None:
    reply = await api.post("projects", raw=json.dumps({"title": "x" * (1024 * 1024 + 10)}))
    assert reply.code == 413
    assert reply.body["code"] == "body_too_large"


async def test_create_for_an_organization_the_user_is_not_in_is_403(api: Api) -> None:
    reply = await api.post("projects", body={"title": "Elsewhere", "owner": str(uuid.uuid4())})
    assert reply.code == 403, reply.body
    assert reply.body["code"] == "forbidden"
    assert (await api.get("projects")).body["projects"] == []


async def test_get_one_project_with_its_files(api: Api) -> None:
    project = await api.create("Notes")
    (Path(project["local_path"]) / "a.txt").write_text("hello")
    reply = await api.get("projects", project["id"])
    assert reply.code == 200
    assert reply.headers["ETag"] == '"1"'
    assert reply.body["project"]["id"] == project["id"]
    assert reply.body["cloud_status"] == "ok"
    assert [(f["path"], f["status"], f["size"]) for f in reply.body["files"]] == [
        ("a.txt", "new_local", 5)
    ]


@pytest.mark.parametrize("project_id", [str(uuid.uuid4()), "not a uuid", "x" * 70, "..", "%00"])
async def test_unknown_or_malformed_ids_are_404(api: Api, project_id: str) -> None:
    for method, suffix in [
        ("GET", ()),
        ("DELETE", ()),
        ("GET", ("files",)),
        ("GET", ("plan",)),
        ("GET", ("permissions",)),
    ]:
        reply = await api.call(method, "projects", project_id, *suffix)
        assert reply.code == 404, (method, suffix, reply.body)
        assert reply.body["code"] == "not_found"


async def test_patch_updates_cloud_then_store_and_never_moves_the_folder(
    api: Api, replica: Any, replica_alice_key: str
) -> None:
    project = await api.create("Old title", tags=["a"])
    reply = await api.call(
        "PATCH",
        "projects",
        project["id"],
        body={"title": "New title", "tags": ["b", "c"], "description": "now"},
        headers={"If-Match": '"1"'},
    )
    assert reply.code == 200, reply.body
    assert reply.headers["ETag"] == '"2"'
    assert reply.body["version"] == 2
    assert reply.body["title"] == "New title"
    assert reply.body["tags"] == ["b", "c"]
    assert reply.body["description"] == "now"
    assert reply.body["local_path"] == project["local_path"]
    assert Path(project["local_path"]).name == "Old title"
    async with cloud_as(replica.url, replica_alice_key) as alice:
        in_cloud = await cc.get_project(alice, project["id"])
    assert (in_cloud.title, in_cloud.metadata.tags) == ("New title", ("b", "c"))
    assert in_cloud.metadata.description == "now"

    # A bare version number is accepted too; only the given fields change.
    again = await api.call(
        "PATCH", "projects", project["id"], body={"description": None}, headers={"If-Match": "2"}
    )
    assert again.code == 200, again.body
    assert (again.body["title"], again.body["description"]) == ("New title", None)


async def test_patch_with_a_stale_version_is_412_and_changes_nothing(
    api: Api, replica: Any, replica_alice_key: str, pfb_db_path: Path
) -> None:
    project = await api.create("Stable")
    ok = await api.call(
        "PATCH", "projects", project["id"], body={"title": "Second"}, headers={"If-Match": '"1"'}
    )
    assert ok.code == 200
    before = stored_row(pfb_db_path, project["id"])
    stale = await api.call(
        "PATCH", "projects", project["id"], body={"title": "Third"}, headers={"If-Match": '"1"'}
    )
    assert stale.code == 412
    assert stale.body["code"] == "version_conflict"
    assert stored_row(pfb_db_path, project["id"]) == before
    async with cloud_as(replica.url, replica_alice_key) as alice:
        assert (await cc.get_project(alice, project["id"])).title == "Second"


@pytest.mark.parametrize(
    ("headers", "raw", "status", "code"),
    [
        ({}, '{"title": "x"}', 428, "precondition_required"),
        ({"If-Match": "*"}, '{"title": "x"}', 412, "version_conflict"),
        ({"If-Match": "abc"}, '{"title": "x"}', 412, "version_conflict"),
        ({"If-Match": "1"}, "{}", 400, "invalid_body"),
        ({"If-Match": "1"}, '{"title": null}', 400, "invalid_body"),
        ({"If-Match": "1"}, '{"owner": "someone"}', 400, "invalid_body"),
        ({"If-Match": "1"}, '{"tags": [1]}', 400, "invalid_body"),
        ({"If-Match": "1"}, "nope", 400, "invalid_body"),
    ],
)
async def test_patch_4xx(
    api: Api, headers: dict[str, str], raw: str, status: int, code: str
) -> None:
    project = await api.create("Patched")
    reply = await api.call("PATCH", "projects", project["id"], raw=raw, headers=headers)
    assert (reply.code, reply.body["code"]) == (status, code), reply.body
    assert (await api.get("projects", project["id"])).body["project"]["version"] == 1


async def test_delete_local_keeps_cloud_project_and_moves_files_to_trash(
    api: Api, replica: Any, replica_alice_key: str, jp_data_dir: Path, jp_root_dir: Path
) -> None:
    project = await api.create("Keep me")
    folder = Path(project["local_path"])
    (folder / "notes").mkdir()
    (folder / "notes" / "a.md").write_text("# precious")
    before = tree(folder)

    reply = await api.call("DELETE", "projects", project["id"])
    assert reply.code == 200, reply.body
    assert reply.body["scope"] == "local"
    assert reply.body["forgotten_locally"] is True
    assert reply.body["deleted_in_cloud"] is False
    trash = Path(reply.body["trash_path"])
    assert not folder.exists()
    assert tree(trash) == before  # every file kept, marker included
    assert trash.is_relative_to(Path(jp_data_dir))
    assert not trash.is_relative_to(Path(jp_root_dir))
    assert (await api.get("projects", project["id"])).code == 404
    async with cloud_as(replica.url, replica_alice_key) as alice:
        assert (await cc.get_project(alice, project["id"])).title == "Keep me"

    # The cloud project is still there: a refresh lists it again, not downloaded.
    refreshed = await api.get("projects", params={"refresh": "true"})
    again = next(p for p in refreshed.body["projects"] if p["id"] == project["id"])
    assert again["local_path"] is None


async def test_delete_cloud_keeps_local_files(
    api: Api, replica: Any, replica_alice_key: str
) -> None:
    project = await api.create("Cloud goes")
    folder = Path(project["local_path"])
    (folder / "a.txt").write_text("mine")
    reply = await api.call("DELETE", "projects", project["id"], params={"scope": "cloud"})
    assert reply.code == 200, reply.body
    assert reply.body["deleted_in_cloud"] is True
    assert reply.body["forgotten_locally"] is False
    assert reply.body["trash_path"] is None
    assert (folder / "a.txt").read_text() == "mine"
    kept = await api.get("projects", project["id"])
    assert kept.body["project"]["cloud_state"] == "cloud_deleted"
    async with cloud_as(replica.url, replica_alice_key) as alice:
        with pytest.raises(ProjectNotFound):
            await cc.get_project(alice, project["id"])


async def test_delete_both(api: Api, replica: Any, replica_alice_key: str) -> None:
    project = await api.create("All gone")
    reply = await api.call("DELETE", "projects", project["id"], params={"scope": "both"})
    assert reply.code == 200, reply.body
    assert reply.body["deleted_in_cloud"] and reply.body["forgotten_locally"]
    assert Path(reply.body["trash_path"]).is_dir()
    assert (await api.get("projects", project["id"])).code == 404
    async with cloud_as(replica.url, replica_alice_key) as alice:
        with pytest.raises(ProjectNotFound):
            await cc.get_project(alice, project["id"])


async def test_delete_with_a_bad_scope_is_400(api: Api) -> None:
    project = await api.create("Scoped")
    reply = await api.call("DELETE", "projects", project["id"], params={"scope": "all"})
    assert (reply.code, reply.body["code"]) == (400, "invalid_query")
    assert Path(project["local_path"]).is_dir()


async def test_bad_query_flags_are_400(api: Api) -> None:
    reply = await api.get("projects", params={"refresh": "maybe"})
    assert (reply.code, reply.body["code"]) == (400, "invalid_query")
    reply = await api.get("projects", params={"q": "x" * 500})
    assert (reply.code, reply.body["code"]) == (400, "invalid_query")


async def test_unknown_method_is_a_json_405(api: Api) -> None:
    reply = await api.call("PUT", "projects", raw="{}")
    assert reply.code == 405
    assert reply.body["code"] == "method_not_allowed"
