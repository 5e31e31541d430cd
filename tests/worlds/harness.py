"""Plays a `WorldSpec` with the real sync engine: a temp folder, the store, the replica.

`open_engine` builds what the extension builds at start-up (a migrated SQLite store, a cloud
client, an event bus, a sync registry) without Jupyter; the cloud client goes through
`WorldTransport`, which lets a world inject faults and edits at chosen requests. A second
client (alice, straight to the replica) plays the other people writing to the cloud.

`play_world` then: creates a cloud project and its folder; writes the base tree and either
syncs it until nothing is left to plan or records its base rows directly; makes the world's
changes on both sides; runs sync passes (at most `MAX_PASSES`) until a plan is empty, with
the first pass's faults and mid-sync edits; and checks the invariants:

- every pass ends without an exception and without an unexplained failure (with no fault
  injected, the only failures allowed are "changed during the sync, re-planned later");
- the passes converge: the folder and the cloud's current files hold the same bytes, the
  next plan is empty, no journal entry is left pending, ignored files are untouched and were
  never uploaded;
- nothing is lost: every content the folder held at the start of any pass or was written by
  the world is still at its path, in a conflict copy of it, in the project's trash, or among
  the cloud revisions of one of those paths; every cloud revision the world wrote or saw
  listed is still among its path's versions (checked in one world in VERIFY_REVISIONS_EVERY).
  A notebook merged with the other side's edits is kept when every cell of it is (its edited
  cells in the merge, the others in the revisions they came from). What the world itself
  overwrites or deletes in the folder is the user's to lose and leaves the ledger.

A failure raises `WorldFailure` whose message starts with the seed; the same seed replays the
same world (with one operation at a time wherever faults or mid-sync edits are involved, the
same requests in the same order too). Only time can differ: conflict copy names carry the
minute, and a file written less than 2 s before it was hashed is hashed again next time.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import json
import os
import shutil
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx

from aext_project_filebrowser_server.cloud.client import RetryPolicy, aclose, make_cloud_client
from aext_project_filebrowser_server.cloud.session import encode_file_path
from aext_project_filebrowser_server.context import AppContext, Settings
from aext_project_filebrowser_server.schemas.projects import CloudProject, local_from_cloud
from aext_project_filebrowser_server.services.errors import ServiceError
from aext_project_filebrowser_server.services.events import EventBus
from aext_project_filebrowser_server.services.running import SyncRegistry
from aext_project_filebrowser_server.services.sync.execute import SyncTarget, execute_plan
from aext_project_filebrowser_server.services.sync.file_names import display_name, name_key
from aext_project_filebrowser_server.services.sync.ignore import EXTENSION_FOLDER, is_ignored
from aext_project_filebrowser_server.services.sync.local_files import write_marker
from aext_project_filebrowser_server.services.sync.names import conflict_copy_path
from aext_project_filebrowser_server.services.sync.observe import Observation, observe_project
from aext_project_filebrowser_server.services.sync.plan import Plan, plan_sync
from aext_project_filebrowser_server.services.sync.run import load_project, make_plan, start_sync
from aext_project_filebrowser_server.services.sync.snapshot import marker_path, read_rules
from aext_project_filebrowser_server.services.sync.states import CloudFile
from aext_project_filebrowser_server.services.sync.unsyncable import blocked_keys, left_alone
from aext_project_filebrowser_server.services.write_guard import cloud_guards_writes
from aext_project_filebrowser_server.store import files as file_store
from aext_project_filebrowser_server.store import journal
from aext_project_filebrowser_server.store import projects as project_store
from aext_project_filebrowser_server.store.engine import close_database, open_database, read, write
from aext_project_filebrowser_server.store.files import FileRecord
from aext_project_filebrowser_server.store.migrate import upgrade_if_needed

from .generate import (
    MAX_PASSES,
    Change,
    Delete,
    PassSpec,
    WorldSpec,
    Write,
    is_notebook,
)
from .transport import Channel, WorldTransport

ALICE_KEY = "demo-alice-key"
WHO = "alice"
SERVER_NAME = "world-lab"
# Faults must be survivable quickly: a few attempts with millisecond waits.
RETRY = RetryPolicy(attempts=3, timeout=10.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0)
# The cloud revisions the world knows of are checked against the version listings (one
# request per path) in every VERIFY_REVISIONS_EVERY-th world; the others trust the replica to
# keep its history (its own tests prove it) and spend their time on the sync instead.
VERIFY_REVISIONS_EVERY = 8
# With nothing injected, an operation may only fail because a side changed under it.
STALE_CODES = frozenset({"local_changed", "remote_changed"})


class WorldFailure(AssertionError):
    """An invariant broke; the message starts with the seed that replays it."""


@dataclass
class Engine:
    """The sync engine (store, client, bus) plus alice's direct cloud client.

    `set_faults` sets the replica's fault spec ("" for none); without it (a worker process)
    only worlds without replica faults can be played.
    """

    ctx: AppContext
    transport: WorldTransport
    http: httpx.AsyncClient
    scratch: Path
    set_faults: Callable[[str], object] | None = None


async def open_engine(
    replica_url: str, scratch: Path, set_faults: Callable[[str], object] | None = None
) -> Engine:
    db_url = f"sqlite:///{scratch / 'store.db'}"
    db = open_database(db_url)
    migration = upgrade_if_needed(db.engine)
    assert migration.outcome != "failed", migration
    transport = WorldTransport()
    client = make_cloud_client(replica_url, ALICE_KEY, retry_policy=RETRY, transport=transport)
    settings = Settings(
        db_url=db_url,
        projects_root=scratch,
        cloud_url=replica_url,
        api_version="2023.11.28",
        cloud_configured=True,
        sync_concurrency=4,
        server_name=SERVER_NAME,
    )
    ctx = AppContext(settings, db, migration, client, EventBus(), SyncRegistry())
    http = httpx.AsyncClient(
        base_url=replica_url, headers={"Authorization": f"Bearer {ALICE_KEY}"}, timeout=30
    )
    return Engine(ctx, transport, http, scratch, set_faults)


async def close_engine(engine: Engine) -> None:
    await engine.ctx.syncs.cancel_all()
    await aclose(engine.ctx.cloud)
    await engine.transport.aclose()
    await engine.http.aclose()
    assert engine.ctx.db is not None
    close_database(engine.ctx.db)


@dataclass
class WorldReport:
    """What one world did (for the run's figures)."""

    seed: int
    passes: int = 0
    conflicts: int = 0
    merged_notebooks: int = 0
    forced: int = 0
    mid_sync_edits: int = 0
    replica_fault_passes: int = 0
    faults: Counter[str] = field(default_factory=Counter)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


# --- the trees --------------------------------------------------------------------------------


def local_tree(root: Path, *, moving: bool = False) -> dict[str, bytes]:
    """Every file in the folder but the extension's own, by relative posix path.
    `moving`: a sync may be running (an automatic one), so a file listed may be gone (moved
    to its conflict copy) by the time it is read: skip it."""
    tree = {}
    for folder, dirs, files in os.walk(root):
        dirs[:] = [d for d in dirs if d != EXTENSION_FOLDER]
        for name in files:
            path = Path(folder, name)
            try:
                tree[path.relative_to(root).as_posix()] = path.read_bytes()
            except FileNotFoundError:
                if not moving:
                    raise
    return tree


def trash_contents(root: Path) -> dict[str, set[str]]:
    """Hashes in the project's trash, by the path the file had (`.1` collision suffixes off)."""
    trash = root / EXTENSION_FOLDER / "trash"
    found: dict[str, set[str]] = {}
    if not trash.is_dir():
        return found
    for folder, _, files in os.walk(trash):
        for name in files:
            full = Path(folder, name)
            _, _, rel = full.relative_to(trash).as_posix().partition("/")  # drop the stamp
            while rel.endswith(".1"):
                rel = rel[:-2]
            found.setdefault(rel, set()).add(sha(full.read_bytes()))
    return found


def copies_of(path: str, paths: Iterable[str]) -> list[str]:
    """The conflict copies of `path` among `paths` (same folder, same stem and extension).
    Compared in NFC, as the sync names copies after the NFC form of the name. A name that
    is not UTF-8 has none: it is never synced, so it never conflicts."""
    if display_name(path) != path:
        return []
    template = conflict_copy_path(name_key(path), "w", "x", datetime(2000, 1, 1), ())
    folder, _, name = template.rpartition("/")
    prefix = (folder + "/" if folder else "") + name[: name.index(" (conflict, ")]
    extension = name[name.rindex(")") + 1 :]
    return sorted(
        p
        for p in paths
        if (key := name_key(p)).startswith(prefix + " (conflict, ")
        and key.endswith(extension)
        and "/" not in key[len(prefix) :]
    )


def notebook_cells(content: bytes) -> set[tuple[str, str, str]] | None:
    """The (id, type, source) of every cell, or None when `content` is not a notebook."""
    try:
        cells = json.loads(content)["cells"]
        return {
            (
                c.get("id", ""),
                c["cell_type"],
                "".join(c["source"]) if isinstance(c["source"], list) else c["source"],
            )
            for c in cells
        }
    except (ValueError, KeyError, TypeError):
        return None


# --- one world --------------------------------------------------------------------------------


class _World:
    """Plays one spec. A class: it holds the world's mutable ledger while the passes run."""

    def __init__(self, engine: Engine, spec: WorldSpec) -> None:
        self.engine, self.spec = engine, spec
        self.ctx = engine.ctx
        self.report = WorldReport(spec.seed)
        self.project_id = ""
        self.root = engine.scratch / f"w{spec.seed}-{uuid.uuid4().hex[:6]}"
        # (path, sha256) -> bytes: what the folder held at some point (pass starts, our writes)
        self.local_ledger: dict[tuple[str, str], bytes] = {}
        # (path, file_version_id) -> sha256: cloud revisions the world wrote or saw listed
        self.remote_ledger: dict[tuple[str, str], str] = {}
        self.observed: Observation | None = None  # from the last `check_plan`
        # Names on disk the world wrote and has not deleted or renamed since, and the keys
        # (`name_key`) it deleted in the cloud: a name may leave the folder (renamed, or
        # moved to the trash) only when the cloud deleted its file.
        self.local_names: set[str] = set()
        self.remote_deleted: set[str] = set()
        self.channel = Channel()
        self.phase = "setup"
        self._versions: dict[str, list[dict[str, Any]]] = {}

    def fail(self, message: str) -> WorldFailure:
        return WorldFailure(
            f"seed {self.spec.seed} ({self.phase}): {message}\n  world: {self.spec.describe()}"
        )

    # --- setting up -----------------------------------------------------------------------

    async def create_project(self) -> None:
        name = f"world-{self.spec.seed}-{uuid.uuid4().hex[:8]}"
        answer = await self.engine.http.post("/api/projects", json={"title": name, "name": name})
        assert answer.status_code == 201, answer.text
        cloud = CloudProject.model_validate(answer.json())
        self.project_id = cloud.id
        self.root.mkdir(parents=True)
        write_marker(marker_path(self.root), cloud.id)
        assert self.ctx.db is not None
        await write(
            self.ctx.db, project_store.insert_project, local_from_cloud(cloud, str(self.root))
        )
        self.channel = self.engine.transport.channel(cloud.id)

    async def seed_base(self) -> None:
        """Both sides hold the base tree and the store knows it, without a sync.

        Only the base rows are written (no stat cache), so the first snapshot hashes every
        file, as it would after the store was rebuilt.
        """
        tree = {**self.spec.base_remote, **self.spec.base_local}
        records = []
        for path, content in sorted(tree.items()):
            self.write_local(path, content)
            await self.put_remote(path, content)
            version = next(v for (p, v), d in self.remote_ledger.items() if p == path)
            records.append(
                FileRecord(
                    path=path,
                    base_sha256=sha(content),
                    base_version_id=version,
                    base_size=len(content),
                    base_mtime_ns=(self.root / path).stat().st_mtime_ns,
                )
            )
        assert self.ctx.db is not None
        await write(self.ctx.db, file_store.save_files, self.project_id, records)

    async def remove_project(self) -> None:
        """Forget the project locally (the cloud keeps it: the replica is thrown away whole)."""
        self.engine.transport.channels.pop(self.project_id, None)
        if not self.project_id:
            return
        assert self.ctx.db is not None
        await write(self.ctx.db, project_store.delete_project, self.project_id)
        await asyncio.to_thread(shutil.rmtree, self.root, True)

    # --- changing the world ---------------------------------------------------------------

    def _file_url(self, path: str) -> str:
        return f"/api/projects/{self.project_id}/files/{encode_file_path(path)}"

    async def put_remote(self, path: str, content: bytes) -> None:
        answer = await self.engine.http.put(
            self._file_url(path), files={"files": (path.rsplit("/", 1)[-1], content)}
        )
        if answer.status_code not in (200, 201):
            raise self.fail(f"the world could not PUT {path!r}: {answer.text}")
        self.remote_ledger[(path, answer.json()["file_version_id"])] = sha(content)

    async def delete_remote(self, path: str) -> None:
        self.remote_deleted.add(name_key(path))
        answer = await self.engine.http.delete(self._file_url(path))
        if answer.status_code not in (200, 204, 404):
            raise self.fail(f"the world could not DELETE {path!r}: {answer.text}")

    def write_local(self, path: str, content: bytes) -> None:
        target = self.root / path
        self.forget_local(path)
        target.parent.mkdir(parents=True, exist_ok=True)
        # Editors write in place or replace the file; the choice is part of the content. The
        # coarse mtime is set through the open file, not the name: an automatic sync may move
        # the file to its conflict copy the moment it is written.
        in_place = sha(os.fsencode(path) + content)[0] in "01234567"
        written = target if in_place else target.with_name(f".~world-{uuid.uuid4().hex}")
        with open(written, "wb") as file:
            file.write(content)
            file.flush()
            if self.spec.coarse_mtime:
                st = os.fstat(file.fileno())
                os.utime(file.fileno(), ns=(st.st_atime_ns, st.st_mtime_ns // 10**9 * 10**9))
        if not in_place:
            os.replace(written, target)
        self.local_ledger[(path, sha(content))] = content
        self.local_names.add(path)

    def delete_local(self, path: str) -> None:
        self.forget_local(path)
        self.local_names.discard(path)
        (self.root / path).unlink(missing_ok=True)

    def forget_local(self, path: str) -> None:
        """The world overwrites or deletes its own file: that content is the user's to lose."""
        try:
            old = (self.root / path).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            return
        self.local_ledger.pop((path, sha(old)), None)

    async def apply(self, changes: Iterable[Change]) -> None:
        pending = list(changes)
        while pending:
            change = pending.pop(0)
            if change.side == "local":
                nxt = pending[0] if pending else None
                if (
                    isinstance(change, Delete)
                    and isinstance(nxt, Write)
                    and nxt.side == "local"
                    and self._holds(change.path, nxt.content)
                    and not (self.root / nxt.path).exists()
                ):
                    pending.pop(0)  # a real rename: same inode, new name
                    (self.root / nxt.path).parent.mkdir(parents=True, exist_ok=True)
                    os.rename(self.root / change.path, self.root / nxt.path)
                    self.local_names.discard(change.path)
                    self.local_names.add(nxt.path)
                elif isinstance(change, Write):
                    self.write_local(change.path, change.content)
                else:
                    self.delete_local(change.path)
            elif isinstance(change, Write):
                await self.put_remote(change.path, change.content)
            else:
                await self.delete_remote(change.path)

    def _holds(self, path: str, content: bytes) -> bool:
        try:
            return (self.root / path).read_bytes() == content
        except OSError:
            return False

    # --- passes ---------------------------------------------------------------------------

    def record_local_state(self) -> None:
        for path, content in local_tree(self.root, moving=True).items():
            self.local_ledger[(path, sha(content))] = content

    def _hook(self, changes: tuple[Change, ...]) -> Any:
        async def hook() -> None:
            self.report.mid_sync_edits += len(changes)
            await self.apply(changes)

        return hook

    async def run_pass(self, spec: PassSpec, force: bool) -> None:
        self.record_local_state()
        hooks = {m.trigger: self._hook(m.changes) for m in spec.mid_sync if m.trigger > 0}
        before_execute = [m for m in spec.mid_sync if m.trigger == 0]
        self.channel.reset(spec.client_faults, hooks)
        faulty = spec.client_faults is not None or spec.replica_faults is not None
        settings = dataclasses.replace(self.ctx.settings, sync_concurrency=spec.concurrency)
        ctx = dataclasses.replace(self.ctx, settings=settings)
        if spec.replica_faults:
            assert self.engine.set_faults is not None, "replica faults need the replica"
            self.report.replica_fault_passes += 1
            await asyncio.to_thread(self.engine.set_faults, spec.replica_faults)
        try:
            if spec.mode == "run":
                await self._run(ctx, force, faulty)
            else:
                await self._plan_execute(ctx, spec, force, faulty, before_execute)
        finally:
            if spec.replica_faults and self.engine.set_faults is not None:
                await asyncio.to_thread(self.engine.set_faults, "")
            self.report.faults.update(self.channel.injected)
            self.channel.injected.clear()
            self.channel.faults = None
            await self.channel.run_remaining_hooks()
            for event in before_execute:  # a pass that stopped before executing
                await self._hook(event.changes)()
        self.report.passes += 1

    async def _run(self, ctx: AppContext, force: bool, faulty: bool) -> None:
        queue = ctx.events.subscribe()
        request_id = uuid.uuid4().hex
        try:
            running = await start_sync(
                ctx,
                project_id=self.project_id,
                direction="sync",
                request_id=request_id,
                force=force,
            )
            assert running.task is not None
            await running.task
            messages = []
            while not queue.empty():
                message = queue.get_nowait().message
                if message.get("request_id") == request_id:
                    messages.append(message)
        finally:
            ctx.events.unsubscribe(queue)
        last = messages[-1] if messages else {}
        if last.get("type") == "failed":
            code = last.get("code")
            if code == "internal_error" or not (faulty or code == "one_side_empty"):
                raise self.fail(f"the sync run failed: {last}")
            return
        if last.get("type") != "completed":
            raise self.fail(f"the sync run ended without `completed` or `failed`: {messages}")
        summary = last["summary"]
        self.report.conflicts += len([c for c in summary["conflicts"] if c["copy_path"]])
        self.report.merged_notebooks += len(summary["merged_notebooks"])
        unexplained = [f for f in summary["failures"] if f["code"] not in STALE_CODES]
        if unexplained and not faulty:
            raise self.fail(f"operations failed with nothing injected: {unexplained}")

    async def _plan_execute(
        self, ctx: AppContext, spec: PassSpec, force: bool, faulty: bool, before: list[Any]
    ) -> None:
        project = await load_project(ctx, self.project_id)
        try:
            plan = await make_plan(ctx, project, "sync", force=force, who=WHO)
        except ServiceError as exc:
            if faulty and exc.code == "cloud_unavailable":
                return
            raise self.fail(f"planning failed: {exc.code}: {exc.message}") from exc
        if plan.gate is not None:
            return
        for event in before:
            await self._hook(event.changes)()
        before.clear()
        assert ctx.db is not None
        # As `start_sync` decides: a cloud that ignores If-Match gets a check before writes.
        guarded = await cloud_guards_writes(ctx, self.project_id)
        target = SyncTarget(self.project_id, self.root, ctx.cloud, ctx.db, guarded)
        report = await execute_plan(target, plan, run_id=None, concurrency=spec.concurrency)
        self.report.conflicts += sum(1 for o in report.outcomes if o.conflict_copy)
        self.report.merged_notebooks += sum(1 for o in report.outcomes if o.merged_notebook)
        if report.failures and not faulty:
            failures = [(o.operation.path, o.code, o.error) for o in report.failures]
            raise self.fail(f"operations failed with nothing injected: {failures}")

    async def check_plan(self, force: bool) -> Plan:
        """What a sync would do now (nothing injected): `make_plan`, keeping the observation."""
        assert self.ctx.db is not None
        observation = await observe_project(self.ctx.db, self.ctx.cloud, self.project_id, self.root)
        if observation.remote_error is not None:
            raise self.fail(f"the cloud listing failed: {observation.remote_error}")
        self.observed = observation
        for item in observation.remote.files.values():
            # A cloud without listed hashes: the revision's bytes are checked by its path.
            self.remote_ledger.setdefault((item.path, item.file_version_id), item.sha256 or "")
        return plan_sync(
            observation.local,
            observation.remote,
            observation.base,
            direction="sync",
            force=force,
            rules=observation.rules,
            now=datetime.now(timezone.utc),
            who=WHO,
            where=SERVER_NAME,
        )

    async def converge(self, passes: tuple[PassSpec, ...]) -> None:
        force = False
        plan: Plan | None = None
        for spec in passes:
            await self.run_pass(spec, force)
            plan = await self.check_plan(force)
            if plan.gate is not None and plan.gate.forceable:
                force = True  # the user confirms the deletion, as the message asks
                self.report.forced += 1
                continue
            if plan.gate is None and not plan.operations:
                return
        assert plan is not None
        left = plan.gate or [(o.kind, o.path) for o in plan.operations]
        raise self.fail(f"no convergence within {len(passes)} passes; still planned: {left}")

    # --- the invariants -------------------------------------------------------------------

    async def versions(self, path: str) -> list[dict[str, Any]]:
        if path not in self._versions:
            answer = await self.engine.http.get(f"{self._file_url(path)}/versions")
            self._versions[path] = answer.json()["items"] if answer.status_code == 200 else []
        return self._versions[path]

    async def revision_bytes(self, path: str, version_id: str) -> bytes:
        answer = await self.engine.http.get(self._file_url(path), params={"version": version_id})
        if answer.is_redirect:  # presigned storage (the evidence dialect): without the key
            async with httpx.AsyncClient(timeout=30) as storage:
                answer = await storage.get(str(answer.url.join(answer.headers["Location"])))
        assert answer.status_code == 200, answer.text
        return answer.content

    async def cloud_sha(self, item: CloudFile) -> str:
        """The listed hash, or (a cloud that lists none) the hash of the bytes it serves."""
        if item.sha256 is not None:
            return item.sha256
        return sha(await self.revision_bytes(item.path, item.file_version_id))

    async def check(self) -> None:
        self.phase = "checking"
        assert self.observed is not None and self.ctx.db is not None
        tree = local_tree(self.root)
        rules = read_rules(self.root)
        observed = self.observed
        # Names one side cannot hold are left alone on both sides (`unsyncable`); the rest
        # is matched by NFC form, as the sync matches them.
        alone = blocked_keys(left_alone(observed.local, observed.remote, observed.base))
        visible = {p: c for p, c in tree.items() if not is_ignored(rules, p)}
        synced = {
            name_key(p): c for p, c in visible.items() if name_key(display_name(p)) not in alone
        }
        cloud = {k: f for k, f in observed.remote.files.items() if k not in alone}
        cloud_sha = {p: await self.cloud_sha(item) for p, item in cloud.items()}
        # Converged: the same files with the same bytes on both sides.
        differ = sorted(
            p
            for p in set(synced) | set(cloud)
            if p not in synced or p not in cloud or sha(synced[p]) != cloud_sha[p]
        )
        if differ:
            raise self.fail(f"the folder and the cloud differ at {differ}")
        for path, content in self.spec.ignored.items():
            if tree.get(path) != content or path in cloud:
                raise self.fail(f"the ignored file {path!r} was touched or uploaded")
        pending = await read(self.ctx.db, journal.pending_entries, self.project_id)
        if pending:
            raise self.fail(f"journal entries left pending: {pending}")
        trash = trash_contents(self.root)
        # Nothing renamed or trashed unless the other side deleted it.
        gone = sorted(
            p for p in self.local_names - set(tree) if name_key(p) not in self.remote_deleted
        )
        if gone:
            raise self.fail(f"files left their names though the cloud kept them: {gone}")
        trashed = sorted(p for p in trash if name_key(p) not in self.remote_deleted)
        if trashed:
            raise self.fail(f"moved to the trash though the cloud kept them: {trashed}")
        revisions = sorted(self.remote_ledger.items())
        known = {(path, digest) for (path, _), digest in revisions}
        lost = [
            (path, content[:80])
            for (path, digest), content in sorted(self.local_ledger.items())
            if not is_ignored(rules, path)
            and not await self._kept(path, digest, content, visible, trash, known)
        ]
        if lost:
            raise self.fail(f"contents lost: {lost}")
        if self.spec.seed % VERIFY_REVISIONS_EVERY:
            return
        # Every revision the world wrote or saw listed is still among its path's versions.
        for (path, version_id), _ in revisions:
            current = cloud.get(path)
            if current is not None and current.file_version_id == version_id:
                continue
            if version_id not in {v["file_version_id"] for v in await self.versions(path)}:
                raise self.fail(f"cloud revision {version_id} of {path!r} is gone")

    async def _kept(
        self,
        path: str,
        digest: str,
        content: bytes,
        tree: dict[str, bytes],
        trash: dict[str, set[str]],
        known: set[tuple[str, str]],
    ) -> bool:
        """At its path, in a conflict copy of it, in the trash, or in a cloud revision."""
        places = [path, *copies_of(path, tree)]
        if any(p in tree and sha(tree[p]) == digest for p in places):
            return True
        if any(digest in trash.get(p, ()) or (p, digest) in known for p in places):
            return True
        for place in places:
            if any(v["sha256"] == digest for v in await self.versions(place)):
                return True
        if not is_notebook(path):
            return False
        return await self._cells_kept(content, places, tree)

    async def _cells_kept(self, content: bytes, places: list[str], tree: dict[str, bytes]) -> bool:
        """A merged notebook: each of its cells survives in some version of its path."""
        cells = notebook_cells(content)
        if cells is None:
            return False
        found: set[tuple[str, str, str]] = set()
        for place in places:
            found |= notebook_cells(tree.get(place, b"")) or set()
            for version in await self.versions(place):
                if not version.get("deleted"):
                    raw = await self.revision_bytes(place, version["file_version_id"])
                    found |= notebook_cells(raw) or set()
        return cells <= found


async def play_world(
    engine: Engine, spec: WorldSpec, world_type: Callable[[Engine, WorldSpec], _World] = _World
) -> WorldReport:
    """Play one world and check its invariants; raises `WorldFailure` naming the seed.
    `world_type`: a variant of the world (see `auto.py`)."""
    world = world_type(engine, spec)
    try:
        await world.create_project()
        world.phase = "base"
        for path, content in spec.ignored.items():
            world.write_local(path, content)
        if spec.first_sync:
            for path, content in spec.base_local.items():
                world.write_local(path, content)
            for path, content in spec.base_remote.items():
                await world.put_remote(path, content)
            await world.converge(tuple(PassSpec("run", 4) for _ in range(MAX_PASSES)))
        else:
            await world.seed_base()
        world.phase = "changes"
        await world.apply(spec.changes)
        await world.converge(spec.passes)
        await world.check()
    except WorldFailure:
        raise
    except Exception as exc:
        raise world.fail(f"{type(exc).__name__}: {exc}") from exc
    await world.remove_project()
    return world.report


async def play_worlds(
    engine: Engine,
    specs: Iterable[WorldSpec],
    *,
    parallel: int = 4,
    max_failures: int = 20,
    world_type: Callable[[Engine, WorldSpec], _World] = _World,
) -> tuple[list[WorldReport], list[WorldFailure]]:
    """Play many worlds, `parallel` at a time; worlds with replica faults run alone, last."""
    reports: list[WorldReport] = []
    failures: list[WorldFailure] = []
    shared: list[WorldSpec] = []
    alone: list[WorldSpec] = []
    for spec in specs:
        (alone if spec.exclusive else shared).append(spec)
    gate = asyncio.Semaphore(parallel)

    async def one(spec: WorldSpec) -> None:
        async with gate:
            if len(failures) >= max_failures:
                return
            try:
                reports.append(await play_world(engine, spec, world_type))
            except WorldFailure as failure:
                failures.append(failure)

    await asyncio.gather(*(one(spec) for spec in shared))
    for spec in alone:
        await one(spec)
    return reports, failures


def figures(reports: list[WorldReport], seconds: float) -> str:
    faults: Counter[str] = Counter()
    for r in reports:
        faults.update(r.faults)
    return (
        f"{len(reports)} worlds in {seconds:.1f} s ({len(reports) / max(seconds, 1e-9):.1f}/s): "
        f"{sum(r.passes for r in reports)} sync passes, "
        f"{sum(r.conflicts for r in reports)} conflict copies, "
        f"{sum(r.merged_notebooks for r in reports)} merged notebooks, "
        f"{sum(r.mid_sync_edits for r in reports)} mid-sync edits, "
        f"{sum(r.forced for r in reports)} forced passes, "
        f"{sum(r.replica_fault_passes for r in reports)} passes with replica faults, "
        f"client faults injected {dict(sorted(faults.items()))}"
    )
