"""The sync planner: a pure function from three states to a list of operations.

`plan_sync` compares, path by path, the local snapshot, the cloud listing and the base (the
last state both sides agreed on), classifies each path into a DESIGN §5 row with
`status.classify` (the same classification the REST status uses) and turns the row into at
most one operation. It reads no clock and touches no file: the executor performs the plan.

How the executor must read each operation (every one carries preconditions; when one does
not hold, skip the operation, keep the base as it is and re-plan later):

- `Upload`: re-hash the local file while sending it; abort if it is no longer `sha256`.
  Send `If-Match: <if_match>`, or `If-None-Match: *` when `if_match` is None (a new file in
  the cloud). A 412 means the cloud moved on: skip. On success the base becomes
  (sha256, returned file_version_id, size, local mtime_ns).
- `Download`: fetch `version_id` into a temp file in the project's `.aext-project/` folder
  (same file system), verify the sha256 when the cloud listed one (else hash what came),
  fsync, then re-check the local path right before
  the atomic rename: it must still hash to `expect_local_sha256`, or still be absent when that
  is None. The base becomes (sha256, version_id, size, new mtime_ns).
- `DeleteRemote`: `DELETE` with `If-Match: <if_match>`; on success drop the base.
- `TrashLocal`: if the local file still hashes to `expect_local_sha256`, move it into the
  project's trash (never unlink); drop the base.
- `RecordBase`: both sides already hold `sha256`; write the base row, transfer nothing.
- `DropBase`: the path is gone on both sides; delete the base row.
- `Conflict`: the cloud keeps `path`. A notebook-merge step may first try a three-way merge
  (base `base_version_id`, ours = local file, theirs = `remote_version_id`) and, if it
  succeeds, upload the merge with `If-Match: remote_version_id` and write it locally. Otherwise:
  move the local file (still `local_sha256`) to `copy_path` (which must not exist), upload it
  there with `If-None-Match: *`, then download `remote_version_id` to `path` (expecting it
  absent) and record both bases. When the cloud listed no hash (`remote_sha256` None) the
  executor first downloads the remote version: holding the local bytes, it only records the
  base (equal bytes are never a conflict). A crash between the steps is safe: the next plan
  sees a new local copy to upload and a deleted local `path` whose cloud version wins.

Directions: `sync` does every row. `push` only writes the cloud (uploads, cloud deletes) and
`pull` only writes the local folder (downloads, moves to trash); both may also record or drop
base rows, which transfer nothing. What a direction may not do is reported in `skipped` with
a reason (a file changed on both sides: "changed on both sides; run sync"). Ignored paths get
no operation and are never deleted on the other side; unreadable local files are skipped.

Names (`file_names`, `unsyncable`): paths are matched by their NFC form; an operation's
`path` is the cloud's name (the NFC key when the cloud has none) and `local_path`, when set,
the name on disk, which every local step uses, so a file is never renamed for its Unicode
form. Names one side cannot hold are skipped with their reason and their paths get no
operation on either side.

Safety gates (a `GateTrip` empties the plan): `remote_listing_incomplete` and
`local_folder_missing` always apply; `one_side_empty` and `mass_delete` (more than half of
the tracked files and more than `MASS_DELETE_MIN_FILES` deleted on one side) yield to
`force`. `one_side_empty` looks at the whole project; `mass_delete` at the planned deletions.

The plan is deterministic (paths in sorted order) and idempotent: planning again right after
the plan succeeded yields no operations.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Collection, Iterable, Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Literal, NamedTuple, TypeVar, get_args

from .ignore import IgnoreRules, is_ignored
from .names import conflict_copy_path
from .states import BaseFile, CloudFile, LocalFile, LocalSnapshot, RemoteListing
from .status import SyncCase, classify
from .unsyncable import blocked_keys, left_alone

__all__ = [
    "MASS_DELETE_MIN_FILES",
    "Conflict",
    "DeleteRemote",
    "Direction",
    "Download",
    "DropBase",
    "GateCode",
    "GateTrip",
    "Operation",
    "OperationKind",
    "Plan",
    "PlanSummary",
    "RecordBase",
    "Skipped",
    "TrashLocal",
    "Upload",
    "on_disk",
    "plan_sync",
]

Direction = Literal["push", "pull", "sync"]
OperationKind = Literal[
    "upload", "download", "delete_remote", "trash_local", "record_base", "drop_base", "conflict"
]
GateCode = Literal[
    "remote_listing_incomplete", "local_folder_missing", "one_side_empty", "mass_delete"
]

# A mass delete needs more than half of the tracked files AND more than this many.
MASS_DELETE_MIN_FILES = 10


@dataclass(frozen=True, slots=True, kw_only=True)
class Upload:
    """Send the local file to the cloud; `if_match=None` means `If-None-Match: *`."""

    kind: Literal["upload"] = field(default="upload", init=False)
    path: str
    size: int
    sha256: str
    if_match: str | None
    reason: str
    local_path: str | None = None  # the name on disk when it is not `path` (NFD, case)


@dataclass(frozen=True, slots=True, kw_only=True)
class Download:
    """Replace the local file with cloud version `version_id` (temp file, verify, rename)."""

    kind: Literal["download"] = field(default="download", init=False)
    path: str
    version_id: str
    sha256: str | None  # None: the cloud listed no hash; the executor hashes what it gets
    size: int  # 0 when the cloud listed no size
    expect_local_sha256: str | None
    reason: str
    local_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DeleteRemote:
    """Delete the cloud file if it is still version `if_match` (revisions stay in the cloud)."""

    kind: Literal["delete_remote"] = field(default="delete_remote", init=False)
    path: str
    if_match: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class TrashLocal:
    """Move the local file to the project's trash if it still hashes to the expected value."""

    kind: Literal["trash_local"] = field(default="trash_local", init=False)
    path: str
    expect_local_sha256: str
    reason: str
    local_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class RecordBase:
    """Both sides hold the same bytes: write the base row, transfer nothing."""

    kind: Literal["record_base"] = field(default="record_base", init=False)
    path: str
    sha256: str
    version_id: str
    size: int
    mtime_ns: int
    reason: str
    local_path: str | None = None


