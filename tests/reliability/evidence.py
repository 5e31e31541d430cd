"""What the reliability suites check: whole versions only, nothing lost, converged, sound store.

Every content a test writes (locally or straight to the cloud) goes through a `Ledger`,
which remembers its sha256 and the path it was written at. Contents are unique (a label
and random bytes), so a file whose bytes hash to no ledger entry is a mix or a truncation.

- `whole_version_problems`: every project file, trash entry and current cloud file is a
  version the ledger knows, found at its own path (or at a conflict copy / trash entry of it).
- `lost_versions`: every ledger entry is still somewhere — a project file (conflict copies
  included), the project's trash, or a cloud revision of any path (read back with
  `GET …/versions` and `?version=`).
- `convergence_problems`: the project folder equals the cloud's current files.
- `integrity_check`: `PRAGMA integrity_check` of a store file.
"""

from __future__ import annotations

import hashlib
import itertools
import random
import sqlite3
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath
from typing import Any

import httpx
import nbformat
import nbformat.v4

from aext_project_filebrowser_server.services.sync.ignore import EXTENSION_FOLDER
from aext_project_filebrowser_server.services.sync.names import is_conflict_copy

ALICE_KEY = "demo-alice-key"


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def cloud_http(url: str, key: str = ALICE_KEY, timeout: float = 30.0) -> httpx.Client:
    return httpx.Client(
        base_url=url,
        headers={"Authorization": f"Bearer {key}", "Api-Version": "2023.11.28"},
        timeout=timeout,
    )


@dataclass
class Ledger:
    """Every content written by the test: sha256 → (path, label)."""

    rng: random.Random = field(default_factory=lambda: random.Random(0))
    entries: dict[str, tuple[str, str]] = field(default_factory=dict)
    notebook_cells: dict[str, tuple[str, ...]] = field(default_factory=dict)
    cells_by_path: dict[str, set[str]] = field(default_factory=dict)
    # Every path the test saw on either side (conflict copies included): a version may
    # survive only as a cloud revision of a path deleted since, which no listing shows.
    seen: set[str] = field(default_factory=set)

    def saw(self, paths: Iterable[str]) -> None:
        self.seen.update(paths)

    def make(self, path: str, label: str, size: int = 64) -> bytes:
        """Unique bytes for a version of `path`, not yet recorded as written."""
        head = f"{path}|{label}|".encode()
        return head + self.rng.randbytes(max(0, size - len(head)))

    def record(self, path: str, label: str, data: bytes) -> None:
        self.entries[sha(data)] = (path, label)

    def content(self, path: str, label: str, size: int = 64) -> bytes:
        """Unique bytes for a version of `path`, recorded as written."""
        data = self.make(path, label, size)
        self.record(path, label, data)
        return data

    def notebook(self, path: str, label: str, sources: list[str]) -> bytes:
        """A notebook version (cells `c0`, `c1`... with these sources), recorded as written.

        A three-way merge may combine two versions' cells into bytes nobody wrote; the
        checks accept those when every cell is one some version of the path had, and count
        a version as kept while each of its cells is in a notebook that survives.
        """
        cells = [nbformat.v4.new_code_cell(source, id=f"c{i}") for i, source in enumerate(sources)]
        data = nbformat.writes(nbformat.v4.new_notebook(cells=cells)).encode()
        self.record(path, label, data)
        self.notebook_cells[sha(data)] = tuple(sources)
        self.cells_by_path.setdefault(path, set()).update(sources)
        return data

    def write_local(self, root: Path, path: str, label: str, size: int = 64) -> bytes:
        data = self.content(path, label, size)
        target = root / path
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        return data

    def put_remote(
        self,
        http: httpx.Client,
        project_id: str,
        path: str,
        label: str,
        size: int = 64,
        **headers: str,
    ) -> httpx.Response:
        """PUT a new version; recorded only if the cloud took it (a 412 wrote nothing)."""
        data = self.make(path, label, size)
        answer = put_remote(http, project_id, path, data, **headers)
        if answer.status_code in (200, 201):
            self.record(path, label, data)
        return answer


def put_remote(
    http: httpx.Client, project_id: str, path: str, data: bytes, **headers: str
) -> httpx.Response:
    return http.put(
        f"/api/projects/{project_id}/files/{path}",
        files={"files": (path.rsplit("/", 1)[-1], data)},
        headers=headers,
    )


def delete_remote(http: httpx.Client, project_id: str, path: str) -> httpx.Response:
    """Delete the current revision (If-Match it, as a careful client would)."""
    current = cloud_listing(http, project_id).get(path)
    headers = {"If-Match": f'"{current["file_version_id"]}"'} if current else {}
    return http.delete(f"/api/projects/{project_id}/files/{path}", headers=headers)


# --- reading both sides -------------------------------------------------------------------


