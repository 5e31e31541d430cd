"""Suite 6: a malicious or broken cloud cannot make the extension write outside the project
folder, nor write bytes that are not what the listing promised.

The extension is pointed at `evil_cloud.py`, which lists paths no real cloud would
(`../../etc/passwd`, absolute paths, names through a symlink that leads out, NUL, 300-byte
names, the extension's own marker) and serves bodies that lie (wrong hash, wrong checksum
header, cut short, shorter than listed). A `sync` over the WebSocket runs against it; then
every file outside the project folder is compared byte for byte with before, and every file
inside is checked against what is allowed to be there.
"""

from __future__ import annotations

import json
import os
import unicodedata
from collections.abc import Iterator
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import pytest

from aext_project_filebrowser_server.schemas.projects import CloudProject, ProjectOwner
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.snapshot import marker_path
from aext_project_filebrowser_server.testing import Project, local_files, run_over_ws

from .conftest import insert_project
from .evil_cloud import EvilCloud, EvilFile, sha, start_evil_cloud, stop_evil_cloud


@pytest.fixture
def evil_cloud(jp_asyncio_loop: Any) -> Iterator[EvilCloud]:
    cloud = jp_asyncio_loop.run_until_complete(start_evil_cloud())
    yield cloud
    stop_evil_cloud(cloud)


@pytest.fixture
def security_cloud_url(evil_cloud: EvilCloud) -> str:
    return evil_cloud.url


@pytest.fixture
def arena(tmp_path: Path) -> Path:
    """Everything a path attack could reach; the project sits four levels down in it, so
    `../../..`-style names land inside the arena (never in the real /etc)."""
    return tmp_path / "arena"


@pytest.fixture
def project(jp_serverapp: Any, jp_asyncio_loop: Any, arena: Path) -> Project:
    root = arena / "a" / "b" / "x" / "proj"
    root.mkdir(parents=True)
    evil_sibling = root.with_name("proj-evil")  # the prefix-sibling of CVE-2024-35178's class
    evil_sibling.mkdir()
    (evil_sibling / "secret.txt").write_bytes(b"sibling")
    (arena / "a" / "b" / "outside.txt").write_bytes(b"outside")
    os.symlink(evil_sibling, root / "link-out")
    now = datetime.now(timezone.utc)
    cloud = CloudProject(
        id="0e71c0de-0000-4000-8000-00000000e711",
        name="evil",
        title="Evil",
        created_at=now,
        updated_at=now,
        owner=ProjectOwner(id="a11ce000-0000-4000-8000-000000000001", type="user"),
    )
    write_marker(marker_path(root), cloud.id)
    jp_asyncio_loop.run_until_complete(insert_project(jp_serverapp, cloud, root))
    return Project(cloud.id, root)


def everything_outside(arena: Path, root: Path) -> dict[str, bytes | str]:
    """Every entry of the arena outside the project folder (symlinks by target)."""
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


def leftover_temp_files(root: Path) -> list[str]:
    tmp = root / ".aext-project" / "tmp"
    return sorted(p.name for p in tmp.glob("*")) if tmp.is_dir() else []


def assert_ended_cleanly(messages: list[dict[str, Any]]) -> dict[str, Any]:
    last = messages[-1]
    assert last["type"] in ("completed", "failed"), last
    assert last.get("code") != "internal_error", last
    return last


async def test_listed_paths_that_escape_are_never_written(
    evil_cloud: EvilCloud, project: Project, arena: Path, jp_ws_fetch: Any
) -> None:
    absolute = str(arena / "a" / "abs-target.txt")
    attacks = [
        "../../etc/passwd",
        "../outside.txt",
        "../proj-evil/secret.txt",
        "link-out/secret.txt",
        "link-out/new.txt",
        "a/../../outside.txt",
        "..",
        ".",
        absolute,
        "/etc/passwd-never",
        "a//b.txt",
        "nul\x00byte.txt",
        "n" * 300,
        ".aext-project/project.json",
        ".aext-project/../../outside.txt",
        ".aext-project/tmp/planted.part",
        ".aext-project/trash/planted.txt",
    ]
    odd_but_inside = ["C:\\evil.txt", "a\\..\\..\\b.txt", " ok spaced .txt"]
    evil_cloud.serve(
        EvilFile("ok.txt", b"fine"),
        *(EvilFile(path, b"pwned " + path.encode(errors="replace")) for path in attacks),
        *(EvilFile(path, b"odd " + path.encode()) for path in odd_but_inside),
    )
    outside_before = everything_outside(arena, project.root)
    marker_before = marker_path(project.root).read_bytes()

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_ended_cleanly(messages)
    assert everything_outside(arena, project.root) == outside_before
    assert marker_path(project.root).read_bytes() == marker_before
    assert not (project.root / ".aext-project" / "trash" / "planted.txt").exists()
    written = {
        p: data for p, data in local_files(project.root).items() if not p.startswith("link-out/")
    }
    assert written == {"ok.txt": b"fine"} | {p: b"odd " + p.encode() for p in odd_but_inside}
    asked = [path for method, path in evil_cloud.requests if "/files/" in path]
    assert not any(".." in path.split("/") for path in asked), asked


async def test_refused_downloads_leave_no_temp_files(
    evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any
) -> None:
    evil_cloud.serve(
        EvilFile("link-out/new.txt", b"through the link"),
        EvilFile("n" * 300, b"too long a name"),
        EvilFile("ok.txt", b"fine"),
    )

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_ended_cleanly(messages)
    assert local_files(project.root) == {"ok.txt": b"fine"}
    assert leftover_temp_files(project.root) == []


