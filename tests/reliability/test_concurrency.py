"""Suite 4 — concurrency: two servers and a direct client on one project; the store's locks.

1. Two Jupyter servers (child processes, each with its own store and folder) and a third
   client writing straight to the replica all edit one project for N rounds: each round
   both servers edit (sometimes the same files), then both sync at the same moment while
   the third client edits, creates and deletes in the cloud. Every run must end cleanly.
   Afterwards both servers sync until quiet: they converge (both folders equal the cloud),
   and every version anybody wrote survives somewhere (a file or conflict copy in either
   folder, either trash, or a cloud revision).
2. Many writers to one project row through the store: optimistic locking refuses every
   stale write (`StaleVersion`) and never loses an update.
3. SQLite with concurrent readers (threads, own engines and a shared one), this server's
   writer and a second server process writing to the same store file: no "database is
   locked" ever surfaces.

`-m slow` runs 50 rounds and heavier store contention.
"""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import sys
import threading
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.schemas.projects import LocalProject
from aext_project_filebrowser_server.store import files as file_store
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import (
    Database,
    close_database,
    open_database,
    read,
    read_sync,
    write,
    write_sync,
)
from aext_project_filebrowser_server.store.errors import StaleVersion
from aext_project_filebrowser_server.store.files import FileRecord
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed

from .evidence import (
    Ledger,
    cloud_http,
    cloud_listing,
    convergence_problems,
    listed_sha,
    local_tree,
    lost_versions,
    sha,
    whole_version_problems,
)
from .inprocess import Project, add_local_project, create_cloud_project
from .jupyter_process import JupyterProcess, Launcher, WsRun, run_over_ws

# --- two servers and a direct client --------------------------------------------------------


@dataclass
class Side:
    """One Jupyter server with its own store and its copy of the project."""

    name: str
    server: JupyterProcess
    project: Project


def edit_locally(rng: random.Random, ledger: Ledger, side: Side, http: httpx.Client, r: int):
    """A few edits to files already safe in the cloud, and a new file."""
    root, pid = side.project.root, side.project.id
    there = cloud_listing(http, pid)
    here = local_tree(root)
    ledger.saw([*here, *there])
    cloud_sha = {p: listed_sha(http, pid, p, e) for p, e in there.items() if p in here}
    safe = sorted(
        p
        for p, data in here.items()
        if p.startswith("shared/") and p in there and cloud_sha[p] == sha(data)
    )
    for path in rng.sample(safe, k=min(len(safe), 2)):
        ledger.write_local(root, path, f"r{r} {side.name} edit", rng.randint(10, 3000))
    ledger.write_local(root, f"{side.name}/r{r}.txt", f"r{r} {side.name} new")
    if safe and rng.random() < 0.3:
        victim = rng.choice(safe)
        if (root / victim).is_file() and sha((root / victim).read_bytes()) == cloud_sha[victim]:
            (root / victim).unlink()


def edit_in_the_cloud(rng: random.Random, ledger: Ledger, url: str, pid: str, r: int) -> int:
    """The third client: careful edits (If-Match), a new file, sometimes a delete."""
    writes = 0
    with cloud_http(url) as http:
        listing = cloud_listing(http, pid)
        ledger.saw(listing)
        shared = sorted(p for p in listing if p.startswith("shared/"))
        for path in rng.sample(shared, k=min(len(shared), 2)):
            answer = ledger.put_remote(
                http,
                pid,
                path,
                f"r{r} cloud edit",
                rng.randint(10, 3000),
                **{"If-Match": listing[path]["file_version_id"]},
            )
            writes += answer.status_code in (200, 201)  # 412: a server got there first
        answer = ledger.put_remote(http, pid, f"cloud/r{r}.txt", f"r{r} cloud new")
        writes += answer.status_code in (200, 201)
        if shared and rng.random() < 0.3:
            path = rng.choice(shared)
            version = listing[path]["file_version_id"]
            answer = http.delete(f"/api/projects/{pid}/files/{path}", headers={"If-Match": version})
            writes += answer.status_code == 204
    return writes


