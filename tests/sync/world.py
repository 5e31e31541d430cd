"""An in-memory world for sync tests: a local folder, a cloud with revisions, a base, a trash.

`apply_plan` plays the executor: it checks every operation's preconditions (nothing changes
concurrently here, so a failed precondition is a planner bug) and returns a new world.
"""

from __future__ import annotations

import copy
import hashlib
from collections.abc import Collection, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone

from aext_project_filebrowser_server.services.sync.ignore import IgnoreRules, is_ignored
from aext_project_filebrowser_server.services.sync.plan import (
    Conflict,
    DeleteRemote,
    Direction,
    Download,
    DropBase,
    Operation,
    Plan,
    RecordBase,
    TrashLocal,
    Upload,
    plan_sync,
)
from aext_project_filebrowser_server.services.sync.states import (
    BaseFile,
    CloudFile,
    LocalFile,
    LocalSnapshot,
    RemoteListing,
)

NOW = datetime(2026, 11, 22, 14, 3, tzinfo=timezone.utc)
WHO = "alice"
WHERE = "lab-server"
LISTED_AT = datetime(2026, 11, 1, tzinfo=timezone.utc)


def sha(content: bytes) -> str:
    return hashlib.sha256(content).hexdigest()


@dataclass
class World:
    """Mutable on purpose (it is the simulator); `apply_plan` works on a deep copy."""

    local: dict[str, bytes] = field(default_factory=dict)
    remote: dict[str, str] = field(default_factory=dict)  # path -> current version id
    versions: dict[str, tuple[str, bytes]] = field(default_factory=dict)  # id -> (path, bytes)
    base: dict[str, BaseFile] = field(default_factory=dict)
    trash: list[tuple[str, bytes]] = field(default_factory=list)
    unreadable: frozenset[str] = frozenset()
    marker_present: bool = True
    listing_complete: bool = True
    next_version: int = 1000

    # --- building -----------------------------------------------------------------------

    def add_version(self, path: str, content: bytes, version_id: str | None = None) -> str:
        if version_id is None:
            version_id = f"v{self.next_version}"
            self.next_version += 1
        assert version_id not in self.versions, f"version {version_id} reused"
        self.versions[version_id] = (path, content)
        return version_id

    def set_base(self, path: str, version_id: str) -> None:
        _, content = self.versions[version_id]
        self.base[path] = BaseFile(path, sha(content), version_id, len(content), 1)

    # --- observing ----------------------------------------------------------------------

    def remote_content(self, path: str) -> bytes | None:
        version = self.remote.get(path)
        return None if version is None else self.versions[version][1]

    def revisions(self, path: str) -> Iterator[bytes]:
        return (content for p, content in self.versions.values() if p == path)

    def snapshot(self) -> LocalSnapshot:
        files = {
            path: LocalFile(path, len(content), 1, index, sha(content))
            for index, (path, content) in enumerate(sorted(self.local.items()))
            if path not in self.unreadable
        }
        return LocalSnapshot(files, self.marker_present, tuple(sorted(self.unreadable)))

    def listing(self) -> RemoteListing:
        files = {}
        for path, version in self.remote.items():
            content = self.versions[version][1]
            files[path] = CloudFile(
                path=path,
                size=len(content),
                sha256=sha(content),
                last_modified=LISTED_AT,
                file_version_id=version,
            )
        return RemoteListing(files, self.listing_complete)

    def plan(
        self,
        direction: Direction,
        rules: IgnoreRules,
        *,
        force: bool = False,
        paths: Collection[str] | None = None,
    ) -> Plan:
        return plan_sync(
            self.snapshot(),
            self.listing(),
            dict(self.base),
            direction=direction,
            force=force,
            rules=rules,
            now=NOW,
            who=WHO,
            where=WHERE,
            paths=paths,
        )


# --- the executor stand-in ------------------------------------------------------------------


def apply_plan(world: World, plan: Plan) -> World:
    """The world after every operation of `plan` ran successfully."""
    after = copy.deepcopy(world)
    for op in plan.operations:
        _apply(after, op)
    return after


def _local_sha(world: World, path: str) -> str | None:
    content = world.local.get(path)
    return None if content is None else sha(content)


def _upload(world: World, path: str, content: bytes, if_match: str | None) -> str:
    assert world.remote.get(path) == if_match, f"{path}: precondition failed in the cloud"
    version = world.add_version(path, content)
    world.remote[path] = version
    world.base[path] = BaseFile(path, sha(content), version, len(content), 1)
    return version


