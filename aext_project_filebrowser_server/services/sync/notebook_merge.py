"""Three-way merge of Jupyter notebooks for sync conflicts (nbdime over nbformat).

A notebook changed on both sides is first merged against its base revision, so two people
running the same notebook do not get a conflict copy they cannot read:

- outputs, execution counts and volatile metadata (`VOLATILE_METADATA`: view state, run
  timings, kernel and language info) never conflict: the local side wins;
- edits in different cells merge cleanly;
- the same cell's source changed on both sides (to different text), a cell deleted on one
  side and edited on the other, or anything else nbdime cannot decide, is a `Clash` that
  names the cells: the sync then keeps both versions (the conflict copy);
- a side that is not a valid nbformat 4 notebook is `Unmergeable`: byte-level conflict copy.

`merge_notebooks` is pure and CPU-bound (JSON parsing, diffing): call it in a worker thread.
nbdime's own `merge_notebooks(base, local, remote, args)` builds its strategies from CLI-style
arguments, which cannot say "use-local for these metadata keys" or keep local execution
counts, so this module builds the `Strategies` itself and runs the same two nbdime steps
(`decide_merge_with_diff` over `diff_notebooks`, then `apply_decisions`).

`merge_preview` answers the dry-run question ("will merge notebook" or "conflict copy")
with the same function, so `plan` and the executor never disagree; `describe_conflict`
fetches what it needs (base and cloud revisions, the local file) for one planned `Conflict`.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Callable, Collection, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, cast

if TYPE_CHECKING:  # nbdime is imported by the first merge, not by every server's start
    from nbdime.utils import Strategies

from ...cloud import client as cloud
from ...cloud.client import CloudClient
from ...cloud.errors import CloudError, FileNotFound, InvalidRequest
from .local_files import resolve_inside, temp_path
from .plan import Conflict, on_disk

__all__ = [
    "MAX_MERGE_BYTES",
    "OUTPUT_FIELDS",
    "VOLATILE_METADATA",
    "Clash",
    "MergeResult",
    "Merged",
    "Unmergeable",
    "describe_conflict",
    "merge_notebooks",
    "merge_preview",
    "too_large",
]

log = logging.getLogger(__name__)


# nbformat is imported at the first notebook merge, not with the sync engine: with
# jsonschema it costs ~1.5 s of start-up (its format checkers compile a grammar), which every
# sync worker would pay before its first run. It ships no annotations for these.
def _isvalid(data: Any) -> bool:
    import nbformat.validator

    return cast(Callable[[Any], bool], nbformat.validator.isvalid)(data)


def _to_notebook(data: Any) -> Any:
    """from_dict + rejoin_lines (files store multi-line text as lists of lines; nbdime diffs
    strings) + strip_transient: the in-memory notebook nbformat.read would give, unvalidated."""
    import nbformat.v4.nbjson

    return cast(Callable[[Any], Any], nbformat.v4.nbjson.to_notebook)(data)


def _writes_v4(notebook: Any) -> str:
    import nbformat.v4

    return cast(Callable[[Any], str], nbformat.v4.writes)(notebook)


#: Metadata that changes when a notebook is merely opened or run; the local value is kept.
#: Paths in nbdime's notation (`*` is any cell index). Callers may pass their own list.
VOLATILE_METADATA: tuple[str, ...] = (
    "/metadata/language_info",
    "/metadata/kernelspec",
    "/metadata/widgets",
    "/cells/*/metadata/collapsed",
    "/cells/*/metadata/scrolled",
    "/cells/*/metadata/autoscroll",
    "/cells/*/metadata/execution",
    "/cells/*/metadata/ExecuteTime",
    "/cells/*/metadata/jupyter",
)

#: Larger notebooks are not merged (a conflict copy instead): parsing and diffing them would
#: hold a sync worker and memory for too long.
MAX_MERGE_BYTES = 32 * 1024 * 1024

#: What running a cell changes; differences here never conflict and the local side wins.
OUTPUT_FIELDS: tuple[str, ...] = (
    "/cells/*/execution_count",
    "/cells/*/outputs",
    "/cells/*/outputs/*",
    "/cells/*/outputs/*/execution_count",
    "/cells/*/outputs/*/metadata",
    "/cells/*/outputs/*/data",
    "/cells/*/outputs/*/text",
)


@dataclass(frozen=True, slots=True)
class Merged:
    """The merge succeeded: `content` is the merged notebook, serialized like Jupyter does."""

    content: bytes


@dataclass(frozen=True, slots=True)
class Clash:
    """Both sides changed the same cells: `cells` names them (cell id, or `#index`)."""

    cells: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class Unmergeable:
    """A side is not a notebook this merge can read (invalid JSON, other nbformat...)."""

    reason: str


MergeResult = Merged | Clash | Unmergeable


def too_large(op: Conflict) -> Unmergeable | None:
    """Why a planned conflict is not worth merging, or None."""
    if max(op.local_size, op.remote_size) > MAX_MERGE_BYTES:
        return Unmergeable(f"the notebook is over {MAX_MERGE_BYTES // (1024 * 1024)} MB")
    return None


def merge_notebooks(
    base: bytes,
    local: bytes,
    remote: bytes,
    *,
    volatile: Collection[str] = VOLATILE_METADATA,
) -> MergeResult:
    """Three-way merge of notebook files given as bytes; never raises for bad input."""
    notebooks: list[Any] = []
    for side, raw in (("base", base), ("local", local), ("remote", remote)):
        parsed = _parse(raw)
        if isinstance(parsed, str):
            return Unmergeable(f"the {side} version {parsed}")
        notebooks.append(parsed)
    base_nb, local_nb, remote_nb = notebooks
    try:
        return _merge(base_nb, local_nb, remote_nb, volatile)
    except Exception as exc:  # nbdime asserts on shapes it does not expect
        log.warning(
            "notebook merge failed (%s: %s); keeping both versions", type(exc).__name__, exc
        )
        return Unmergeable(f"the notebook merge failed ({type(exc).__name__})")


def merge_preview(
    base: bytes | None,
    local: bytes,
    remote: bytes,
    *,
    volatile: Collection[str] = VOLATILE_METADATA,
) -> str:
    """What a sync will do with a notebook changed on both sides, in words for a dry run."""
    if base is None:
        return "conflict copy: no common base revision to merge from"
    result = merge_notebooks(base, local, remote, volatile=volatile)
    if isinstance(result, Merged):
        return "will merge notebook"
    if isinstance(result, Clash):
        return (
            "conflict copy: the same cells changed on both sides (" + ", ".join(result.cells) + ")"
        )
    return f"conflict copy: {result.reason}"


# --- parsing --------------------------------------------------------------------------------


def _parse(raw: bytes) -> Any:
    """A NotebookNode, or a string saying why the bytes are not a mergeable notebook."""
    try:
        data = json.loads(raw)
    except (ValueError, RecursionError):  # bad UTF-8 or JSON; absurdly deep nesting
        return "is not valid JSON"
    if not isinstance(data, dict) or data.get("nbformat") != 4:
        return "is not an nbformat 4 notebook"
    # isvalid() neither warns nor mutates (nbformat.reads would warn and repair ids); it
    # raises on some malformed shapes (`"cells": 7`), which are just as invalid.
    try:
        valid = _isvalid(data)
    except Exception:
        valid = False
    if not valid:
        return "does not follow the notebook format (nbformat 4 schema)"
    return _to_notebook(data)


def _serialize(notebook: Any) -> bytes:
    """Like Jupyter's contents manager: sorted keys, one-space indent, trailing newline."""
    text = _writes_v4(notebook)
    return (text if text.endswith("\n") else text + "\n").encode("utf-8")


