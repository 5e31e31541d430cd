"""Per-file sync status: the one classification that the REST API and the planner share.

Each side is compared only with the base (the last state both sides agreed on), so clocks
never decide direction:

- local changed  = the local sha256 differs from the base sha256;
- remote changed = the remote `file_version_id` differs from the base version AND the remote
  sha256 differs from the base sha256. A new version holding the base's bytes ("touched", for
  instance re-uploaded by another client) is unchanged content: its status is `synced` and
  the planner only records the new version id in the base. A cloud that lists no hash (the
  real product's file model has none) makes every new version id a change; a file changed
  on both sides is then a `conflict` until the executor has compared the downloaded bytes.

`classify` names the row of DESIGN §5 a path is in (a `SyncCase`); `file_status` maps it to
the coarser `FileStatus` users see:

| case                          | status           | note                                     |
|-------------------------------|------------------|------------------------------------------|
| unchanged, remote_touched     | synced           |                                          |
| local_modified                | modified_local   |                                          |
| remote_modified               | modified_remote  |                                          |
| both_modified_equal           | synced           | planner records the new base             |
| both_modified_differ          | conflict         |                                          |
| local_deleted                 | deleted_local    |                                          |
| remote_deleted                | deleted_remote   |                                          |
| local_deleted_remote_modified | modified_remote  | edit wins: the cloud copy comes back     |
| local_modified_remote_deleted | modified_local   | edit wins: uploaded again as a new file  |
| both_deleted                  | synced           | nothing left; the planner drops the base |
| local_added                   | new_local        |                                          |
| remote_added                  | new_remote       |                                          |
| both_added_equal              | synced           | planner records the base                 |
| both_added_differ             | conflict         |                                          |

`ignored` comes from the project's ignore rules (`path_status`, `project_statuses`), not from
the three states; `unsyncable` from the names one side cannot hold (`unsyncable.left_alone`,
in `project_statuses`), whose paths get no other status. A path absent from all three
states has no status (`ValueError`); an unreadable local file has none either (`path_status`
answers None).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from ...schemas.files import FileStatus
from .ignore import IgnoreRules, is_ignored
from .states import BaseFile, CloudFile, LocalFile, LocalSnapshot, RemoteListing
from .unsyncable import blocked_keys, left_alone

__all__ = [
    "FileStatus",
    "IncompleteListing",
    "SyncCase",
    "classify",
    "file_status",
    "path_status",
    "project_statuses",
]


SyncCase = Literal[
    "unchanged",
    "remote_touched",
    "local_modified",
    "remote_modified",
    "both_modified_equal",
    "both_modified_differ",
    "local_deleted",
    "remote_deleted",
    "local_deleted_remote_modified",
    "local_modified_remote_deleted",
    "both_deleted",
    "local_added",
    "remote_added",
    "both_added_equal",
    "both_added_differ",
]

_LocalChange = Literal["unchanged", "modified", "deleted"]
_RemoteChange = Literal["unchanged", "touched", "modified", "deleted"]

_STATUS_OF_CASE: Mapping[SyncCase, FileStatus] = {
    "unchanged": "synced",
    "remote_touched": "synced",
    "local_modified": "modified_local",
    "remote_modified": "modified_remote",
    "both_modified_equal": "synced",
    "both_modified_differ": "conflict",
    "local_deleted": "deleted_local",
    "remote_deleted": "deleted_remote",
    "local_deleted_remote_modified": "modified_remote",
    "local_modified_remote_deleted": "modified_local",
    "both_deleted": "synced",
    "local_added": "new_local",
    "remote_added": "new_remote",
    "both_added_equal": "synced",
    "both_added_differ": "conflict",
}

# (local change, remote change) -> case, for paths that have a base. The pairs where both
# sides changed content depend on whether the bytes are equal and are decided in `classify`.
_CASE_WITH_BASE: Mapping[tuple[_LocalChange, _RemoteChange], SyncCase] = {
    ("unchanged", "unchanged"): "unchanged",
    ("unchanged", "touched"): "remote_touched",
    ("unchanged", "modified"): "remote_modified",
    ("unchanged", "deleted"): "remote_deleted",
    ("modified", "unchanged"): "local_modified",
    ("modified", "touched"): "local_modified",
    ("modified", "deleted"): "local_modified_remote_deleted",
    ("deleted", "unchanged"): "local_deleted",
    ("deleted", "touched"): "local_deleted",
    ("deleted", "modified"): "local_deleted_remote_modified",
    ("deleted", "deleted"): "both_deleted",
}


def classify(local: LocalFile | None, remote: CloudFile | None, base: BaseFile | None) -> SyncCase:
    """The DESIGN §5 row of one path, from its local file, cloud entry and base."""
    if base is None:
        return _classify_without_base(local, remote)
    local_change = _local_change(local, base)
    remote_change = _remote_change(remote, base)
    if local is not None and remote is not None and local_change == remote_change == "modified":
        return "both_modified_equal" if local.sha256 == remote.sha256 else "both_modified_differ"
    return _CASE_WITH_BASE[(local_change, remote_change)]


def file_status(
    local: LocalFile | None, remote: CloudFile | None, base: BaseFile | None
) -> FileStatus:
    """The user-facing status of one path (never `ignored`; see `path_status`)."""
    return _STATUS_OF_CASE[classify(local, remote, base)]


def path_status(
    path: str,
    local: LocalSnapshot,
    remote: RemoteListing,
    base: Mapping[str, BaseFile],
    rules: IgnoreRules,
) -> FileStatus | None:
    """The status of `path` in a project, `ignored` included.

    None when there is no file to give a status to: the path exists neither locally nor in
    the cloud, or the local file could not be read (its content, hence its status, is unknown).
    Raises `IncompleteListing` when `remote` is partial: a missing cloud entry would otherwise
    read as "deleted in the cloud".
    """
    if not remote.complete:
        raise IncompleteListing("the cloud listing is incomplete; statuses are unknown")
    if not (path in local.files or path in remote.files or path in local.unreadable):
        return None
    if is_ignored(rules, path):
        return "ignored"
    if path in local.unreadable:
        return None
    return file_status(local.files.get(path), remote.files.get(path), base.get(path))


def project_statuses(
    local: LocalSnapshot,
    remote: RemoteListing,
    base: Mapping[str, BaseFile],
    rules: IgnoreRules,
) -> dict[str, FileStatus]:
    """Statuses of every path that exists locally or in the cloud, sorted by path.

    A name left alone (`unsyncable.left_alone`) is `unsyncable` under the name as shown
    (`ignored` when the ignore rules cover it), and its key gets no other status. Left out:
    paths only the base still knows (deleted on both sides; nothing to show) and unreadable
    local files (see `path_status`). Raises `IncompleteListing` like `path_status`.
    """
    if not remote.complete:
        raise IncompleteListing("the cloud listing is incomplete; statuses are unknown")
    alone = left_alone(local, remote, base)
    blocked = blocked_keys(alone)
    paths = (set(local.files) | set(remote.files) | set(local.unreadable)) - blocked
    statuses: dict[str, FileStatus | None] = {
        path: path_status(path, local, remote, base, rules) for path in paths
    }
    for name in alone:
        statuses[name] = "ignored" if is_ignored(rules, name) else "unsyncable"
    return {path: status for path in sorted(statuses) if (status := statuses[path]) is not None}


class IncompleteListing(ValueError):
    """Statuses were asked for with a failed or partial cloud listing."""


def _classify_without_base(local: LocalFile | None, remote: CloudFile | None) -> SyncCase:
    if local is not None and remote is not None:
        return "both_added_equal" if local.sha256 == remote.sha256 else "both_added_differ"
    if local is not None:
        return "local_added"
    if remote is not None:
        return "remote_added"
    raise ValueError("a path absent locally, in the cloud and in the base has no status")


def _local_change(local: LocalFile | None, base: BaseFile) -> _LocalChange:
    if local is None:
        return "deleted"
    return "unchanged" if local.sha256 == base.sha256 else "modified"


def _remote_change(remote: CloudFile | None, base: BaseFile) -> _RemoteChange:
    if remote is None:
        return "deleted"
    if remote.file_version_id == base.version_id:
        return "unchanged"
    if remote.sha256 is None:
        return "modified"
    return "touched" if remote.sha256 == base.sha256 else "modified"