def local_tree(root: Path) -> dict[str, bytes]:
    """The project's files (what sync sees), without the extension's own folder."""
    return {
        p.relative_to(root).as_posix(): p.read_bytes()
        for p in sorted(root.rglob("*"))
        if p.is_file() and EXTENSION_FOLDER not in p.relative_to(root).parts
    }


def trash_tree(root: Path) -> dict[str, bytes]:
    """Trash entries by their path inside the trash (`<stamp>/<relative path>`)."""
    trash = root / EXTENSION_FOLDER / "trash"
    if not trash.is_dir():
        return {}
    return {
        p.relative_to(trash).as_posix(): p.read_bytes()
        for p in sorted(trash.rglob("*"))
        if p.is_file()
    }


def cloud_listing(http: httpx.Client, project_id: str) -> dict[str, dict[str, Any]]:
    """Path → entry with `file_version_id`, in either replica dialect (our shape, or the
    real product's file model: `key`, `details.file_version_id`, directories)."""
    items: dict[str, dict[str, Any]] = {}
    url: str | None = f"/api/projects/{project_id}/files?limit=1000"
    while url:
        answer = http.get(url)
        assert answer.status_code == 200, answer.text
        body = answer.json()
        for item in body["items"]:
            if item.get("type", "file") != "file":
                continue
            version = item.get("file_version_id") or item["details"]["file_version_id"]
            items[item.get("path") or item["key"]] = {**item, "file_version_id": version}
        url = body.get("next_page_url")
    return items


def get_bytes(http: httpx.Client, url: str, **params: str) -> httpx.Response:
    """GET a file's bytes; a redirect to storage is followed without the API key."""
    answer = http.get(url, params=params or None)
    if answer.is_redirect:
        answer = httpx.get(str(answer.url.join(answer.headers["Location"])), timeout=30)
    return answer


def listed_sha(http: httpx.Client, project_id: str, path: str, entry: dict[str, Any]) -> str:
    """A listing entry's sha256; a cloud that lists none (the evidence dialect) is asked for
    the bytes ("" when the file is gone meanwhile)."""
    digest = entry.get("sha256")
    if digest:
        return str(digest)
    answer = get_bytes(http, f"/api/projects/{project_id}/files/{path}")
    return sha(answer.content) if answer.status_code == 200 else ""


def cloud_tree(http: httpx.Client, project_id: str) -> dict[str, bytes]:
    out = {}
    for path in cloud_listing(http, project_id):
        answer = get_bytes(http, f"/api/projects/{project_id}/files/{path}")
        assert answer.status_code == 200, (path, answer.text)
        out[path] = answer.content
    return out


def cloud_versions(http: httpx.Client, project_id: str, path: str) -> list[dict[str, Any]]:
    """Every revision of `path`, as the cloud lists them ([] for a path it never had)."""
    answer = http.get(f"/api/projects/{project_id}/files/{path}/versions")
    if answer.status_code == 404:
        return []
    assert answer.status_code == 200, answer.text
    items: list[dict[str, Any]] = answer.json()["items"]
    return items


def fetch_version(http: httpx.Client, project_id: str, path: str, version: str) -> bytes:
    answer = get_bytes(http, f"/api/projects/{project_id}/files/{path}", version=version)
    assert answer.status_code == 200, (path, version, answer.text)
    return answer.content


# --- checks -------------------------------------------------------------------------------


def _is_copy_of(path: str, origin: str) -> bool:
    """`path` is `origin` itself or a conflict copy of it (possibly a copy of a copy)."""
    if path == origin:
        return True
    here, there = PurePosixPath(path), PurePosixPath(origin)
    if here.parent != there.parent or not is_conflict_copy(path):
        return False
    suffix = there.suffix
    stem = there.name[: -len(suffix)] if suffix else there.name
    # A copy of a copy gains one more label, and a name too long for the file system keeps
    # its newest label and loses the end of its stem: compare what precedes the labels.
    first = stem.split(" (conflict, ", 1)[0]
    return here.name.startswith(f"{first} (conflict, ") and here.name.endswith(suffix)


def _trash_origin(entry: str) -> str:
    """`<stamp>/<path>[.1.1]` → `<path>` (move_to_trash appends `.1` on name clashes)."""
    path = entry.split("/", 1)[1]
    while path.endswith(".1"):
        path = path[:-2]
    return path


def notebook_sources(data: bytes) -> tuple[str, ...] | None:
    """The cell sources of a notebook file, or None if it is not a whole notebook."""
    try:
        notebook = nbformat.reads(data.decode(), as_version=4)
    except Exception:
        return None
    return tuple(
        "".join(c.source) if isinstance(c.source, list) else c.source for c in notebook.cells
    )


def _is_merge_of_known_cells(ledger: Ledger, path: str, data: bytes) -> bool:
    """A notebook made only of cells that versions of its path (or origin) had: a merge."""
    if not path.endswith(".ipynb"):
        return False
    sources = notebook_sources(data)
    if sources is None:
        return False
    return any(
        _is_copy_of(path, origin) and set(sources) <= known
        for origin, known in ledger.cells_by_path.items()
    )