def _download(world: World, path: str, version: str, expect_local_sha256: str | None) -> None:
    assert world.remote.get(path) == version, f"{path}: cloud moved"
    assert _local_sha(world, path) == expect_local_sha256, f"{path}: local moved"
    content = world.versions[version][1]
    world.local[path] = content
    world.base[path] = BaseFile(path, sha(content), version, len(content), 1)


def _apply_upload(world: World, op: Upload) -> None:
    content = world.local[op.path]
    assert sha(content) == op.sha256 and len(content) == op.size
    _upload(world, op.path, content, op.if_match)


def _apply_download(world: World, op: Download) -> None:
    content = world.versions[op.version_id][1]
    assert sha(content) == op.sha256 and len(content) == op.size
    _download(world, op.path, op.version_id, op.expect_local_sha256)


def _apply_delete_remote(world: World, op: DeleteRemote) -> None:
    assert world.remote.get(op.path) == op.if_match
    del world.remote[op.path]  # the revision stays in `versions`: the cloud keeps history
    world.base.pop(op.path, None)


def _apply_trash_local(world: World, op: TrashLocal) -> None:
    assert _local_sha(world, op.path) == op.expect_local_sha256
    world.trash.append((op.path, world.local.pop(op.path)))
    world.base.pop(op.path, None)


def _apply_record_base(world: World, op: RecordBase) -> None:
    assert _local_sha(world, op.path) == op.sha256
    assert world.remote.get(op.path) == op.version_id
    assert sha(world.versions[op.version_id][1]) == op.sha256
    world.base[op.path] = BaseFile(op.path, op.sha256, op.version_id, op.size, op.mtime_ns)


def _apply_drop_base(world: World, op: DropBase) -> None:
    assert op.path not in world.local and op.path not in world.remote
    del world.base[op.path]


def _apply_conflict(world: World, op: Conflict) -> None:
    assert _local_sha(world, op.path) == op.local_sha256
    assert world.remote.get(op.path) == op.remote_version_id
    assert op.copy_path not in world.local and op.copy_path not in world.remote
    assert op.notebook == op.path.endswith(".ipynb")
    content = world.local.pop(op.path)
    world.local[op.copy_path] = content
    _upload(world, op.copy_path, content, None)
    _download(world, op.path, op.remote_version_id, None)


def _apply(world: World, op: Operation) -> None:
    match op:
        case Upload():
            _apply_upload(world, op)
        case Download():
            _apply_download(world, op)
        case DeleteRemote():
            _apply_delete_remote(world, op)
        case TrashLocal():
            _apply_trash_local(world, op)
        case RecordBase():
            _apply_record_base(world, op)
        case DropBase():
            _apply_drop_base(world, op)
        case Conflict():
            _apply_conflict(world, op)


# --- invariants -----------------------------------------------------------------------------


def lost_contents(before: World, after: World, plan: Plan) -> list[tuple[str, bytes]]:
    """Contents someone had before the plan that are nowhere to be found after it.

    Content is found at its path (locally or in any cloud revision of it), in a conflict copy
    of its path, or in the trash under its path.
    """
    copies: dict[str, list[str]] = {}
    for op in plan.operations:
        if isinstance(op, Conflict):
            copies.setdefault(op.path, []).append(op.copy_path)

    def kept(path: str, content: bytes) -> bool:
        places = [path, *copies.get(path, [])]
        return (path, content) in after.trash or any(
            after.local.get(p) == content or content in after.revisions(p) for p in places
        )

    had = [*before.local.items(), *before.versions.values()]
    return [(path, content) for path, content in had if not kept(path, content)]


def tracked_paths(world: World, rules: IgnoreRules) -> set[str]:
    paths = set(world.local) | set(world.remote) | set(world.base)
    return {p for p in paths if not is_ignored(rules, p)}


def divergent_paths(world: World, paths: Collection[str]) -> list[str]:
    """Paths whose local bytes, cloud bytes and base do not all agree."""
    return [path for path in sorted(paths) if not _settled(world, path)]


def _settled(world: World, path: str) -> bool:
    local, base = world.local.get(path), world.base.get(path)
    if local != world.remote_content(path):
        return False
    if local is None:
        return base is None
    return base is not None and (base.sha256, base.version_id) == (sha(local), world.remote[path])
