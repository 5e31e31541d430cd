"""The replica's project, account and permission routes, over real HTTP."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from typing import Any

import httpx
import pytest
from replica_helpers import (
    ACME_ID,
    ALICE_ID,
    BOB_ID,
    PUBLIC_EXAMPLES,
    SALES_FORECAST,
    SCRATCH,
    TEAM_DASHBOARD,
    WEATHER,
    client_for,
    error_code,
    upload,
)

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess

MakeProject = Callable[..., dict[str, Any]]


def test_healthz_needs_no_auth(anonymous: httpx.Client) -> None:
    for url in ("/api/projects/healthz", "/api/projects/healthz/"):
        response = anonymous.get(url)
        assert response.status_code == 200
        assert response.json() == {"status": "ok"}


@pytest.mark.parametrize(
    "authorization", [None, "", "Bearer nope", "Basic ZGVtbzpkZW1v", "Bearer", "demo-alice-key"]
)
@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("GET", "/api/projects"),
        ("GET", "/api/account"),
        ("POST", "/api/projects"),
        ("GET", f"/api/projects/{SALES_FORECAST}"),
        ("GET", f"/api/projects/{SALES_FORECAST}/files"),
        ("GET", f"/api/projects/{SALES_FORECAST}/files/README.md"),
        ("DELETE", f"/api/projects/{SALES_FORECAST}/files/README.md"),
        ("GET", f"/api/projects/{SALES_FORECAST}/permissions"),
    ],
)
def test_missing_or_unknown_key_is_401(
    replica: ReplicaProcess, authorization: str | None, method: str, url: str
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = httpx.request(method, replica.url + url, headers=headers, json={})
    assert response.status_code == 401
    assert error_code(response) == "auth_required"
    assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_account(alice: httpx.Client, carol: httpx.Client) -> None:
    me = alice.get("/api/account").json()
    assert me["user"] == {
        "id": ALICE_ID,
        "email": "alice@example.com",
        "username": "alice",
        "first_name": "",
        "last_name": "",
    }
    assert "name" not in me["user"]
    assert alice.get("/api/organizations/my").json() == [
        {"id": ACME_ID, "name": "acme", "title": "acme"}
    ]
    assert carol.get("/api/organizations/my/").json() == []


def _ids(response: httpx.Response) -> set[str]:
    assert response.status_code == 200, response.text
    return {p["id"] for p in response.json()["items"]}


def test_listing_shows_what_the_caller_can_see(
    alice: httpx.Client, bob: httpx.Client, carol: httpx.Client
) -> None:
    seeded = {SALES_FORECAST, SCRATCH, WEATHER, TEAM_DASHBOARD, PUBLIC_EXAMPLES}
    assert _ids(bob.get("/api/projects", params={"limit": 1000})) & seeded == {
        SALES_FORECAST,  # shared with bob
        WEATHER,  # his own
        TEAM_DASHBOARD,  # his org's
        PUBLIC_EXAMPLES,  # public (and his)
    }
    assert _ids(carol.get("/api/projects", params={"limit": 1000})) & seeded == {PUBLIC_EXAMPLES}
    mine = _ids(alice.get("/api/projects/", params={"owner": "me", "limit": 1000}))
    assert mine & seeded == {SALES_FORECAST, SCRATCH}
    assert _ids(bob.get("/api/projects", params={"owner": "acme"})) == {TEAM_DASHBOARD}
    assert _ids(bob.get("/api/projects", params={"tag": "weather"})) == {WEATHER}
    assert _ids(bob.get("/api/projects", params={"name": "sales-forecast"})) == {SALES_FORECAST}
    assert _ids(alice.get("/api/projects", params={"owner": "no-such-account"})) == set()


def test_project_json_shape(bob: httpx.Client) -> None:
    project = bob.get(f"/api/projects/{TEAM_DASHBOARD}", headers={"Api-Version": "x"}).json()
    assert set(project) == {"id", "name", "title", "created_at", "updated_at", "metadata", "owner"}
    assert project["owner"] == {"id": ACME_ID, "type": "organization", "name": "acme"}
    assert project["created_at"].endswith("Z")
    assert project["updated_at"] == project["created_at"]  # seeded, never changed since
    assert project["metadata"] == {
        "tags": ["team"],
        "description": "Acme's shared KPIs.",
        "user_client": None,
        "hidden": False,
    }


def test_pagination_follows_next_page_url(alice: httpx.Client, make_project: MakeProject) -> None:
    tag = f"page-{uuid.uuid4().hex[:8]}"
    created = [make_project(metadata={"tags": [tag]})["id"] for _ in range(11)]
    seen: list[str] = []
    url: str | None = f"/api/projects?owner=me&tag={tag}&limit=4"
    pages = 0
    while url:
        body = alice.get(url).json()
        assert body["num_items"] == 11
        assert len(body["items"]) <= 4
        seen += [p["id"] for p in body["items"]]
        url = body["next_page_url"]
        if url:
            assert url.startswith("http://") and "tag=" in url and "limit=4" in url
        pages += 1
    assert pages == 3
    assert seen == created  # stable (created_at, id) order, no repeats


def test_bad_listing_arguments(alice: httpx.Client) -> None:
    for params in ({"limit": "1001"}, {"limit": "0"}, {"limit": "many"}, {"cursor": "garbage!"}):
        response = alice.get("/api/projects", params=params)
        assert response.status_code == 400
        assert error_code(response) == "invalid_request"
    assert alice.get("/api/projects", params={"limit": "1000"}).status_code == 200


def test_create_get_patch_delete(alice: httpx.Client, bob: httpx.Client) -> None:
    name = f"crud-{uuid.uuid4().hex[:8]}"
    response = alice.post(
        "/api/projects/",
        json={"name": name, "title": "CRUD", "metadata": {"tags": ["a"], "custom": {"k": 1}}},
    )
    assert response.status_code == 201
    project = response.json()
    pid = project["id"]
    assert uuid.UUID(pid)
    assert project["owner"] == {"id": ALICE_ID, "type": "user", "name": "alice"}
    assert project["metadata"]["custom"] == {"k": 1}
    assert alice.get(f"/api/projects/{pid}/").json() == project

    duplicate = alice.post("/api/projects", json={"name": name, "title": "again"})
    assert duplicate.status_code == 409
    assert error_code(duplicate) == "conflict"
    # The same name under another owner is fine.
    assert bob.post("/api/projects", json={"name": name, "title": "bob's"}).status_code == 201

    patched = alice.patch(
        f"/api/projects/{pid}", json={"title": "Renamed", "metadata": {"description": "d"}}
    ).json()
    assert patched["title"] == "Renamed"
    assert patched["metadata"]["tags"] == ["a"]  # merged, not replaced
    assert patched["metadata"]["description"] == "d"
    assert patched["metadata"]["custom"] == {"k": 1}
    assert patched["updated_at"] > project["updated_at"]

    # Invisible to bob: 404 (not 403), whatever the method.
    for method in ("GET", "PATCH", "DELETE"):
        response = bob.request(method, f"/api/projects/{pid}", json={"title": "x"})
        assert response.status_code == 404
        assert error_code(response) == "not_found"

    assert alice.delete(f"/api/projects/{pid}").status_code == 204
    assert alice.get(f"/api/projects/{pid}").status_code == 404
    assert alice.delete(f"/api/projects/{pid}").status_code == 404


@pytest.mark.parametrize(
    "body",
    [
        {"title": "no name"},
        {"name": "Upper", "title": "t"},
        {"name": "-dash", "title": "t"},
        {"name": "a" * 64, "title": "t"},
        {"name": "ok", "title": ""},
        {"name": "ok", "title": "t", "metadata": {"tags": "not-a-list"}},
        {"name": "ok", "title": "t", "metadata": {"hidden": "no"}},
        {"name": "ok", "title": "t", "unknown": 1},
        {"name": "ok", "title": "t", "owner": {"type": "team", "id": "x"}},
    ],
)
def test_create_validation(alice: httpx.Client, body: dict[str, Any]) -> None:
    response = alice.post("/api/projects", json=body)
    assert response.status_code == 400, response.text
    assert error_code(response) == "invalid_request"


def test_malformed_bodies_and_ids(alice: httpx.Client) -> None:
    assert alice.post("/api/projects", content=b"{not json").status_code == 400
    assert alice.post("/api/projects", json=[1, 2]).status_code == 400
    for bad_id in ("not-a-uuid", "00000000-0000-0000-0000-000000000000", "%FF"):
        response = alice.get(f"/api/projects/{bad_id}")
        assert response.status_code == 404
        assert error_code(response) == "not_found"
    response = alice.get("/api/projects?tag=%FF")
    assert response.status_code == 400 and error_code(response) == "invalid_request"
    response = alice.get("/api/nowhere")
    assert response.status_code == 404 and error_code(response) == "not_found"
    response = alice.put("/api/projects")
    assert response.status_code == 405 and error_code(response) == "method_not_allowed"


def test_organization_projects(alice: httpx.Client, bob: httpx.Client, carol: httpx.Client) -> None:
    name = f"org-{uuid.uuid4().hex[:8]}"
    owner = {"type": "organization", "id": ACME_ID}
    response = carol.post("/api/projects", json={"name": name, "title": "t", "owner": owner})
    assert response.status_code == 403
    assert error_code(response) == "forbidden"
    foreign = {"type": "user", "id": BOB_ID}
    assert (
        alice.post("/api/projects", json={"name": name, "title": "t", "owner": foreign}).status_code
        == 403
    )

    project = alice.post("/api/projects", json={"name": name, "title": "t", "owner": owner}).json()
    assert project["owner"]["type"] == "organization"
    # Every member of the owning organization is an owner: bob may write and delete.
    assert upload(bob, project["id"], "x.txt", b"x").status_code == 201
    assert carol.get(f"/api/projects/{project['id']}").status_code == 404
    assert bob.delete(f"/api/projects/{project['id']}").status_code == 204


def test_sharing_roles(
    alice: httpx.Client, bob: httpx.Client, carol: httpx.Client, make_project: MakeProject
) -> None:
    pid = make_project()["id"]
    perms = f"/api/projects/{pid}/permissions"
    assert alice.get(perms).json() == {"is_public": False, "grants": []}
    assert bob.get(f"/api/projects/{pid}").status_code == 404

    shared = alice.post(perms, json={"users": [BOB_ID], "role": "reader"})
    assert shared.status_code == 200
    assert shared.json()["grants"] == [{"type": "user", "id": BOB_ID, "role": "reader"}]
    assert bob.get(f"/api/projects/{pid}").status_code == 200
    assert bob.get(perms).status_code == 200
    for response in (
        upload(bob, pid, "a.txt", b"x"),
        bob.patch(f"/api/projects/{pid}", json={"title": "mine now"}),
        bob.post(perms, json={"is_public": True}),
        bob.delete(f"/api/projects/{pid}"),
    ):
        assert response.status_code == 403
        assert error_code(response) == "forbidden"

    alice.post(perms, json={"users": [BOB_ID], "role": "writer"})
    assert upload(bob, pid, "a.txt", b"x").status_code == 201
    assert bob.patch(f"/api/projects/{pid}", json={"title": "edited"}).status_code == 200
    assert bob.delete(f"/api/projects/{pid}").status_code == 403  # writers cannot delete

    # Sharing with an organization reaches its members, but not carol.
    alice.post(perms, json={"users": [BOB_ID], "role": "none"})
    assert bob.get(f"/api/projects/{pid}").status_code == 404
    alice.post(perms, json={"organizations": [ACME_ID], "role": "reader"})
    assert bob.get(f"/api/projects/{pid}/files/a.txt").content == b"x"
    assert carol.get(f"/api/projects/{pid}").status_code == 404

    for bad in ({}, {"users": ["nobody"], "role": "reader"}, {"users": [BOB_ID], "role": "god"}):
        response = alice.post(perms, json=bad)
        assert response.status_code == 400
        assert error_code(response) == "invalid_request"


def test_public_projects_are_readable_by_anyone_authenticated(
    alice: httpx.Client, carol: httpx.Client, anonymous: httpx.Client, make_project: MakeProject
) -> None:
    pid = make_project()["id"]
    assert upload(alice, pid, "notes.md", b"# hi").status_code == 201
    assert carol.get(f"/api/projects/{pid}").status_code == 404
    published = alice.post(f"/api/projects/{pid}/permissions", json={"is_public": True})
    assert published.json() == {"is_public": True, "grants": []}
    assert carol.get(f"/api/projects/{pid}").status_code == 200
    assert pid in _ids(carol.get("/api/projects", params={"limit": 1000}))
    assert carol.get(f"/api/projects/{pid}/files/notes.md").content == b"# hi"
    assert upload(carol, pid, "notes.md", b"vandal").status_code == 403
    assert anonymous.get(f"/api/projects/{pid}").status_code == 401


def test_trailing_slashes_everywhere(alice: httpx.Client, replica: ReplicaProcess) -> None:
    for url in (
        "/api/account/",
        "/api/projects/",
        f"/api/projects/{SALES_FORECAST}/",
        f"/api/projects/{SALES_FORECAST}/files/",
        f"/api/projects/{SALES_FORECAST}/permissions/",
        f"/api/projects/{SALES_FORECAST}/files/README.md/",
        f"/api/projects/{SALES_FORECAST}/files/README.md/versions/",
    ):
        assert alice.get(url).status_code == 200, url
    with client_for(replica, "demo-carol-key") as carol:
        assert carol.get(f"/api/projects/{SALES_FORECAST}/").status_code == 404
