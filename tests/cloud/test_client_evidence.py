"""The client against answers shaped the way public evidence shows the real cloud answers
(`CLOUD_API_EVIDENCE.md`), over `httpx.MockTransport`: naive timestamps, missing titles,
the real product's file model, entries that do not fit, 403 `auth_required`, redirected
downloads, the real account shape, empty answers, `http` next-page links.
"""

from __future__ import annotations

import json
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.cloud.errors import (
    AuthRequired,
    Forbidden,
    InvalidCloudResponse,
)
from aext_project_filebrowser_server.schemas.files import UnfitFile

from .test_client_unit import KEY, Recorder, make

NAIVE = "2025-11-13T13:29:47.246655"
GOOD_FILE = {
    "path": "ok.txt",
    "size": 1,
    "sha256": "a" * 64,
    "last_modified": "2024-01-01T00:00:00Z",
    "file_version_id": "v1",
}


def real_project(pid: str, **over: Any) -> dict[str, Any]:
    """A project as the seed product stored it: naive times, `owner.name` null."""
    data: dict[str, Any] = {
        "id": pid,
        "name": f"numpy_tutorial_{pid}",
        "title": "NumPy tutorial",
        "created_at": NAIVE,
        "updated_at": NAIVE,
        "metadata": {"tags": [], "user_client": "unknown", "hidden": False},
        "owner": {"id": "u1", "type": "user", "name": None},
    }
    data.update(over)
    return data


def page(items: list[Any], next_url: str | None = None) -> httpx.Response:
    return httpx.Response(
        200, json={"items": items, "num_items": len(items), "next_page_url": next_url}
    )


async def test_naive_times_are_utc_and_title_falls_back_to_name() -> None:
    untitled = real_project("p2")
    del untitled["title"]
    client = make(Recorder(page([real_project("p1"), untitled])))
    try:
        projects = await cc.list_all_projects(client, owner_me=True)
    finally:
        await cc.aclose(client)
    assert projects[0].created_at == datetime(2025, 11, 13, 13, 29, 47, 246655, timezone.utc)
    assert projects[1].title == "numpy_tutorial_p2"
    assert projects[0].owner.name is None


async def test_malformed_project_is_left_out_not_the_page(
    caplog: pytest.LogCaptureFixture,
) -> None:
    broken = real_project("p2", owner="nobody")
    client = make(Recorder(page([real_project("p1"), broken, real_project("p3")])))
    try:
        projects = await cc.list_all_projects(client, owner_me=True)
    finally:
        await cc.aclose(client)
    assert [p.id for p in projects] == ["p1", "p3"]
    assert client.notes.skipped_items == 1
    assert "left out a cloud listing entry" in caplog.text


@pytest.mark.parametrize(
    "bad",
    [
        {"path": "a", "size": -1, "file_version_id": "v"},
        {"path": "a", "size": 1, "sha256": "xyz", "file_version_id": "v"},
        {"path": "a"},
        {"key": "a", "type": "file", "details": {}},
    ],
)
async def test_a_malformed_file_entry_with_a_path_is_kept_as_unfit(bad: Any) -> None:
    """A file entry left out would read as "deleted in the cloud" (its local copy trashed,
    or a new upload over it): an entry whose path is known is kept as an `UnfitFile`, which
    the sync leaves alone on both sides; the rest of the listing is used."""
    client = make(Recorder(page([GOOD_FILE, bad])))
    try:
        listed = await cc.list_files(client, "p1")
    finally:
        await cc.aclose(client)
    assert [f.path for f in listed] == ["ok.txt", "a"]
    assert not isinstance(listed[0], UnfitFile)
    assert isinstance(listed[1], UnfitFile) and listed[1].reason
    assert client.notes.skipped_items == 0


@pytest.mark.parametrize(
    "bad",
    ["not an object", {"size": 1, "file_version_id": "v"}, {"path": "", "file_version_id": "v"}],
)
async def test_a_malformed_file_entry_without_a_path_fails_the_file_listing(bad: Any) -> None:
    """No stand-in can protect a path nobody knows: the file listing is refused."""
    client = make(Recorder(page([GOOD_FILE, bad])))
    try:
        with pytest.raises(InvalidCloudResponse, match="without a path"):
            await cc.list_files(client, "p1")
    finally:
        await cc.aclose(client)
    assert client.notes.skipped_items == 0


async def test_real_product_file_model() -> None:
    items = [
        {
            "key": "main.ipynb",
            "name": "main.ipynb",
            "type": "file",
            "project_id": "p1",
            "details": {"file_version_id": "fv-1", "metadata": {}},
            "status": "synced",
            "metadata": {},
        },
        {"key": "data", "name": "data", "type": "directory", "details": None, "contents": []},
        {"key": "data/x.csv", "type": "file", "details": {"file_version_id": "fv-2"}},
        {**GOOD_FILE, "last_modified": NAIVE},
    ]
    client = make(Recorder(page(items)))
    try:
        files = await cc.list_files(client, "p1")
    finally:
        await cc.aclose(client)
    assert [(f.path, f.file_version_id, f.sha256, f.size) for f in files] == [
        ("main.ipynb", "fv-1", None, None),
        ("data/x.csv", "fv-2", None, None),
        ("ok.txt", "v1", "a" * 64, 1),
    ]
    assert files[2].last_modified == datetime(2025, 11, 13, 13, 29, 47, 246655, timezone.utc)
    assert client.notes.skipped_items == 0


