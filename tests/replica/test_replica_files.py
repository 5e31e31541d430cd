"""The replica's file routes: upload, download, listing, revisions, conditions, ranges."""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from replica_helpers import SALES_FORECAST, error_code, upload

from aext_project_filebrowser_server.cloud.replica.blobs import INLINE_MAX_BYTES, blob_path
from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess

MakeProject = Callable[..., dict[str, Any]]


@pytest.fixture
def pid(make_project: MakeProject) -> str:
    project_id: str = make_project()["id"]
    return project_id


def files_url(pid: str, path: str = "") -> str:
    return f"/api/projects/{pid}/files/{path}" if path else f"/api/projects/{pid}/files"


def test_upload_then_download(alice: httpx.Client, pid: str) -> None:
    content = b"col\n1\n2\n"
    response = upload(alice, pid, "data/nums.csv", content)
    assert response.status_code == 201
    body = response.json()
    assert set(body) == {"url", "project_id", "name", "file_version_id"}
    assert body["project_id"] == pid and body["name"] == "data/nums.csv"
    assert body["url"].endswith(f"/api/projects/{pid}/files/data/nums.csv")
    version = body["file_version_id"]

    got = alice.get(body["url"])
    assert got.status_code == 200
    assert got.content == content
    assert got.headers["ETag"] == f'"{version}"'
    assert got.headers["X-Checksum-Sha256"] == hashlib.sha256(content).hexdigest()
    assert got.headers["Content-Length"] == str(len(content))
    assert "GMT" in got.headers["Last-Modified"]

    head = alice.head(files_url(pid, "data/nums.csv"))
    assert head.status_code == 200 and head.content == b""
    assert head.headers["Content-Length"] == str(len(content))
    not_modified = alice.get(files_url(pid, "data/nums.csv"), headers={"If-None-Match": version})
    assert not_modified.status_code == 304


def test_every_put_is_a_new_revision(alice: httpx.Client, pid: str) -> None:
    first = upload(alice, pid, "nb.ipynb", b"v1")
    second = upload(alice, pid, "nb.ipynb", b"v2")
    same_again = upload(alice, pid, "nb.ipynb", b"v2")
    assert (first.status_code, second.status_code, same_again.status_code) == (201, 200, 200)
    versions = [r.json()["file_version_id"] for r in (first, second, same_again)]
    assert len(set(versions)) == 3
    assert alice.get(files_url(pid, "nb.ipynb")).content == b"v2"
    old = alice.get(files_url(pid, "nb.ipynb"), params={"version": versions[0]})
    assert old.content == b"v1"
    assert old.headers["ETag"] == f'"{versions[0]}"'

    listing = alice.get(files_url(pid, "nb.ipynb/versions")).json()
    assert [v["file_version_id"] for v in listing["items"]] == versions[::-1]
    assert listing["num_items"] == 3 and listing["next_page_url"] is None
    newest = listing["items"][0]
    assert newest["author"] == "alice" and newest["deleted"] is False
    assert newest["size"] == 2 and newest["sha256"] == hashlib.sha256(b"v2").hexdigest()
    # A version of another path is not found under this one.
    upload(alice, pid, "other.txt", b"o")
    wrong = alice.get(files_url(pid, "other.txt"), params={"version": versions[0]})
    assert wrong.status_code == 404


def test_delete_records_a_tombstone(alice: httpx.Client, pid: str) -> None:
    v1 = upload(alice, pid, "gone.txt", b"keep me").json()["file_version_id"]
    assert alice.delete(files_url(pid, "gone.txt")).status_code == 204
    response = alice.get(files_url(pid, "gone.txt"))
    assert response.status_code == 404 and error_code(response) == "not_found"
    assert alice.delete(files_url(pid, "gone.txt")).status_code == 404
    assert alice.get(files_url(pid)).json()["items"] == []
    # The old revision is still there, and the listing shows the deletion.
    assert alice.get(files_url(pid, "gone.txt"), params={"version": v1}).content == b"keep me"
    versions = alice.get(files_url(pid, "gone.txt/versions")).json()["items"]
    assert [v["deleted"] for v in versions] == [True, False]
    tombstone = versions[0]["file_version_id"]
    assert alice.get(files_url(pid, "gone.txt"), params={"version": tombstone}).status_code == 404
    # Writing again after a delete is a creation.
    assert upload(alice, pid, "gone.txt", b"back").status_code == 201