# --- merging --------------------------------------------------------------------------------


def _strategies(volatile: Iterable[str]) -> Strategies:
    from nbdime.utils import Strategies

    transients = [*OUTPUT_FIELDS, *volatile]
    strategies = Strategies(
        {
            # Two sides that each upgraded an old notebook mint different ids: keep ours.
            "/cells/*/id": "use-local",
            "/nbformat_minor": "take-max",
        },
        # A cell deleted on one side and only run (or viewed) on the other: the deletion wins.
        transients=transients,
    )
    for path in transients:
        strategies[path] = "use-local"
    return strategies


def _merge(base: Any, local: Any, remote: Any, volatile: Collection[str]) -> MergeResult:
    from nbdime.diffing.notebooks import diff_notebooks
    from nbdime.merging.decisions import apply_decisions
    from nbdime.merging.generic import decide_merge_with_diff

    local_diff = diff_notebooks(base, local)
    remote_diff = diff_notebooks(base, remote)
    decisions = decide_merge_with_diff(
        base, local, remote, local_diff, remote_diff, _strategies(volatile)
    )
    clashing = _clashing_cells(base, local_diff, remote_diff, decisions)
    if clashing:
        return Clash(tuple(clashing))
    merged = apply_decisions(base, decisions)
    lost = _lost_sources(base, local, remote, merged)
    if lost:  # belt and braces: a merge must never drop text someone wrote
        log.warning("notebook merge would drop edited cells %s; keeping both versions", lost)
        return Clash(tuple(lost))
    if not _isvalid(merged):
        return Unmergeable("the merged notebook would not follow the notebook format")
    return Merged(_serialize(merged))


# Decisions nbdime flags as conflicts although they apply both sides' changes (a cell
# inserted right before a cell the other side edited): nothing is lost, so no clash.
_KEEPS_BOTH = frozenset({"local_then_remote", "remote_then_local"})


