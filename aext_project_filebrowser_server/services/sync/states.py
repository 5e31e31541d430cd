"""The three states the sync planner compares: the local folder, the cloud listing, the base.

These are observations, made by the snapshot stage (local), the cloud client (remote) and the
store (base). They are plain frozen values so the planner stays a pure function of them.
Paths are project-relative POSIX paths (`"notebooks/analysis.ipynb"`), never absolute. The
mappings are keyed by the NFC form of the name (`file_names.name_key`), the form a local
name and a cloud name must share to be one file; `LocalFile.path` and `CloudFile.path`
keep each side's own spelling.

`LocalFile` and `BaseFile` are named tuples, not frozen dataclasses: a sync makes one of each
per file (20,000 for a project of 10,000 files), and a frozen dataclass's `__init__` (one
`object.__setattr__` per field) costs ten times a tuple's.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import NamedTuple

from ...schemas.files import CloudFile

__all__ = ["BaseFile", "CloudFile", "LocalFile", "LocalSnapshot", "RemoteListing"]


class LocalFile(NamedTuple):
    """One file of the project folder as the snapshot saw it (content hash included).
    `path` is the name on disk, which may be NFD where the key is NFC."""

    path: str
    size: int
    mtime_ns: int
    inode: int
    sha256: str


class BaseFile(NamedTuple):
    """The last state both sides agreed on for one path (the store's base row)."""

    path: str
    sha256: str
    version_id: str
    size: int
    mtime_ns: int


@dataclass(frozen=True, slots=True)
class RemoteListing:
    """The cloud's current files of a project.

    `complete` is False when the listing failed or stopped part-way (a page errored, the
    request timed out): the planner then refuses to act, because a missing entry would read
    as "deleted in the cloud". `unsyncable` maps the cloud names this folder cannot hold,
    or whose entries did not fit, to the reason (`unsyncable.index_remote`): they are not
    in `files`, and their paths are left alone on both sides.
    """

    files: Mapping[str, CloudFile]
    complete: bool
    unsyncable: Mapping[str, str] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class LocalSnapshot:
    """The project folder's files.

    `marker_present` says whether the folder's marker file (inside `.aext-project/`) exists.
    A missing marker means the folder is unmounted or was replaced, so its emptiness must
    never be read as "the user deleted everything". `unreadable` lists paths that exist but
    could not be hashed (permissions, locked files): they are neither present nor deleted.
    `unsyncable` maps the local names the cloud cannot hold (shown by `display_name`) to
    the reason; they are neither present nor deleted either. `case_insensitive`: the
    folder's file system folds case (`file_names.folder_is_case_insensitive`).
    """

    files: Mapping[str, LocalFile]
    marker_present: bool
    unreadable: tuple[str, ...] = ()
    unsyncable: Mapping[str, str] = field(default_factory=dict)
    case_insensitive: bool = False