def test_conditional_writes(alice: httpx.Client, pid: str) -> None:
    create_only = {"If-None-Match": "*"}
    v1 = upload(alice, pid, "c.txt", b"1", create_only).json()["file_version_id"]
    clash = upload(alice, pid, "c.txt", b"again", create_only)
    assert clash.status_code == 412
    assert error_code(clash) == "precondition_failed"

    stale = upload(alice, pid, "c.txt", b"2", {"If-Match": "not-the-version"})
    assert stale.status_code == 412
    assert stale.headers["ETag"] == f'"{v1}"'
    v2 = upload(alice, pid, "c.txt", b"2", {"If-Match": f'"{v1}"'}).json()["file_version_id"]
    v3 = upload(alice, pid, "c.txt", b"3", {"If-Match": v2}).json()["file_version_id"]
    assert upload(alice, pid, "c.txt", b"x", {"If-Match": v1}).status_code == 412
    assert upload(alice, pid, "absent.txt", b"x", {"If-Match": v1}).status_code == 412
    assert alice.get(files_url(pid, "c.txt")).content == b"3"

    assert alice.delete(files_url(pid, "c.txt"), headers={"If-Match": v2}).status_code == 412
    assert alice.delete(files_url(pid, "c.txt"), headers={"If-Match": v3}).status_code == 204
    # Deleted: If-None-Match: * may create it again; If-Match cannot match anything.
    assert upload(alice, pid, "c.txt", b"x", {"If-Match": v3}).status_code == 412
    assert upload(alice, pid, "c.txt", b"4", create_only).status_code == 201


def test_listing_pagination_and_prefix(alice: httpx.Client, pid: str) -> None:
    paths = sorted([f"dir/f{i:02}.txt" for i in range(12)] + ["README.md", "dirt.txt", "Dir/x"])
    for path in paths:
        assert upload(alice, pid, path, path.encode()).status_code == 201
    seen: list[dict[str, Any]] = []
    url: str | None = files_url(pid) + "?limit=5"
    while url:
        body = alice.get(url).json()
        assert body["num_items"] == len(paths)
        seen += body["items"]
        url = body["next_page_url"]
    assert [f["path"] for f in seen] == paths
    entry = next(f for f in seen if f["path"] == "README.md")
    assert set(entry) == {"path", "size", "sha256", "last_modified", "file_version_id"}
    assert entry["sha256"] == hashlib.sha256(b"README.md").hexdigest()
    assert entry["size"] == len(b"README.md") and entry["last_modified"].endswith("Z")

    prefixed = alice.get(files_url(pid), params={"prefix": "dir/", "limit": 10}).json()
    assert prefixed["num_items"] == 12 and len(prefixed["items"]) == 10
    rest = alice.get(prefixed["next_page_url"]).json()
    assert [f["path"] for f in rest["items"]] == ["dir/f10.txt", "dir/f11.txt"]
    assert rest["next_page_url"] is None
    assert alice.get(files_url(pid), params={"limit": 10001}).status_code == 400
    assert alice.get(files_url(pid), params={"limit": 10000}).status_code == 200


def test_range_downloads(alice: httpx.Client, pid: str) -> None:
    content = bytes(range(256)) * 4
    version = upload(alice, pid, "bin.dat", content).json()["file_version_id"]
    url = files_url(pid, "bin.dat")
    part = alice.get(url, headers={"Range": "bytes=10-19"})
    assert part.status_code == 206
    assert part.content == content[10:20]
    assert part.headers["Content-Range"] == f"bytes 10-19/{len(content)}"
    assert part.headers["Content-Length"] == "10"
    tail = alice.get(url, headers={"Range": "bytes=-6"})
    assert tail.status_code == 206 and tail.content == content[-6:]
    assert alice.get(url, headers={"Range": "bytes=1000-"}).content == content[1000:]
    unsatisfiable = alice.get(url, headers={"Range": "bytes=5000-"})
    assert unsatisfiable.status_code == 416
    assert unsatisfiable.headers["Content-Range"] == f"bytes */{len(content)}"
    # A stale If-Range means the whole, current body.
    stale = alice.get(url, headers={"Range": "bytes=0-1", "If-Range": '"old"'})
    assert stale.status_code == 200 and stale.content == content
    fresh = alice.get(url, headers={"Range": "bytes=0-1", "If-Range": f'"{version}"'})
    assert fresh.status_code == 206 and fresh.content == content[:2]