def whole_version_problems(
    ledger: Ledger, root: Path | None, http: httpx.Client | None, project_id: str
) -> list[str]:
    """Files that are not exactly a version written at their path (mixed, truncated...)."""
    problems: list[str] = []

    def check(where: str, path: str, data: bytes) -> None:
        entry = ledger.entries.get(sha(data))
        if entry is None and _is_merge_of_known_cells(ledger, path, data):
            return
        if entry is None:
            problems.append(f"{where} {path!r}: {len(data)} bytes that nobody wrote")
        elif not _is_copy_of(path, entry[0]):
            problems.append(f"{where} {path!r} holds {entry[0]!r}'s version {entry[1]!r}")

    if root is not None:
        for path, data in local_tree(root).items():
            check("local", path, data)
        for entry, data in trash_tree(root).items():
            check("trash", _trash_origin(entry), data)
    if http is not None:
        for path, data in cloud_tree(http, project_id).items():
            check("cloud", path, data)
    return problems


def lost_versions(
    ledger: Ledger,
    roots: Iterable[Path],
    http: httpx.Client,
    project_id: str,
    must_survive: Iterable[str] | None = None,
) -> list[str]:
    """Ledger versions (or the `must_survive` subset, by sha256) found nowhere."""
    wanted = set(ledger.entries if must_survive is None else must_survive)
    found: set[str] = set()
    for root in roots:
        found.update(sha(d) for d in local_tree(root).values())
        found.update(sha(d) for d in trash_tree(root).values())
    paths = {path for path, _ in ledger.entries.values()} | ledger.seen
    paths |= set(cloud_listing(http, project_id))
    for root in roots:
        paths |= set(local_tree(root))
    for path in sorted(paths):
        for version in cloud_versions(http, project_id, path):
            digest = version["sha256"]
            if version.get("deleted") or digest not in wanted or digest in found:
                continue
            # Read the revision back: the listing's hash must be what the cloud serves.
            data = fetch_version(http, project_id, path, version["file_version_id"])
            if sha(data) == digest:
                found.add(digest)
    missing = wanted - found
    if any(d in ledger.notebook_cells for d in missing):
        # A merged notebook keeps a version's edits without its bytes: look at the cells.
        cells = _surviving_cells(roots, http, project_id, paths)
        missing = {d for d in missing if not set(ledger.notebook_cells.get(d, ("\0",))) <= cells}
    return sorted(
        f"{ledger.entries[d][0]!r} version {ledger.entries[d][1]!r}"
        for d in missing
        if d in ledger.entries
    )


def _surviving_cells(
    roots: Iterable[Path], http: httpx.Client, project_id: str, paths: Iterable[str]
) -> set[str]:
    """Every cell source of every notebook that still exists on either side."""
    found: set[str] = set()
    blobs = []
    for root in roots:
        blobs += [d for p, d in local_tree(root).items() if p.endswith(".ipynb")]
        blobs += [d for p, d in trash_tree(root).items() if p.endswith(".ipynb")]
    for path in paths:
        if path.endswith(".ipynb"):
            for version in cloud_versions(http, project_id, path):
                if not version.get("deleted"):
                    blobs.append(fetch_version(http, project_id, path, version["file_version_id"]))
    for blob in blobs:
        found.update(notebook_sources(blob) or ())
    return found


def convergence_problems(root: Path, http: httpx.Client, project_id: str) -> list[str]:
    here, there = local_tree(root), cloud_tree(http, project_id)
    problems = [f"only local: {p!r}" for p in sorted(set(here) - set(there))]
    problems += [f"only in the cloud: {p!r}" for p in sorted(set(there) - set(here))]
    problems += [f"different: {p!r}" for p in sorted(set(here) & set(there)) if here[p] != there[p]]
    return problems


def duplicate_revisions(http: httpx.Client, project_id: str, paths: Iterable[str]) -> list[str]:
    """Paths where two consecutive live revisions hold the same bytes (a replayed upload)."""
    found = []
    for path in sorted(set(paths)):
        versions = cloud_versions(http, project_id, path)
        # Listed newest first or oldest first: adjacency is the same either way.
        for a, b in itertools.pairwise(versions):
            if not a.get("deleted") and not b.get("deleted") and a["sha256"] == b["sha256"]:
                found.append(f"{path!r}: revisions {a['file_version_id']}, {b['file_version_id']}")
    return found


def integrity_check(db_path: Path) -> str:
    """`PRAGMA integrity_check` of a store file ("ok" when sound)."""
    connection = sqlite3.connect(db_path)
    try:
        rows = connection.execute("PRAGMA integrity_check").fetchall()
    finally:
        connection.close()
    return "; ".join(str(r[0]) for r in rows)
