"""Suite 6: path attacks on every route that takes a path, and through the project folder
itself: `..`, absolute paths, symlinks that lead out, the sibling folder whose name starts
with the project's (`/x/proj` vs `/x/proj-evil`), NUL, over-long names, Windows separators,
the extension's own folder, symlink loops, case and Unicode-normalisation clashes.

Each attack is refused (4xx, or a sync that ends without `internal_error`) or safely mapped,
and afterwards every file outside the project folder is byte-for-byte what it was.
"""

from __future__ import annotations

import asyncio
import json
import os
import shutil
import unicodedata
import uuid
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx
import pytest
from tornado.httpclient import AsyncHTTPClient, HTTPResponse

from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.testing import (
    EXTENSION,
    Project,
    local_files,
    remote_files,
    run_over_ws,
    write_tree,
)

MakeProject = Callable[[], Awaitable[Project]]

ATTACKS = [
    "../outside.txt",
    "../../outside.txt",
    "../proj-evil/secret.txt",
    "../proj-evil",
    "/etc/passwd",
    "//etc/passwd",
    "link-out/secret.txt",
    "link-out/new.txt",
    "link-file",
    "link-loop",
    "link-loop/x.txt",
    "data.csv/../../outside.txt",
    "a/../../outside.txt",
    "..",
    ".",
    "nul\x00byte.txt",
    "n" * 300,
    "d/" * 600 + "x",
    "..\\outside.txt",
    "a\\..\\..\\outside.txt",
    "C:\\Windows\\win.ini",
    ".aext-project/project.json",
    ".aext-project/../../outside.txt",
    "%2e%2e/outside.txt",
    "\u2024\u2024/outside.txt",
]


def attacked_project_layout(root: Path, *, loop: bool = False) -> Path:
    """Escape hatches around and inside a project folder; returns the arena around it.
    `loop`: also a symlink loop (skipped by the snapshot, refused by path-taking routes)."""
    arena = root.parent
    evil = arena / "proj-evil"
    evil.mkdir(exist_ok=True)
    (evil / "secret.txt").write_bytes(b"sibling secret")
    (arena / "outside.txt").write_bytes(b"outside secret")
    os.symlink(evil, root / "link-out")
    os.symlink(arena / "outside.txt", root / "link-file")
    if loop:
        os.symlink("link-loop", root / "link-loop")
    return arena


def everything_outside(arena: Path, root: Path) -> dict[str, bytes | str]:
    seen: dict[str, bytes | str] = {}
    for path in sorted(arena.rglob("*")):
        if path == root or root in path.parents:
            continue
        rel = path.relative_to(arena).as_posix()
        if path.is_symlink():
            seen[rel] = f"-> {os.readlink(path)}"
        elif path.is_file():
            seen[rel] = path.read_bytes()
        else:
            seen[rel] = "dir"
    return seen


async def call(
    port: int, base_url: str, auth: dict[str, str], method: str, url_path: str, body: Any = None
) -> HTTPResponse:
    """A request with a hand-built (already percent-encoded) path, never normalised."""
    url = f"http://127.0.0.1:{port}{base_url}{EXTENSION}/{url_path}"
    return await AsyncHTTPClient().fetch(
        url,
        method=method,
        headers=auth,
        body=None if body is None else json.dumps(body),
        raise_error=False,
        allow_nonstandard_methods=True,
    )


def assert_refused(response: HTTPResponse, attack: str) -> None:
    assert 400 <= response.code < 500, (attack, response.code, response.body[:300])
    body = json.loads(response.body)
    assert set(body) == {"message", "code"}, (attack, body)


async def attacked(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client, *, loop: bool
) -> tuple[Project, str]:
    """A synced project (data.csv in the cloud with a version) with the escape hatches."""
    project = await make_project()
    write_tree(project.root, {"data.csv": b"a,b\n1,2\n"})
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    versions = cloud_http.get(f"/api/projects/{project.id}/files/data.csv/versions").json()
    attacked_project_layout(project.root, loop=loop)
    return project, versions["items"][0]["file_version_id"]