def _clashing_cells(
    base: Any, local_diff: Sequence[Any], remote_diff: Sequence[Any], decisions: Iterable[Any]
) -> list[str]:
    """The cells (ids or `#index`) that make this merge a real conflict, in notebook order."""
    cells = base["cells"]
    found: dict[str, None] = {}
    local_sources = _source_edits(local_diff)
    remote_sources = _source_edits(remote_diff)
    for index in sorted(set(local_sources) & set(remote_sources)):
        if local_sources[index] != remote_sources[index]:
            found[_cell_name(cells, index)] = None
    for decision in decisions:
        if not decision.conflict or decision.action in _KEEPS_BOTH:
            continue
        for name in _decision_cells(cells, decision):
            found[name] = None
    return list(found)


def _cell_patches(diff: Sequence[Any]) -> list[Any]:
    """The entries of a notebook diff that change the `cells` list."""
    return [entry for d in diff if d.key == "cells" and d.op == "patch" for entry in d.diff]


def _source_edits(diff: Sequence[Any]) -> dict[int, Any]:
    """Base cell index → the diff of its source, for every cell whose source changed."""
    edits: dict[int, Any] = {}
    for entry in _cell_patches(diff):
        if entry.op != "patch":
            continue
        for sub in entry.diff:
            if sub.key == "source":
                edits[entry.key] = sub
    return edits


def _decision_cells(cells: Sequence[Any], decision: Any) -> list[str]:
    path = tuple(decision.common_path)
    if len(path) >= 2 and path[0] == "cells" and isinstance(path[1], int):
        return [_cell_name(cells, path[1])]
    if path[:1] != ("cells",) and path:
        return [f"notebook {'/'.join(str(p) for p in path)}"]
    names: list[str] = []
    for entry in [*decision.local_diff, *decision.remote_diff]:
        if entry.op == "addrange":
            names.extend(_cell_name(entry.valuelist, i) for i in range(len(entry.valuelist)))
        elif entry.op == "removerange":
            names.extend(_cell_name(cells, i) for i in range(entry.key, entry.key + entry.length))
        elif entry.op == "patch" and isinstance(entry.key, int):
            names.append(_cell_name(cells, entry.key))
    return names or ["notebook"]


def _cell_name(cells: Sequence[Any], index: int) -> str:
    if 0 <= index < len(cells):
        cell_id = cells[index].get("id")
        if isinstance(cell_id, str) and cell_id:
            return cell_id
    return f"#{index}"


def _sources(notebook: Mapping[str, Any]) -> dict[str, str]:
    """Cell source text → the cell's name, for every cell of a notebook."""
    return {
        _source_text(cell.get("source", "")): _cell_name(notebook["cells"], i)
        for i, cell in enumerate(notebook["cells"])
    }


def _source_text(source: Any) -> str:
    return "".join(source) if isinstance(source, list) else str(source)


def _lost_sources(base: Any, local: Any, remote: Any, merged: Any) -> list[str]:
    """Cells whose source one side wrote (it is not a base source) but the merge lacks."""
    base_sources, kept = _sources(base), _sources(merged)
    lost: dict[str, None] = {}
    for side in (local, remote):
        for text, name in _sources(side).items():
            if text not in base_sources and text not in kept:
                lost[name] = None
    return list(lost)


# --- dry runs -------------------------------------------------------------------------------


async def _revision(
    client: CloudClient, project_id: str, root: Path, op: Conflict, version: str
) -> bytes | None:
    temp = await asyncio.to_thread(temp_path, root)
    try:
        await cloud.download_file(client, project_id, op.path, temp, version=version)
        return await asyncio.to_thread(temp.read_bytes)
    except (FileNotFound, InvalidRequest):
        return None
    finally:
        await asyncio.to_thread(temp.unlink, missing_ok=True)


async def describe_conflict(
    client: CloudClient,
    project_id: str,
    root: Path,
    op: Conflict,
    *,
    volatile: Collection[str] = VOLATILE_METADATA,
) -> str:
    """What the sync will do with a planned `Conflict`, in words for the dry run:
    "will merge notebook", or "conflict copy: <why>" (non-notebooks: the planner's reason).

    Downloads the base and cloud revisions into the project's temp folder (removed after);
    nothing else is written. A cloud or local read failure is described, never raised.
    """
    if not op.notebook:
        return op.reason
    if op.base_version_id is None:
        return merge_preview(None, b"", b"")
    if (big := too_large(op)) is not None:
        return f"conflict copy: {big.reason}"
    try:
        base = await _revision(client, project_id, root, op, op.base_version_id)
        remote = await _revision(client, project_id, root, op, op.remote_version_id)
        local = await asyncio.to_thread(resolve_inside(root, on_disk(op)).read_bytes)
    except (CloudError, OSError, ValueError) as exc:
        return f"merge notebook if it can; not checked now ({type(exc).__name__})"
    if remote is None:
        return "conflict copy: the cloud version changed since the listing; sync re-plans it"
    if base is None:
        return "conflict copy: the base revision is no longer in the cloud"
    return await asyncio.to_thread(merge_preview, base, local, remote, volatile=volatile)