async def two_servers_and_a_client(
    rounds: int, seed: int, launcher: Launcher, replica: Any, tmp_path: Path
) -> dict[str, Any]:
    rng = random.Random(seed)
    ledger = Ledger(random.Random(seed))
    problems: list[str] = []
    ends: Counter[str] = Counter()
    with cloud_http(replica.url) as http:
        cloud = create_cloud_project(http, "two servers")
        sides = []
        for name in ("a", "b"):
            home = tmp_path / f"server-{name}"
            db = home / "state" / "store.db"
            project = add_local_project(db, cloud, home / "project")
            server = launcher.start(
                home,
                db_path=db,
                cloud_url=replica.url,
                projects_root=home / "projects",
                server_name=f"server-{name}",
            )
            sides.append(Side(name, server, project))
        a, b = sides
        for i in range(8):
            ledger.write_local(a.project.root, f"shared/s{i}.txt", "first", rng.randint(10, 3000))
        for side in (a, b):
            first = await run_over_ws(side.server, side.project.id, "sync")
            assert first.unclean() is None and first.end is not None, first.messages
        cloud_writes = 0
        for r in range(rounds):
            for side in sides:
                edit_locally(rng, ledger, side, http, r)
            results = await asyncio.gather(
                *(run_over_ws(s.server, s.project.id, "sync", timeout=300) for s in sides),
                asyncio.to_thread(edit_in_the_cloud, rng, ledger, replica.url, cloud.id, r),
            )
            runs: list[WsRun] = list(results[:2])
            cloud_writes += results[2]
            for side, result in zip(sides, runs, strict=True):
                ends[_describe(result)] += 1
                if (why := result.unclean()) is not None:
                    problems.append(f"round {r} server {side.name}: {why}")
        # Quiet: sync both, in turn, until neither plans anything.
        quiet_after = None
        for attempt in range(8):
            planned = 0
            for side in sides:
                result = await run_over_ws(side.server, side.project.id, "sync", timeout=300)
                planned += max(result.planned(), 1 if result.end is None else 0)
                if (why := result.unclean()) is not None:
                    problems.append(f"settling, server {side.name}: {why}")
            if planned == 0:
                quiet_after = attempt
                break
        if quiet_after is None:
            problems.append("the two servers did not become quiet within 8 rounds of syncs")
        for side in sides:
            problems += [
                f"server {side.name} not converged: {p}"
                for p in convergence_problems(side.project.root, http, cloud.id)
            ]
            problems += [
                f"server {side.name}: {p}"
                for p in whole_version_problems(ledger, side.project.root, None, cloud.id)
            ]
        problems += whole_version_problems(ledger, None, http, cloud.id)
        roots = [s.project.root for s in sides]
        problems += [f"lost: {v}" for v in lost_versions(ledger, roots, http, cloud.id)]
        for side in sides:
            side.server.stop()
    return {
        "problems": problems,
        "rounds": rounds,
        "versions written": len(ledger.entries),
        "cloud client writes": cloud_writes,
        "runs": dict(ends),
        "quiet after": quiet_after,
    }


def _describe(result: WsRun) -> str:
    end = result.end
    if end is None:
        return "no end"
    if end["type"] == "failed":
        return f"failed {end['code']}"
    summary = end["summary"]
    return f"completed {summary['result']}" + " with conflicts" * bool(summary["conflicts"])


async def test_two_servers_and_a_cloud_client_converge(
    launcher: Launcher, replica: Any, tmp_path: Path
) -> None:
    figures = await two_servers_and_a_client(5, 31, launcher, replica, tmp_path)
    print({k: v for k, v in figures.items() if k != "problems"})
    assert not figures["problems"], "\n".join(map(str, [figures, *figures["problems"]]))


async def test_two_servers_and_a_cloud_client_converge_against_the_evidence_cloud(
    launcher: Launcher, evidence_replica: Any, tmp_path: Path
) -> None:
    """The same against a cloud that ignores If-Match: the servers check each file's
    version before writing it, so every race outside that moment is a conflict copy, and
    every version written survives (at worst as a cloud revision)."""
    figures = await two_servers_and_a_client(3, 33, launcher, evidence_replica, tmp_path)
    print({k: v for k, v in figures.items() if k != "problems"})
    assert not figures["problems"], "\n".join(map(str, [figures, *figures["problems"]]))


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_two_servers_and_a_cloud_client_converge_long(
    launcher: Launcher, dialect_replica: Any, tmp_path: Path
) -> None:
    figures = await two_servers_and_a_client(50, 32, launcher, dialect_replica, tmp_path)
    print({k: v for k, v in figures.items() if k != "problems"})
    assert not figures["problems"], "\n".join(map(str, [figures, *figures["problems"]]))