@pytest.mark.parametrize("encode_slashes", [False, True], ids=["slashes", "encoded-slashes"])
async def test_file_routes_refuse_path_attacks(
    encode_slashes: bool,
    make_project: MakeProject,
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    project, version = await attacked(make_project, jp_ws_fetch, cloud_http, loop=True)
    arena = project.root.parent
    before = everything_outside(arena, project.root)
    marker = marker_path(project.root).read_bytes()
    for attack in ATTACKS:
        encoded = quote(attack, safe="" if encode_slashes else "/")
        prefix = f"projects/{project.id}/files/{encoded}"
        args = (jp_http_port, jp_base_url, jp_auth_header)
        restored = await call(*args, "POST", f"{prefix}/restore", {"version": version})
        assert_refused(restored, attack)
        listed = await call(*args, "GET", f"{prefix}/versions")
        assert_refused(listed, attack)
        content = await call(*args, "GET", f"{prefix}/versions/{version}/content")
        assert_refused(content, attack)
    assert everything_outside(arena, project.root) == before
    assert marker_path(project.root).read_bytes() == marker
    assert local_files(project.root)["data.csv"] == b"a,b\n1,2\n"


@pytest.mark.parametrize("keep", ["local", "remote", "both"])
async def test_conflict_resolution_refuses_path_attacks(
    keep: str,
    make_project: MakeProject,
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    project, _ = await attacked(make_project, jp_ws_fetch, cloud_http, loop=True)
    arena = project.root.parent
    # A conflict copy's name on a link that leads out: resolving must not follow it.
    copy = "outside (conflict, alice on lab, 2026-01-01 00-00).txt"
    os.symlink(arena / "outside.txt", project.root / copy)
    before = everything_outside(arena, project.root)
    for attack in [*ATTACKS, copy, f"link-out/{copy}", "", " ", "\t"]:
        reply = await call(
            jp_http_port,
            jp_base_url,
            jp_auth_header,
            "POST",
            f"projects/{project.id}/conflicts/resolve",
            {"path": attack, "keep": keep},
        )
        assert_refused(reply, attack)
    assert everything_outside(arena, project.root) == before
    assert (project.root / copy).is_symlink()


async def test_sync_paths_cannot_reach_outside(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    project, _ = await attacked(make_project, jp_ws_fetch, cloud_http, loop=False)
    arena = project.root.parent
    before = everything_outside(arena, project.root)
    attacks = [a for a in ATTACKS if "\x00" not in a and 0 < len(a) <= 1024]
    for kind in ("push", "pull", "sync"):
        messages = await run_over_ws(jp_ws_fetch, project.id, kind, paths=attacks)
        assert messages[-1]["type"] in ("completed", "failed"), messages[-1]
        assert messages[-1].get("code") != "internal_error", messages[-1]
    assert everything_outside(arena, project.root) == before
    assert remote_files(cloud_http, project.id) == {"data.csv": b"a,b\n1,2\n"}


async def test_symlinks_out_of_the_project_are_never_uploaded(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    """Reading through a link is an escape too: nothing behind it reaches the cloud."""
    project = await make_project()
    attacked_project_layout(project.root)
    os.symlink(project.root / "inside.txt", project.root / "link-inside")
    write_tree(project.root, {"inside.txt": b"mine"})

    messages = await run_over_ws(jp_ws_fetch, project.id, "push")

    assert messages[-1]["type"] == "completed", messages[-1]
    uploaded = remote_files(cloud_http, project.id)
    assert b"sibling secret" not in uploaded.values()
    assert b"outside secret" not in uploaded.values()
    assert set(uploaded) <= {"inside.txt", "link-inside"}
    assert uploaded["inside.txt"] == b"mine"


async def test_a_folder_swapped_for_a_link_out_is_not_written_through(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    """`data/` synced, then replaced by a link to the sibling; the cloud then changes a file
    under it. The pull must not write into the sibling."""
    project = await make_project()
    write_tree(project.root, {"data/x.csv": b"v1", "keep.txt": b"k"})
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    arena = attacked_project_layout(project.root)
    shutil.rmtree(project.root / "data")
    os.symlink(arena / "proj-evil", project.root / "data")
    answer = cloud_http.put(
        f"/api/projects/{project.id}/files/data/x.csv", files={"files": ("x.csv", b"v2")}
    )
    assert answer.status_code in (200, 201), answer.text
    before = everything_outside(arena, project.root)

    for kind in ("pull", "sync"):
        messages = await run_over_ws(jp_ws_fetch, project.id, kind)
        assert messages[-1].get("code") != "internal_error", messages[-1]

    assert everything_outside(arena, project.root) == before
    assert not (arena / "proj-evil" / "x.csv").exists()


async def test_a_symlink_loop_in_the_folder_does_not_break_the_project(
    make_project: MakeProject,
    jp_ws_fetch: Any,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    project = await make_project()
    write_tree(project.root, {"a.txt": b"a"})
    os.symlink("loop-b", project.root / "loop-a")
    os.symlink("loop-a", project.root / "loop-b")

    files = await call(
        jp_http_port, jp_base_url, jp_auth_header, "GET", f"projects/{project.id}/files"
    )
    assert files.code == 200, files.body[:300]
    messages = await run_over_ws(jp_ws_fetch, project.id, "push")
    assert messages[-1]["type"] == "completed", messages[-1]


async def test_case_and_normalisation_clashes_lose_nothing(
    make_project: MakeProject, jp_ws_fetch: Any, cloud_http: httpx.Client
) -> None:
    """The cloud folds NFD names to NFC; a folder holding both forms (and case variants)
    must not lose either content: each stays local, or is a cloud revision."""
    project = await make_project()
    nfc = unicodedata.normalize("NFC", "caf\u00e9.txt")
    nfd = unicodedata.normalize("NFD", nfc)
    tree = {nfc: b"typed on linux", nfd: b"typed on a mac", "Data.csv": b"D", "data.csv": b"d"}
    write_tree(project.root, tree)

    for kind in ("push", "sync", "sync"):
        messages = await run_over_ws(jp_ws_fetch, project.id, kind)
        assert messages[-1].get("code") != "internal_error", messages[-1]

    local = local_files(project.root)
    cloud_versions: set[bytes] = set()
    for path in remote_files(cloud_http, project.id):
        listed = cloud_http.get(f"/api/projects/{project.id}/files/{path}/versions").json()
        for item in listed["items"]:
            version = item["file_version_id"]
            cloud_versions.add(
                cloud_http.get(
                    f"/api/projects/{project.id}/files/{path}", params={"version": version}
                ).content
            )
    everywhere = set(local.values()) | cloud_versions
    for name, content in tree.items():
        assert content in everywhere, (name, content, sorted(local))


EVIL_TITLES = [
    "../../escaped",
    "..",
    ".",
    "/etc",
    "a/../../b",
    "C:\\Windows",
    "..\\..\\escaped",
    "con",
    "NUL.txt",
    "tab\there\x00nul",
    "\u202eevil\u202c",
    "x" * 255,
    "Existing",
]


async def test_project_titles_cannot_place_folders_outside_the_projects_root(
    jp_fetch: Any,
    projects_root: Path,
    cloud_http: httpx.Client,
    tmp_path: Path,
) -> None:
    """Folder names come from titles (ours on create, the cloud's on download)."""
    projects_root.mkdir(parents=True, exist_ok=True)
    (tmp_path / "outside").mkdir()
    os.symlink(tmp_path / "outside", projects_root / "Existing")  # a name already taken
    around = sorted(p.name for p in projects_root.parent.iterdir())
    folders = []
    for title in EVIL_TITLES:
        created = await jp_fetch(
            EXTENSION,
            "projects",
            method="POST",
            body=json.dumps({"title": title}),
            raise_error=False,
        )
        if created.code == 400:  # a title the API refuses (control characters...)
            continue
        assert created.code == 201, (title, created.body)
        folders.append(Path(json.loads(created.body)["local_path"]))
    # The cloud names a project as it likes; downloading it makes the folder from that.
    for title in ("../../from-the-cloud", "..", "a/b\\c"):
        name = f"evil-{uuid.uuid4().hex[:8]}"
        answer = cloud_http.post("/api/projects", json={"title": title, "name": name})
        assert answer.status_code == 201, answer.text
        project_id = answer.json()["id"]
        listed = await jp_fetch(EXTENSION, "projects", params={"refresh": "true"})
        assert listed.code == 200
        started = await jp_fetch(
            EXTENSION,
            "projects",
            project_id,
            "download",
            method="POST",
            body="{}",
            raise_error=False,
        )
        assert started.code == 202, started.body
        for _ in range(200):
            detail = json.loads((await jp_fetch(EXTENSION, "projects", project_id)).body)
            if detail["project"]["local_path"]:
                break
            await asyncio.sleep(0.05)
        folders.append(Path(detail["project"]["local_path"]))
    assert len(folders) >= 12
    for folder in folders:
        assert folder.parent == projects_root, folder
        assert folder.is_dir() and not folder.is_symlink(), folder
    assert len(set(folders)) == len(folders)
    assert list((tmp_path / "outside").iterdir()) == []
    assert sorted(p.name for p in projects_root.parent.iterdir()) == around


STAMP = ".aext-project/trash/20260101-000000"
TRASH_ATTACKS = [
    *ATTACKS,
    "",
    "data.csv",
    ".aext-project/trash",
    STAMP,
    f"{STAMP}/",
    ".aext-project/trash/not-a-stamp/kept.txt",
    ".aext-project/trash/20260101-000000/../../../outside.txt",
    f"{STAMP}/../20260101-000000/kept.txt/../../../../outside.txt",
    f"{STAMP}/link-out/secret.txt",
    f"{STAMP}/link-file",
    f"{STAMP}/link-dir/kept.txt",
    f"{STAMP}/.aext-project/project.json",
    f"{STAMP}//kept.txt",
    f"{STAMP}/a\\..\\kept.txt",
    f"{STAMP}/folder",
    f"{STAMP}/link-out/new.txt",
    ".aext-project/trash/20260101-000001/secret.txt",
]


async def test_restoring_from_the_trash_refuses_path_attacks(
    make_project: MakeProject,
    jp_ws_fetch: Any,
    cloud_http: httpx.Client,
    jp_http_port: int,
    jp_base_url: str,
    jp_auth_header: dict[str, str],
) -> None:
    """Only a regular file inside the project's own trash comes back, and only inside the
    project: links in the trash, a trash stamp that is a link, and a restore target whose
    folder is a link that leads out are all refused."""
    project, _ = await attacked(make_project, jp_ws_fetch, cloud_http, loop=True)
    arena = project.root.parent
    stamp = project.root / STAMP
    (stamp / "folder").mkdir(parents=True)
    (stamp / "kept.txt").write_bytes(b"kept")
    (stamp / "link-out").mkdir()
    (stamp / "link-out" / "new.txt").write_bytes(b"would land outside")
    os.symlink(arena / "outside.txt", stamp / "link-file")
    os.symlink(arena / "proj-evil", stamp / "link-dir")
    os.symlink(arena / "proj-evil", stamp.parent / "20260101-000001")
    before = everything_outside(arena, project.root)
    args = (jp_http_port, jp_base_url, jp_auth_header)
    for attack in TRASH_ATTACKS:
        reply = await call(
            *args, "POST", f"projects/{project.id}/deleted/restore", {"trash_path": attack}
        )
        assert_refused(reply, attack)
    listed = await call(*args, "GET", f"projects/{project.id}/deleted")
    assert listed.code == 200, listed.body
    trash_paths = {f["trash_path"] for f in json.loads(listed.body)["files"]}
    assert trash_paths == {f"{STAMP}/kept.txt", f"{STAMP}/link-out/new.txt"}
    assert everything_outside(arena, project.root) == before
    assert (stamp / "link-out" / "new.txt").read_bytes() == b"would land outside"

    # A trash folder that is itself a link is not the project's trash at all.
    shutil.rmtree(project.root / ".aext-project" / "trash")
    elsewhere = arena / "elsewhere" / "20260101-000000"
    elsewhere.mkdir(parents=True)
    (elsewhere / "kept.txt").write_bytes(b"not ours")
    os.symlink(elsewhere.parent, project.root / ".aext-project" / "trash")
    reply = await call(
        *args, "POST", f"projects/{project.id}/deleted/restore", {"trash_path": f"{STAMP}/kept.txt"}
    )
    assert_refused(reply, "trash folder is a link")
    listed = await call(*args, "GET", f"projects/{project.id}/deleted")
    assert listed.code == 200 and json.loads(listed.body)["files"] == []
    assert (elsewhere / "kept.txt").read_bytes() == b"not ours"
    assert not (project.root / "kept.txt").exists()