async def test_bodies_that_do_not_match_the_listing_are_refused(
    evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any
) -> None:
    good = b"good content\n" * 10
    evil_cloud.serve(
        EvilFile("good.txt", good),
        EvilFile("bad-hash.txt", b"tampered", listed_sha256=sha(b"original")),
        EvilFile("bad-checksum-header.txt", b"body", checksum_header=sha(b"other")),
        EvilFile("truncated.bin", os.urandom(200_000), cut_after=70_000),
        EvilFile(
            "shorter-than-listed.txt",
            b"short",
            listed_size=4096,
            listed_sha256=sha(b"x" * 4096),
        ),
    )

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_ended_cleanly(messages)
    assert local_files(project.root) == {"good.txt": good}
    assert leftover_temp_files(project.root) == []


@pytest.mark.parametrize(
    "broken",
    [
        EvilFile("not-a-hash.txt", b"y", listed_sha256="z" * 64),
        EvilFile("negative-size.txt", b"y", listed_size=-1),
    ],
    ids=["not-a-hash", "negative-size"],
)
async def test_a_malformed_entry_with_a_path_is_left_alone_on_both_sides(
    broken: EvilFile, evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any
) -> None:
    """An entry whose path is known but whose fields do not fit: that path is left alone
    (the local copy neither uploaded over it nor trashed, the cloud's not downloaded) and
    shown as skipped with the reason; the rest of the listing syncs."""
    (project.root / broken.path).write_bytes(b"local edit")
    evil_cloud.serve(EvilFile("good.txt", b"good"), broken)

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    last = assert_ended_cleanly(messages)
    assert last["type"] == "completed" and last["summary"]["result"] == "ok", last
    skipped = {s["path"]: s["reason"] for s in last["summary"]["skipped"]}
    assert "does not fit" in skipped[broken.path]
    assert local_files(project.root) == {broken.path: b"local edit", "good.txt": b"good"}
    touched = [(method, url) for method, url in evil_cloud.requests if broken.path in url]
    assert touched == [], touched  # neither downloaded nor written over nor deleted
    assert leftover_temp_files(project.root) == []


@pytest.mark.parametrize("broken", [EvilFile("", b"empty name")], ids=["empty-name"])
async def test_a_malformed_listing_is_refused_as_a_whole(
    broken: EvilFile, evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any
) -> None:
    """An entry whose path cannot be known: no stand-in can protect it, so the listing is
    not trusted and nothing is written (nor, were there local files, deleted)."""
    (project.root / "mine.txt").write_bytes(b"local")
    evil_cloud.serve(EvilFile("good.txt", b"good"), broken)

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    last = assert_ended_cleanly(messages)
    assert last["type"] == "failed" and last["code"] == "invalid_cloud_response", last
    assert local_files(project.root) == {"mine.txt": b"local"}
    assert not any(method != "GET" for method, _ in evil_cloud.requests), evil_cloud.requests


async def test_a_listing_size_that_lies_cannot_change_the_verified_bytes(
    evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any
) -> None:
    """The sha256 is the authority: a wrong `size` with the right hash writes exactly the
    hashed bytes (and the base records the real size), nothing more or less."""
    evil_cloud.serve(EvilFile("sized.txt", b"12345", listed_size=999_999))

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    assert_ended_cleanly(messages)
    assert local_files(project.root) == {"sized.txt": b"12345"}


async def test_a_next_page_on_another_host_is_not_followed(
    evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any, jp_asyncio_loop: Any
) -> None:
    """The API key travels with every page: a listing may not send it elsewhere."""
    elsewhere = await start_evil_cloud()
    try:
        evil_cloud.serve(EvilFile("page-one.txt", b"1"))
        evil_cloud.next_page_url = f"{elsewhere.url}/api/projects/{project.id}/files?cursor=2"

        messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

        last = assert_ended_cleanly(messages)
        assert last["type"] == "failed", last
        assert elsewhere.requests == []
        assert local_files(project.root) == {}
    finally:
        stop_evil_cloud(elsewhere)


async def test_case_and_unicode_clashes_are_kept_apart(
    evil_cloud: EvilCloud, project: Project, jp_ws_fetch: Any
) -> None:
    """On a case-sensitive file system each case variant becomes its own file with its own
    bytes. Names equal in NFC are one file (issue #16): a cloud listing two of them (`é`
    composed and decomposed, `K` and the Kelvin sign) gets neither written, both reported
    as skipped; nothing is overwritten by a look-alike."""
    nfc = unicodedata.normalize("NFC", "caf\u00e9.txt")
    nfd = unicodedata.normalize("NFD", nfc)
    cases = ["Data.csv", "data.csv", "DATA.CSV"]
    twins = [nfc, nfd, "K.txt", "\u212a.txt"]
    names = cases + twins
    evil_cloud.serve(*(EvilFile(name, f"content of {name!a}".encode()) for name in names))

    messages = await run_over_ws(jp_ws_fetch, project.id, "sync")

    last = assert_ended_cleanly(messages)
    on_disk = {p.name for p in project.root.iterdir()}
    probe = project.root / "probe-CASE"
    probe.write_bytes(b"")
    case_sensitive = not (project.root / "probe-case").exists()
    probe.unlink()
    if not case_sensitive:  # pragma: no cover - macOS/Windows runners
        pytest.skip("case-insensitive file system: clashes are refused, checked elsewhere")
    assert on_disk - {".aext-project", "link-out"} == set(cases), json.dumps(sorted(on_disk))
    for name in cases:
        assert (project.root / name).read_bytes() == f"content of {name!a}".encode()
    skipped = {s["path"]: s["reason"] for s in last["summary"]["skipped"]}
    assert set(skipped) == set(twins) and all("twice" in r for r in skipped.values())
