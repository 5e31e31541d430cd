"""Which paths a sync leaves alone because of their names, and why.

A name one side cannot hold is not a failure: it gets the status `unsyncable` with a reason,
the planner gives its path no operation (no download, no upload, no delete on either side,
so nothing is renamed, trashed or overwritten) and the rest of the project syncs. The
reasons come from three places:

- the local snapshot (`LocalSnapshot.unsyncable`): bytes that are not UTF-8, control
  characters, backslashes, names too long for the cloud, and two local names with one NFC
  form (neither is synced: which one the cloud's file is cannot be told);
- the cloud listing (`index_remote`): names this folder cannot hold, entries whose fields
  do not fit, and two cloud names with one NFC form;
- case clashes on a case-insensitive folder (`left_alone`): `Data.csv` and `data.csv` would
  be one file there, so one keeps syncing and the others are skipped (see `_case_clashes`).

Every mapping is keyed by the name as shown (`file_names.display_name`); the planner blocks
the `name_key` of each, which is the key the other side's file has.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from ...schemas.files import UnfitFile
from .file_names import WINDOWS, cloud_name_problem, display_name, name_key
from .states import BaseFile, CloudFile, LocalSnapshot, RemoteListing

__all__ = ["blocked_keys", "index_remote", "left_alone"]

TWO_LOCAL_SPELLINGS = (
    "two names in the folder differ only in their Unicode form (NFC and NFD) and the cloud "
    "holds them as one; neither is synced until one is renamed"
)
TWO_CLOUD_SPELLINGS = (
    "the cloud holds this name twice, in two Unicode forms (NFC and NFD); neither is synced"
)


def index_remote(listed: Iterable[CloudFile], *, windows: bool = WINDOWS) -> RemoteListing:
    """The complete cloud listing keyed by `name_key`, with the names left alone apart."""
    unsyncable: dict[str, str] = {}
    by_key: dict[str, list[CloudFile]] = {}
    for entry in listed:
        if isinstance(entry, UnfitFile):
            unsyncable[display_name(entry.path)] = (
                f"the cloud's entry for this file does not fit ({entry.reason}); the file is "
                "left alone on both sides"
            )
            continue
        problem = cloud_name_problem(entry.path, windows=windows)
        if problem is not None:
            unsyncable[display_name(entry.path)] = problem
            continue
        by_key.setdefault(name_key(entry.path), []).append(entry)
    files: dict[str, CloudFile] = {}
    for key, group in by_key.items():
        if len(group) == 1:
            files[key] = group[0]
            continue
        for entry in group:
            unsyncable[entry.path] = TWO_CLOUD_SPELLINGS
    return RemoteListing(files, complete=True, unsyncable=unsyncable)


def left_alone(
    local: LocalSnapshot, remote: RemoteListing, base: Mapping[str, BaseFile]
) -> dict[str, str]:
    """Every name the sync leaves alone (as shown) with its reason."""
    reasons = {**remote.unsyncable, **local.unsyncable}
    if local.case_insensitive:
        reasons.update(_case_clashes(local, remote, base, blocked_keys(reasons)))
    return reasons


def blocked_keys(reasons: Iterable[str]) -> frozenset[str]:
    """The keys the planner gives no operation, for the names of `left_alone`."""
    return frozenset(name_key(name) for name in reasons)


def _case_clashes(
    local: LocalSnapshot,
    remote: RemoteListing,
    base: Mapping[str, BaseFile],
    blocked: frozenset[str],
) -> dict[str, str]:
    """On a case-insensitive folder, names that differ only in case are one file: writing
    both would overwrite one with the other. One of them keeps syncing: the one the folder
    holds, else the one synced before, else the first in code-point order; the others are
    skipped with a reason and stay as they are in the cloud. Skipping, not a clash copy:
    a copy would be a new file that the next sync uploads as a third cloud name, and the
    user can settle it with one rename in the cloud."""
    groups: dict[str, list[str]] = {}
    for key in {*local.files, *remote.files, *base} - blocked:
        groups.setdefault(key.casefold(), []).append(key)
    clashes: dict[str, str] = {}
    for keys in groups.values():
        if len(keys) < 2:
            continue
        kept = min(keys, key=lambda k: (k not in local.files, k not in base, k))
        for key in keys:
            if key != kept:
                clashes[key] = (
                    f"differs only in case from {kept!r}, and this folder does not tell case "
                    "apart; it is left alone so that neither overwrites the other"
                )
    return clashes
