"""The replica's `evidence` dialect answers the way `CLOUD_API_EVIDENCE.md` says the real
cloud does (see `cloud/replica/dialect.py`)."""

from __future__ import annotations

import re
import uuid
from collections.abc import Iterator

import httpx
import pytest
from replica_helpers import ALICE_ID, SALES_FORECAST, client_for

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess

NAIVE = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}$")


@pytest.fixture
def ealice(evidence_replica: ReplicaProcess, replica_alice_key: str) -> Iterator[httpx.Client]:
    with client_for(evidence_replica, replica_alice_key) as client:
        yield client


def new_project(client: httpx.Client) -> str:
    answer = client.post("/api/projects", json={"title": "Evidence", "name": "<random>"})
    assert answer.status_code == 201, answer.text
    project_id: str = answer.json()["id"]
    return project_id


def put(client: httpx.Client, pid: str, path: str, data: bytes, **headers: str) -> httpx.Response:
    return client.put(
        f"/api/projects/{pid}/files/{path}", files={"files": ("f", data)}, headers=headers
    )


def test_projects_have_naive_times_null_owner_name_and_page_counts(ealice: httpx.Client) -> None:
    page = ealice.get("/api/projects/", params={"owner": "me", "limit": 1}).json()
    assert page["num_items"] == len(page["items"]) == 1  # the count on this page
    project = page["items"][0]
    assert NAIVE.match(project["created_at"]) and NAIVE.match(project["updated_at"])
    assert project["owner"]["name"] is None
    made = ealice.post("/api/projects", json={"title": "T", "name": "<random>"}).json()
    assert made["metadata"]["user_client"] == "unknown"  # the default of every stored copy
    assert ealice.get("/api/projects/", params={"limit": 1001}).status_code == 400


def test_random_name_and_underscores(ealice: httpx.Client) -> None:
    made = ealice.post("/api/projects", json={"title": "T", "name": "<random>"}).json()
    assert made["name"] and made["name"] != "<random>"
    named = ealice.post("/api/projects", json={"title": "T", "name": f"numpy_{uuid.uuid4().hex}"})
    assert named.status_code == 201, named.text


def test_file_model_without_hashes_and_with_directories(ealice: httpx.Client) -> None:
    pid = new_project(ealice)
    version = put(ealice, pid, "data/x.csv", b"1,2\n").json()["file_version_id"]
    items = ealice.get(f"/api/projects/{pid}/files").json()["items"]
    assert [(i["key"], i["type"]) for i in items] == [("data", "directory"), ("data/x.csv", "file")]
    entry = items[1]
    assert entry["details"]["file_version_id"] == version and entry["name"] == "x.csv"
    assert not {"path", "sha256", "size", "last_modified"} & set(entry)


def test_preconditions_are_ignored(ealice: httpx.Client) -> None:
    pid = new_project(ealice)
    first = put(ealice, pid, "a.txt", b"one").json()["file_version_id"]
    put(ealice, pid, "a.txt", b"two")
    stale = put(ealice, pid, "a.txt", b"three", **{"If-Match": f'"{first}"'})
    assert stale.status_code in (200, 201)  # a cloud that honoured it would answer 412
    assert put(ealice, pid, "a.txt", b"four", **{"If-None-Match": "*"}).status_code in (200, 201)
    gone = ealice.delete(f"/api/projects/{pid}/files/a.txt", headers={"If-Match": f'"{first}"'})
    assert gone.status_code == 204


def test_download_redirects_to_storage_that_refuses_the_key(ealice: httpx.Client) -> None:
    pid = new_project(ealice)
    version = put(ealice, pid, "n.txt", b"bytes").json()["file_version_id"]
    answer = ealice.get(f"/api/projects/{pid}/files/n.txt")
    assert answer.status_code == 302
    storage = str(answer.url.join(answer.headers["Location"]))
    assert ealice.get(storage).status_code == 400  # the key must not go to storage
    plain = httpx.get(storage)
    assert plain.status_code == 200 and plain.content == b"bytes"
    assert "X-Checksum-Sha256" not in plain.headers
    assert version not in plain.headers["ETag"]
    assert httpx.get(storage.replace("/_storage/", "/_storage/x")).status_code == 404


def test_missing_login_is_403_auth_required(evidence_replica: ReplicaProcess) -> None:
    for key in (None, "not-a-key"):
        with client_for(evidence_replica, key) as client:
            answer = client.get(f"/api/projects/{SALES_FORECAST}")
        assert answer.status_code == 403
        assert answer.json()["error"]["code"] == "auth_required"


def test_account_shape(ealice: httpx.Client) -> None:
    user = ealice.get("/api/account").json()["user"]
    assert user["id"] == ALICE_ID and "name" not in user and user["username"] == "alice"