@dataclass(frozen=True, slots=True, kw_only=True)
class DropBase:
    """The path is gone on both sides: forget its base row."""

    kind: Literal["drop_base"] = field(default="drop_base", init=False)
    path: str
    reason: str


@dataclass(frozen=True, slots=True, kw_only=True)
class Conflict:
    """Both sides changed to different bytes: the cloud keeps `path`, local goes to a copy."""

    kind: Literal["conflict"] = field(default="conflict", init=False)
    path: str
    copy_path: str
    local_sha256: str
    local_size: int
    remote_version_id: str
    remote_sha256: str | None  # None: unlisted; the executor compares what it downloads
    remote_size: int
    base_version_id: str | None
    notebook: bool
    reason: str
    local_path: str | None = None


Operation = Upload | Download | DeleteRemote | TrashLocal | RecordBase | DropBase | Conflict


def on_disk(op: Operation) -> str:
    """The name of the operation's file in the project folder."""
    return getattr(op, "local_path", None) or op.path


@dataclass(frozen=True, slots=True)
class Skipped:
    """A path with a change this plan leaves alone, and why (shown to the user)."""

    path: str
    reason: str


@dataclass(frozen=True, slots=True)
class GateTrip:
    """A safety gate refused the whole plan. `forceable`: re-running with force passes it."""

    code: GateCode
    message: str
    forceable: bool


@dataclass(frozen=True, slots=True)
class PlanSummary:
    """Counts per operation kind (every kind present) and the bytes each way."""

    counts: Mapping[OperationKind, int]
    upload_bytes: int
    download_bytes: int
    skipped: int


@dataclass(frozen=True, slots=True)
class Plan:
    """What one sync run will do. When `gate` is set, `operations` is empty."""

    operations: tuple[Operation, ...]
    skipped: tuple[Skipped, ...] = ()
    gate: GateTrip | None = None

    def summary(self) -> PlanSummary:
        counts = Counter(op.kind for op in self.operations)
        return PlanSummary(
            counts={kind: counts[kind] for kind in get_args(OperationKind)},
            upload_bytes=sum(_upload_bytes(op) for op in self.operations),
            download_bytes=sum(_download_bytes(op) for op in self.operations),
            skipped=len(self.skipped),
        )