@pytest.mark.parametrize("status", [401, 403])
async def test_auth_required_on_401_and_403(status: int) -> None:
    body = {"error": {"code": "auth_required", "message": "Authentication required"}}
    client = make(Recorder(httpx.Response(status, json=body)))
    try:
        with pytest.raises(AuthRequired) as info:
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert info.value.status == status


async def test_plain_403_stays_forbidden() -> None:
    body = {"error": {"code": "forbidden", "message": "not yours"}}
    client = make(Recorder(httpx.Response(403, json=body)))
    try:
        with pytest.raises(Forbidden):
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)


async def test_redirected_download_drops_the_credential(tmp_path: Path) -> None:
    """A presigned-storage redirect is followed, without the key, also on the same origin;
    the storage's ETag is not a version id."""
    seen: list[httpx.Request] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(request)
        if request.url.path.startswith("/api/projects/"):
            return httpx.Response(302, headers={"Location": "/storage/blob?sig=abc"})
        if request.url.path == "/storage/blob":
            return httpx.Response(200, content=b"hello", headers={"ETag": '"storage-etag"'})
        return httpx.Response(404)

    client = make(handler)
    dest = tmp_path / "out"
    try:
        result = await cc.download_file(client, "p1", "a.txt", dest)
        pinned = await cc.download_file(client, "p1", "a.txt", dest, version="fv-9")
    finally:
        await cc.aclose(client)
    assert dest.read_bytes() == b"hello" and result.size == 5
    assert result.file_version_id is None and pinned.file_version_id == "fv-9"
    api, storage = seen[0], seen[1]
    assert api.headers["Authorization"] == f"Bearer {KEY}"
    assert "Authorization" not in storage.headers
    assert storage.url.params["sig"] == "abc"
    assert seen[2].url.params["version"] == "fv-9"


@pytest.mark.parametrize("answer", [httpx.Response(204), httpx.Response(200, text="alive")])
async def test_any_2xx_healthz_is_healthy(answer: httpx.Response) -> None:
    client = make(Recorder(answer))
    try:
        assert await cc.healthz(client) is True
    finally:
        await cc.aclose(client)


async def test_display_name_order() -> None:
    user = cc.CloudUser
    assert user(id="u", first_name="Ada", last_name="Lovelace", username="al").display_name == (
        "Ada Lovelace"
    )
    assert user(id="u", first_name="", last_name=None, username="al").display_name == "al"
    assert user(id="u", email="a@x").display_name == "a@x"
    assert user(id="u").display_name is None


async def test_empty_answer_to_a_permissions_change_is_success() -> None:
    recorder = Recorder(httpx.Response(200, content=b""))
    client = make(recorder)
    try:
        assert await cc.set_permissions(client, "p1", is_public=True) is None
    finally:
        await cc.aclose(client)
    assert json.loads(recorder.requests[0].content) == {"is_public": True}


async def test_http_next_page_on_the_same_host_is_followed_over_the_api_scheme() -> None:
    recorder = Recorder(
        page([real_project("p1")], "http://cloud.test/api/projects/?cursor=c2&limit=1000"),
        page([real_project("p2")]),
    )
    client = cc.make_cloud_client(
        "https://cloud.test", KEY, transport=httpx.MockTransport(recorder)
    )
    try:
        projects = await cc.list_all_projects(client, owner_me=True)
    finally:
        await cc.aclose(client)
    assert [p.id for p in projects] == ["p1", "p2"]
    assert str(recorder.requests[1].url) == "https://cloud.test/api/projects/?cursor=c2&limit=1000"


async def test_next_page_on_another_host_is_refused() -> None:
    client = make(Recorder(page([real_project("p1")], "http://elsewhere.test/api/projects/")))
    try:
        with pytest.raises(InvalidCloudResponse):
            await cc.list_all_projects(client)
    finally:
        await cc.aclose(client)


async def test_user_projects_never_include_a_strangers_public_project() -> None:
    """Owner listings keep only the user's and their organizations' projects, even from a
    cloud that ignores the filter; shared projects come from their own route."""
    mine = real_project("mine")
    org = real_project("org", owner={"id": "o1", "type": "organization", "name": None})
    stranger = real_project("public", owner={"id": "x9", "type": "user", "name": None})
    shared = real_project("shared", owner={"id": "x8", "type": "user", "name": None})
    asked: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        asked.append(str(request.url.copy_with(query=None)) + "?" + str(request.url.params))
        if request.url.path == "/api/account":
            return httpx.Response(200, json={"user": {"id": "u1", "username": "al"}})
        if request.url.path == "/api/organizations/my":
            return httpx.Response(200, json=[{"id": "o1", "name": "acme", "title": "Acme"}])
        if request.url.path == "/api/projects/shared-with-me":
            return page([shared])
        return page([mine, org, stranger])  # a cloud that ignores `owner`

    client = make(handler)
    try:
        projects = await cc.list_user_projects(client)
    finally:
        await cc.aclose(client)
    assert sorted(p.id for p in projects) == ["mine", "org", "shared"]
    assert any("owner=me" in a for a in asked) and any("owner=acme" in a for a in asked)


async def test_a_cloud_without_the_shared_route_shares_nothing() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/account":
            return httpx.Response(200, json={"user": {"id": "u1"}})
        if request.url.path == "/api/organizations/my":
            return httpx.Response(200, json=[])
        if request.url.path == "/api/projects/shared-with-me":
            return httpx.Response(404, json={"error": {"code": "not_found"}})
        return page([real_project("mine")])

    client = make(handler)
    try:
        assert [p.id for p in await cc.list_user_projects(client)] == ["mine"]
    finally:
        await cc.aclose(client)