@pytest.mark.parametrize("size", [INLINE_MAX_BYTES, INLINE_MAX_BYTES + 1])
def test_small_bodies_live_in_the_db_large_ones_in_blob_files(
    replica: ReplicaProcess, alice: httpx.Client, pid: str, size: int
) -> None:
    content = hashlib.sha256(str(size).encode()).digest() * (size // 32) + b"x" * (size % 32)
    sha256 = hashlib.sha256(content).hexdigest()
    assert upload(alice, pid, "a.bin", content).status_code == 201
    assert upload(alice, pid, "copy.bin", content).status_code == 201  # same blob, stored once
    assert blob_path(replica.data_dir, sha256).exists() == (size > INLINE_MAX_BYTES)
    for path in ("a.bin", "copy.bin"):
        got = alice.get(files_url(pid, path))
        assert got.content == content and got.headers["X-Checksum-Sha256"] == sha256
    part = alice.get(files_url(pid, "a.bin"), headers={"Range": f"bytes={size - 40}-{size - 1}"})
    assert part.status_code == 206 and part.content == content[-40:]
    head = alice.head(files_url(pid, "a.bin"))
    assert head.content == b"" and head.headers["Content-Length"] == str(size)


def test_versions_url_ambiguity(alice: httpx.Client, pid: str) -> None:
    # No file "notes" ever existed, so ".../notes/versions" is the file at that path.
    upload(alice, pid, "notes/versions", b"a file named versions")
    assert alice.get(files_url(pid, "notes/versions")).content == b"a file named versions"
    upload(alice, pid, "notes", b"now a file named notes too")
    listing = alice.get(files_url(pid, "notes/versions")).json()
    assert listing["num_items"] == 1
    assert alice.get(files_url(pid, "missing/versions")).status_code == 404


def test_unicode_paths_are_nfc(alice: httpx.Client, pid: str) -> None:
    nfd, nfc = "cafe\u0301.txt", "caf\u00e9.txt"
    assert upload(alice, pid, quote(nfd), b"coffee").json()["name"] == nfc
    assert alice.get(files_url(pid, quote(nfc))).content == b"coffee"
    assert alice.get(files_url(pid, quote(nfd))).content == b"coffee"
    assert [f["path"] for f in alice.get(files_url(pid)).json()["items"]] == [nfc]


BAD_URL_PATHS = [
    "%2Fetc%2Fpasswd",  # absolute
    "a//b",
    "%2E%2E/secret",
    "a/%2E%2E/b",
    "a/%2E/b",
    "a%5Cb",  # backslash
    "a%00b",  # NUL
    "a%0Ab",  # newline
    "a%7F",  # DEL
    "a%FF",  # not UTF-8
    "x" * 256,
    "/".join(["abcdefghij"] * 94),
]


@pytest.mark.parametrize("raw", BAD_URL_PATHS)
def test_bad_paths_are_400(alice: httpx.Client, raw: str) -> None:
    url = f"/api/projects/{SALES_FORECAST}/files/{raw}"
    for response in (
        alice.get(url),
        alice.delete(url),
        alice.put(url, files={"files": ("x", b"x")}),
    ):
        assert response.status_code == 400, (raw, response.status_code)
        assert error_code(response) == "invalid_path"


def test_bad_uploads(alice: httpx.Client, bob: httpx.Client, pid: str) -> None:
    url = files_url(pid, "x.txt")
    for response in (
        alice.put(url, content=b"raw bytes", headers={"Content-Type": "text/plain"}),
        alice.put(url, files={"other": ("x", b"x")}),
        alice.put(url, files=[("files", ("a", b"a")), ("files", ("b", b"b"))]),
        alice.put(
            url,
            content=b"--b\r\nContent-Disposition: form-data; name=files\r\n\r\ncut",
            headers={"Content-Type": "multipart/form-data; boundary=b"},
        ),
    ):
        assert response.status_code == 400, response.text
        assert error_code(response) == "invalid_request"
    # Extra form fields are ignored; the answer to a refused upload comes after its body.
    ok = alice.put(url, data={"note": "ignored"}, files={"files": ("x", b"kept")})
    assert ok.status_code == 201
    big_refusal = upload(bob, pid, "big.bin", b"\0" * (3 * 1024 * 1024))
    assert big_refusal.status_code == 404  # bob cannot see alice's project
    assert alice.get(files_url(pid)).json()["num_items"] == 1
    assert alice.get(files_url("not-a-project")).status_code == 404