def plan_sync(
    local: LocalSnapshot,
    remote: RemoteListing,
    base: Mapping[str, BaseFile],
    *,
    direction: Direction,
    force: bool,
    rules: IgnoreRules,
    now: datetime,
    who: str,
    where: str,
    paths: Collection[str] | None = None,
) -> Plan:
    """Plan a `push` (local → cloud), `pull` (cloud → local) or two-way `sync`.

    `force` passes the forceable gates (`one_side_empty`, `mass_delete`) only. `paths`
    restricts the plan to those files and folders (None: the whole project). `who`, `where`
    and `now` name conflict copies.
    """
    alone = left_alone(local, remote, base)
    everything = frozenset(local.files) | set(remote.files) | set(base) | set(local.unreadable)
    visible = frozenset(p for p in everything if not is_ignored(rules, p))
    tracked = len(visible.intersection(base))
    gate = _gate_on_states(local, remote, visible, tracked, force)
    if gate is not None:
        return Plan(operations=(), gate=gate)
    scope = _scope(paths)
    planned = sorted(visible if scope is None else (p for p in visible if _in_scope(p, scope)))
    unreadable = frozenset(local.unreadable)
    untouched = unreadable | blocked_keys(alone)
    states = (
        _PathState(p, local.files.get(p), remote.files.get(p), base.get(p))
        for p in planned
        if p not in untouched
    )
    naming = _ConflictNaming(who, where, now, taken=everything)
    operations, blocked = _decide(states, direction, naming)
    gate = _gate_on_deletions(operations, tracked, force)
    if gate is not None:
        return Plan(operations=(), gate=gate)
    skipped = [Skipped(p, _UNREADABLE_REASON) for p in planned if p in unreadable]
    skipped += [
        Skipped(name, reason)
        for name, reason in alone.items()
        if not is_ignored(rules, name) and _in_scope(name, scope)
    ]
    return Plan(
        operations=tuple(operations), skipped=tuple(sorted([*skipped, *blocked], key=_by_path))
    )


# --- per-path decisions ---------------------------------------------------------------------

_Side = Literal["none", "local", "remote", "both"]
_ALLOWED_SIDES: Mapping[Direction, frozenset[_Side]] = {
    "push": frozenset({"none", "remote"}),
    "pull": frozenset({"none", "local"}),
    "sync": frozenset({"none", "local", "remote", "both"}),
}
_UNREADABLE_REASON = "the local file could not be read; it is left alone on both sides"


class _PathState(NamedTuple):  # one per planned path: a tuple is cheap to build (states.py)
    path: str  # the key: the NFC form of the name (see `file_names.name_key`)
    local: LocalFile | None
    remote: CloudFile | None
    base: BaseFile | None


def _cloud_path(state: _PathState) -> str:
    """The name the cloud has for the file, else the key (a new file is uploaded in NFC)."""
    return state.remote.path if state.remote is not None else state.path


def _local_path(state: _PathState) -> str | None:
    """The name on disk when it differs from the operation's path, else None."""
    if state.local is None or state.local.path == _cloud_path(state):
        return None
    return state.local.path


@dataclass(frozen=True, slots=True)
class _ConflictNaming:
    who: str
    where: str
    now: datetime
    taken: frozenset[str]  # every path in use before this plan names any copy


@dataclass(frozen=True, slots=True)
class _Action:
    """What a DESIGN §5 row does: which side it writes, the operation, the skip reason."""

    writes: _Side
    build: Callable[[_PathState], Operation | None]
    skip_reason: str = ""


def _decide(
    states: Iterable[_PathState], direction: Direction, naming: _ConflictNaming
) -> tuple[list[Operation], list[Skipped]]:
    operations: list[Operation] = []
    skipped: list[Skipped] = []
    taken = set(naming.taken)  # grows as copies are named, so two copies never share a name
    for state in states:
        action = _ACTIONS[classify(state.local, state.remote, state.base)]
        if action.writes not in _ALLOWED_SIDES[direction]:
            skipped.append(Skipped(state.path, action.skip_reason))
        elif action.writes == "both":
            copy_path = conflict_copy_path(state.path, naming.who, naming.where, naming.now, taken)
            taken.add(copy_path)
            operations.append(_conflict(state, copy_path))
        else:
            operation = action.build(state)
            if operation is not None:
                operations.append(operation)
    return operations, skipped