# --- the store under contention ------------------------------------------------------------


@pytest.fixture
def store(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    """A migrated store file with one project row (title "0"); (path, project id)."""
    path = tmp_path / "store.db"
    db = open_database(f"sqlite:///{path}")
    try:
        assert upgrade_if_needed(db.engine).outcome == "created"
        project = LocalProject(
            id="0b5e55ed-0000-4000-8000-000000000001",
            name="contended",
            title="0",
            owner_id="a11ce000-0000-4000-8000-000000000001",
            owner_type="user",
        )
        write_sync(db, project_store.insert_project, project)
    finally:
        close_database(db)
    yield path, project.id


def increment_loop(
    path: Path, pid: str, attempts: int, wins: list[tuple[int, int]], errors: list[str]
) -> int:
    """Read the row, write title+1 at the version read; returns how many were refused."""
    db = open_database(f"sqlite:///{path}")  # one engine per writer: like separate servers
    refused = 0
    try:
        for _ in range(attempts):
            seen = read_sync(db, project_store.get_project, pid)
            try:
                done = write_sync(
                    db,
                    project_store.update_project,
                    pid,
                    seen.version,
                    {"title": str(int(seen.title) + 1)},
                )
            except StaleVersion:
                refused += 1
                continue
            except Exception as exc:  # e.g. "database is locked"
                errors.append(f"{type(exc).__name__}: {exc}")
                continue
            wins.append((seen.version, int(seen.title)))
            if done.version != seen.version + 1 or int(done.title) != int(seen.title) + 1:
                errors.append(f"wrote {done} after reading {seen}")
    finally:
        close_database(db)
    return refused


def contend(path: Path, pid: str, writers: int, attempts: int) -> dict[str, Any]:
    wins: list[tuple[int, int]] = []
    errors: list[str] = []
    refused: list[int] = []
    barrier = threading.Barrier(writers)

    def writer() -> None:
        barrier.wait()
        refused.append(increment_loop(path, pid, attempts, wins, errors))

    threads = [threading.Thread(target=writer) for _ in range(writers)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    db = open_database(f"sqlite:///{path}")
    try:
        final = read_sync(db, project_store.get_project, pid)
    finally:
        close_database(db)
    assert not errors, errors[:5]
    # No lost update: every accepted write moved the row by exactly one, from what it read.
    assert final.version == 1 + len(wins)
    assert int(final.title) == len(wins)
    assert sorted(version for version, _ in wins) == list(range(1, 1 + len(wins)))
    assert all(title == version - 1 for version, title in wins)
    return {"writes": len(wins), "refused (stale)": sum(refused)}


def test_optimistic_locking_refuses_stale_writes_and_loses_none(
    store: tuple[Path, str],
) -> None:
    figures = contend(*store, writers=8, attempts=25)
    print(figures)
    assert figures["refused (stale)"] > 0  # the writers really raced


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_optimistic_locking_long(store: tuple[Path, str]) -> None:
    figures = contend(*store, writers=16, attempts=300)
    print(figures)
    assert figures["refused (stale)"] > 0


async def test_async_writers_through_one_server_store(store: tuple[Path, str]) -> None:
    """The same race through one server's worker pools (`read`/`write`, asyncio.gather)."""
    path, pid = store
    db = open_database(f"sqlite:///{path}")
    outcomes: Counter[str] = Counter()

    async def one() -> None:
        seen = await read(db, project_store.get_project, pid)
        await asyncio.sleep(0)
        try:
            await write(
                db,
                project_store.update_project,
                pid,
                seen.version,
                {"title": str(int(seen.title) + 1)},
            )
            outcomes["written"] += 1
        except StaleVersion:
            outcomes["stale"] += 1

    try:
        await asyncio.gather(*(one() for _ in range(200)))
        final = await read(db, project_store.get_project, pid)
    finally:
        close_database(db)
    assert outcomes["written"] + outcomes["stale"] == 200
    assert outcomes["stale"] > 0
    assert final.version == 1 + outcomes["written"] and int(final.title) == outcomes["written"]


# A second Jupyter server on the same store file (both default to the Jupyter data dir),
# as a separate process: it writes while this process reads and writes.
OTHER_SERVER = """
import json, sys
from aext_project_filebrowser_server.store import files as file_store
from aext_project_filebrowser_server.store.engine import close_database, open_database, write_sync
from aext_project_filebrowser_server.store.files import FileRecord

path, pid, writes = sys.argv[1], sys.argv[2], int(sys.argv[3])
db = open_database(f"sqlite:///{path}")
errors = []
for i in range(writes):
    rows = [FileRecord(path=f"other/f{(i * 7 + j) % 400:03}.txt", local_size=i) for j in range(20)]
    try:
        write_sync(db, file_store.save_files, pid, rows)
    except Exception as exc:
        errors.append(f"{type(exc).__name__}: {exc}")
close_database(db)
print(json.dumps(errors))
"""


def write_rows(path: Path, pid: str, writes: int, errors: list[str]) -> None:
    """This server's writer: batches of base rows, some deletes, one transaction each."""
    db = open_database(f"sqlite:///{path}")
    try:
        for i in range(writes):
            rows = [
                FileRecord(path=f"here/f{(i * 7 + j) % 400:03}.txt", local_size=i)
                for j in range(20)
            ]
            try:
                write_sync(db, file_store.save_files, pid, rows)
                if i % 10 == 0:
                    write_sync(db, file_store.delete_files, pid, [rows[0].path])
            except Exception as exc:
                errors.append(f"writer: {type(exc).__name__}: {exc}")
    finally:
        close_database(db)


def readers_and_writers(path: Path, pid: str, readers: int, writes: int) -> dict[str, int]:
    """Reader threads (own engines and a shared one), one writer thread, and a second
    server's writer process, all on one store file; every error is collected."""
    stop = threading.Event()
    errors: list[str] = []
    reads = Counter[str]()
    shared = open_database(f"sqlite:///{path}")

    def reader(db: Database, label: str) -> None:
        while not stop.is_set():
            try:
                read_sync(db, file_store.list_files, pid)
                read_sync(db, project_store.list_projects)
                reads[label] += 1
            except Exception as exc:
                errors.append(f"reader: {type(exc).__name__}: {exc}")

    def own_reader() -> None:
        db = open_database(f"sqlite:///{path}")
        try:
            reader(db, "reads (own engine)")
        finally:
            close_database(db)

    other = subprocess.Popen(
        [sys.executable, "-c", OTHER_SERVER, str(path), pid, str(writes)],
        stdout=subprocess.PIPE,
        text=True,
    )
    threads = [threading.Thread(target=own_reader) for _ in range(readers // 2)]
    threads += [
        threading.Thread(target=reader, args=(shared, "reads (shared engine)"))
        for _ in range(readers - readers // 2)
    ]
    writer = threading.Thread(target=write_rows, args=(path, pid, writes, errors))
    for thread in [*threads, writer]:
        thread.start()
    writer.join()
    out, _ = other.communicate(timeout=1200)
    stop.set()
    for thread in threads:
        thread.join()
    close_database(shared)
    errors += [f"other server: {e}" for e in json.loads(out)]
    assert other.returncode == 0
    assert not errors, errors[:5]
    return {**reads, "writes (this server)": writes, "writes (other server)": writes}


def test_sqlite_readers_and_writers_never_see_database_is_locked(
    store: tuple[Path, str],
) -> None:
    figures = readers_and_writers(*store, readers=4, writes=60)
    print(figures)
    assert all(figures.values())


@pytest.mark.slow
@pytest.mark.timeout(1800)
def test_sqlite_readers_and_writers_long(store: tuple[Path, str]) -> None:
    figures = readers_and_writers(*store, readers=8, writes=300)
    print(figures)
    assert all(figures.values())