_T = TypeVar("_T")


def _present(value: _T | None) -> _T:
    if value is None:  # classify() guarantees the side exists for the rows that use it
        raise ValueError("planner invariant broken: a side the row needs is missing")
    return value


def _nothing(state: _PathState) -> None:
    return None


def _upload_as(
    if_match: Callable[[_PathState], str | None], reason: str
) -> Callable[[_PathState], Upload]:
    def build(state: _PathState) -> Upload:
        local = _present(state.local)
        return Upload(
            path=_cloud_path(state),
            size=local.size,
            sha256=local.sha256,
            if_match=if_match(state),
            reason=reason,
            local_path=_local_path(state),
        )

    return build


def _download_as(reason: str, *, replace_local: bool) -> Callable[[_PathState], Download]:
    def build(state: _PathState) -> Download:
        remote = _present(state.remote)
        return Download(
            path=remote.path,
            version_id=remote.file_version_id,
            sha256=remote.sha256,
            size=remote.size or 0,
            expect_local_sha256=_present(state.local).sha256 if replace_local else None,
            reason=reason,
            local_path=_local_path(state),
        )

    return build


def _record_base_as(reason: str) -> Callable[[_PathState], RecordBase]:
    def build(state: _PathState) -> RecordBase:
        # Every row that records a base has the local bytes equal to the listed remote hash.
        local, remote = _present(state.local), _present(state.remote)
        return RecordBase(
            path=remote.path,
            sha256=local.sha256,
            version_id=remote.file_version_id,
            size=local.size,
            mtime_ns=local.mtime_ns,
            reason=reason,
            local_path=_local_path(state),
        )

    return build


def _delete_remote(state: _PathState) -> DeleteRemote:
    return DeleteRemote(
        path=_present(state.remote).path,
        if_match=_present(state.remote).file_version_id,
        reason="deleted locally",
    )


def _trash_local(state: _PathState) -> TrashLocal:
    return TrashLocal(
        path=_cloud_path(state),
        expect_local_sha256=_present(state.local).sha256,
        reason="deleted in the cloud; the local file goes to the project's trash",
        local_path=_local_path(state),
    )


def _drop_base(state: _PathState) -> DropBase:
    return DropBase(path=state.path, reason="deleted on both sides")


def _conflict(state: _PathState, copy_path: str) -> Conflict:
    local, remote = _present(state.local), _present(state.remote)
    return Conflict(
        path=remote.path,
        copy_path=copy_path,
        local_sha256=local.sha256,
        local_size=local.size,
        remote_version_id=remote.file_version_id,
        remote_sha256=remote.sha256,
        remote_size=remote.size or 0,
        base_version_id=state.base.version_id if state.base is not None else None,
        notebook=state.path.endswith(".ipynb"),
        reason="changed on both sides; the cloud keeps the path, the local edit goes to a copy",
        local_path=_local_path(state),
    )


def _current_version(state: _PathState) -> str | None:
    return _present(state.remote).file_version_id


def _no_version(state: _PathState) -> None:
    return None


_BOTH_SIDES = "changed on both sides; run sync"

_ACTIONS: Mapping[SyncCase, _Action] = {
    "unchanged": _Action("none", _nothing),
    "remote_touched": _Action(
        "none", _record_base_as("new cloud version with unchanged content; recording it")
    ),
    "local_modified": _Action(
        "remote",
        _upload_as(_current_version, "changed locally"),
        "changed locally; push or sync to upload it",
    ),
    "remote_modified": _Action(
        "local",
        _download_as("changed in the cloud", replace_local=True),
        "changed in the cloud; pull or sync to download it",
    ),
    "both_modified_equal": _Action(
        "none", _record_base_as("changed on both sides to the same content")
    ),
    "both_modified_differ": _Action("both", _nothing, _BOTH_SIDES),
    "local_deleted": _Action(
        "remote", _delete_remote, "deleted locally; push or sync to delete it in the cloud"
    ),
    "remote_deleted": _Action(
        "local", _trash_local, "deleted in the cloud; pull or sync to move the local file to trash"
    ),
    "local_deleted_remote_modified": _Action(
        "local",
        _download_as(
            "deleted locally but changed in the cloud; the edit wins", replace_local=False
        ),
        "deleted locally but changed in the cloud; pull or sync to restore it (the edit wins)",
    ),
    "local_modified_remote_deleted": _Action(
        "remote",
        _upload_as(_no_version, "changed locally but deleted in the cloud; the edit wins"),
        "changed locally but deleted in the cloud; push or sync to upload it (the edit wins)",
    ),
    "both_deleted": _Action("none", _drop_base),
    "local_added": _Action(
        "remote", _upload_as(_no_version, "new locally"), "new locally; push or sync to upload it"
    ),
    "remote_added": _Action(
        "local",
        _download_as("new in the cloud", replace_local=False),
        "new in the cloud; pull or sync to download it",
    ),
    "both_added_equal": _Action(
        "none", _record_base_as("added on both sides with the same content")
    ),
    "both_added_differ": _Action("both", _nothing, _BOTH_SIDES),
}


# --- scope ----------------------------------------------------------------------------------


def _scope(paths: Collection[str] | None) -> tuple[str, ...] | None:
    """Normalised scope entries; None (or an entry naming the project root) is everything."""
    if paths is None:
        return None
    entries = tuple(p.strip("/") for p in paths)
    return None if "" in entries or "." in entries else entries


def _in_scope(path: str, scope: tuple[str, ...] | None) -> bool:
    return scope is None or any(path == s or path.startswith(s + "/") for s in scope)


# --- safety gates ---------------------------------------------------------------------------


def _gate_on_states(
    local: LocalSnapshot,
    remote: RemoteListing,
    visible: frozenset[str],
    tracked: int,
    force: bool,
) -> GateTrip | None:
    """The gates that look at the states themselves, before any decision.

    `visible` holds every path that is not ignored; `tracked` counts the visible base entries.
    """
    if not remote.complete:
        return GateTrip(
            "remote_listing_incomplete",
            "The cloud file listing failed or is incomplete; nothing was changed. Try again.",
            forceable=False,
        )
    if not local.marker_present and tracked:
        return GateTrip(
            "local_folder_missing",
            f"The project folder's marker is missing although {tracked} files were synced "
            "before: the folder may be unmounted, moved or replaced. Nothing was changed.",
            forceable=False,
        )
    local_count = (
        len(visible.intersection(local.files))
        + len(visible.intersection(local.unreadable))
        + len(local.unsyncable)
    )
    remote_count = len(visible.intersection(remote.files)) + len(remote.unsyncable)
    if force or not tracked or (local_count == 0) == (remote_count == 0):
        return None
    empty_side = "project folder" if local_count == 0 else "cloud project"
    return GateTrip(
        "one_side_empty",
        f"The {empty_side} has no files although {tracked} files were synced before. "
        "Nothing was changed; sync again with force to propagate the deletion.",
        forceable=True,
    )


def _gate_on_deletions(
    operations: Iterable[Operation], tracked: int, force: bool
) -> GateTrip | None:
    """Refuse a plan that deletes most of the project on one side, unless forced."""
    if force:
        return None
    kinds = Counter(op.kind for op in operations)
    deletions: tuple[tuple[OperationKind, str], ...] = (
        ("delete_remote", "in the cloud"),
        ("trash_local", "locally"),
    )
    for kind, side in deletions:
        deleted = kinds[kind]
        if deleted > MASS_DELETE_MIN_FILES and 2 * deleted > tracked:
            return GateTrip(
                "mass_delete",
                f"{deleted} of {tracked} synced files would be deleted {side}. "
                "Nothing was changed; sync again with force to confirm.",
                forceable=True,
            )
    return None


# --- summary helpers ------------------------------------------------------------------------


def _by_path(skipped: Skipped) -> str:
    return skipped.path


def _upload_bytes(op: Operation) -> int:
    if isinstance(op, Upload):
        return op.size
    return op.local_size if isinstance(op, Conflict) else 0


def _download_bytes(op: Operation) -> int:
    if isinstance(op, Download):
        return op.size
    return op.remote_size if isinstance(op, Conflict) else 0
