"""Seeded worlds as plain data: a base tree, its correlated perturbations, and the passes.

`generate_world(seed)` draws everything a world will do from `random.Random(seed)` before
anything runs, so a seed names one world for good: the files of the base tree (some created
in the folder, some in the cloud, so the first sync both uploads and downloads), the changes
each side makes afterwards, and how the sync passes run (through `start_sync` or plan then
execute, how many operations at once, which faults, which edits land in the middle of a
pass). Nothing here touches a file or the network; `harness.py` plays the spec.

The changes are correlated on purpose: a path is drawn together with what happens to it on
*both* sides (edited here and there to equal or different bytes, deleted on one side and
edited on the other, renamed — a delete plus an add of the same bytes — on one or both
sides...), because those pairs are what a sync engine gets wrong. Contents are tiny and carry
a random token, so two drawn contents are equal only when the world means them to be.
Notebooks are small valid nbformat 4.5 files whose cells carry fixed ids, so two sides that
edit different cells merge cleanly and two sides that edit the same cell clash.

What a seed means is pinned (`test_worlds.GENERATOR_DIGEST`): changing what is drawn here,
or in which order, gives every seed a new world and voids the regression seeds.
"""

from __future__ import annotations

import hashlib
import json
import random
from dataclasses import dataclass
from typing import Literal

Side = Literal["local", "remote"]
PassMode = Literal["run", "plan_execute"]
FaultKind = Literal["refuse", "unavailable", "lose_answer", "error_after"]

MAX_PASSES = 4
FOLDERS = ("", "d/", "d/e/", "f/")
STEMS = ("a", "b", "c", "m", "n", "x", "notes v2", "ünï")
EXTENSIONS = (".txt", ".py", ".csv", ".ipynb", ".ipynb", "")
IGNORED = ("__pycache__/mod.cpython-311.pyc", ".ipynb_checkpoints/a-checkpoint.ipynb", ".~a.txt")
BIG_SIZE = 300 * 1024  # more than one upload/download chunk
# Files in the base tree: 3 to 8, mostly few (each costs requests; variety matters more).
BASE_SIZES = (3, 3, 3, 4, 4, 4, 5, 5, 6, 7, 8)


@dataclass(frozen=True)
class Write:
    side: Side
    path: str
    content: bytes


@dataclass(frozen=True)
class Delete:
    side: Side
    path: str


Change = Write | Delete


@dataclass(frozen=True)
class MidSync:
    """Changes made while a pass runs.

    `trigger` 0: after the pass planned and before it executes (plan_execute passes only);
    `trigger` k > 0: right before the pass's k-th request to the project in the cloud.
    """

    trigger: int
    changes: tuple[Change, ...]


@dataclass(frozen=True)
class ClientFaults:
    """Faults between the sync's cloud client and the replica, decided per request.

    Each request's fate is a hash of (seed, method, path, how many times that method and
    path were asked before), so it does not depend on how concurrent operations interleave.
    `refuse`: never sent (connection refused); `unavailable`: a 503 without doing the work;
    `lose_answer`: the replica does the work and the answer is lost (a dropped connection);
    `error_after`: the replica does the work and the answer becomes a 500.
    """

    seed: int
    rate: float
    kinds: tuple[FaultKind, ...]


@dataclass(frozen=True)
class PassSpec:
    mode: PassMode
    concurrency: int
    client_faults: ClientFaults | None = None
    replica_faults: str | None = None  # a replica fault spec set for the whole pass
    mid_sync: tuple[MidSync, ...] = ()


@dataclass(frozen=True)
class WorldSpec:
    seed: int
    # The base tree. With `first_sync`, `base_local` is written in the folder and
    # `base_remote` in the cloud, and a sync makes them agree (uploads, downloads, first
    # conflicts). Without, both sides get `base_local | base_remote` (local bytes win) and the
    # base rows are written straight into the store: a cheaper start, as if synced long ago.
    base_local: dict[str, bytes]
    base_remote: dict[str, bytes]
    first_sync: bool
    # Every file the world writes gets its mtime floored to the second, like on file systems
    # with coarse timestamps (HFS+, ext3, FAT, many network mounts): two same-size writes in
    # one second then look alike to a stat.
    coarse_mtime: bool
    ignored: dict[str, bytes]  # ignored local files: never synced, never touched
    changes: tuple[Change, ...]  # both sides, after the first sync
    passes: tuple[PassSpec, ...]  # at most MAX_PASSES; the extras are on the first

    @property
    def exclusive(self) -> bool:
        """Replica faults hit every client of the replica: such a world must run alone."""
        return any(p.replica_faults for p in self.passes)

    def describe(self) -> str:
        """The world in a few lines (contents by size and hash), for failure messages."""
        first = self.passes[0]
        extras = [
            f"mode={first.mode}",
            f"concurrency={first.concurrency}",
            *([f"client_faults={first.client_faults}"] if first.client_faults else []),
            *([f"replica_faults={first.replica_faults!r}"] if first.replica_faults else []),
            *(
                f"mid_sync@{m.trigger}=[{', '.join(map(_short, m.changes))}]"
                for m in first.mid_sync
            ),
        ]
        return (
            f"base local={_files(self.base_local)} remote={_files(self.base_remote)} "
            f"first_sync={self.first_sync} coarse_mtime={self.coarse_mtime}\n"
            f"    changes=[{', '.join(map(_short, self.changes))}]\n"
            f"    first pass: {' '.join(extras)}"
        )


def _content_id(content: bytes) -> str:
    return f"{len(content)}B#{hashlib.sha256(content).hexdigest()[:6]}"


def _files(files: dict[str, bytes]) -> str:
    return "{" + ", ".join(f"{p}={_content_id(c)}" for p, c in sorted(files.items())) + "}"


def _short(change: Change) -> str:
    if isinstance(change, Write):
        return f"{change.side} write {change.path}={_content_id(change.content)}"
    return f"{change.side} delete {change.path}"


# --- contents -------------------------------------------------------------------------------


def is_notebook(path: str) -> bool:
    return path.endswith(".ipynb")


def notebook_bytes(cells: list[tuple[str, str, str]]) -> bytes:
    """A valid nbformat 4.5 notebook from (cell id, cell type, source) triples."""
    nb_cells = []
    for cell_id, cell_type, source in cells:
        cell: dict[str, object] = {
            "cell_type": cell_type,
            "id": cell_id,
            "metadata": {},
            "source": source,
        }
        if cell_type == "code":
            cell.update(execution_count=None, outputs=[])
        nb_cells.append(cell)
    notebook = {
        "cells": nb_cells,
        "metadata": {"kernelspec": {"display_name": "Python 3", "name": "python3"}},
        "nbformat": 4,
        "nbformat_minor": 5,
    }
    return (json.dumps(notebook, indent=1, sort_keys=True, ensure_ascii=False) + "\n").encode()


def notebook_cells(content: bytes) -> list[tuple[str, str, str]]:
    data = json.loads(content)
    return [(c["id"], c["cell_type"], c["source"]) for c in data["cells"]]


class _Draw:
    """The world's random source plus the helpers that draw contents and paths."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.seed = seed

    def chance(self, p: float) -> bool:
        return self.rng.random() < p

    def token(self) -> str:
        return f"{self.seed}-{self.rng.randrange(16**8):08x}"

    def path(self, taken: set[str]) -> str:
        for _ in range(50):
            folder = self.rng.choice(FOLDERS)
            name = self.rng.choice(STEMS) + self.rng.choice(EXTENSIONS)
            if folder + name not in taken:
                return folder + name
        return f"extra/{self.token()}.txt"

    def content(self, path: str) -> bytes:
        if is_notebook(path):
            cells = [
                (f"cell-{i}", self.rng.choice(("code", "markdown")), f"# {path} {self.token()}")
                for i in range(self.rng.randint(1, 3))
            ]
            return notebook_bytes(cells)
        roll = self.rng.random()
        if roll < 0.05:
            return b""
        if roll < 0.06:
            return (f"{path} {self.token()}\n" * (BIG_SIZE // 40)).encode()
        return f"{path} {self.token()}\n".encode()

    def edit(self, path: str, old: bytes) -> bytes:
        """New bytes for `path`; for a notebook, a cell-level edit of `old`."""
        if not is_notebook(path):
            return self.content(path)
        cells = notebook_cells(old)
        roll = self.rng.random()
        if roll < 0.15 and len(cells) > 1:
            del cells[self.rng.randrange(len(cells))]
        elif roll < 0.3 or not cells:
            cells.insert(
                self.rng.randint(0, len(cells)),
                (f"cell-{self.token()}", "code", f"print({self.token()!r})"),
            )
        else:
            i = self.rng.randrange(len(cells))
            cell_id, cell_type, _ = cells[i]
            cells[i] = (cell_id, cell_type, f"# {path} edited {self.token()}")
        return notebook_bytes(cells)


# --- the world ------------------------------------------------------------------------------

# What happens to one base file, with weights: (local action, remote action).
# "keep", "edit", "same" (both sides write the same new bytes), "touch" (rewrite the same
# bytes), "delete", "rename".
_FATES: tuple[tuple[int, str, str], ...] = (
    (30, "keep", "keep"),
    (3, "touch", "keep"),
    (3, "keep", "touch"),
    (2, "touch", "delete"),
    (10, "edit", "keep"),
    (10, "keep", "edit"),
    (6, "same", "same"),
    (9, "edit", "edit"),
    (6, "delete", "keep"),
    (6, "keep", "delete"),
    (3, "delete", "delete"),
    (5, "delete", "edit"),
    (5, "edit", "delete"),
    (4, "rename", "keep"),
    (4, "keep", "rename"),
    (2, "rename", "edit"),
    (2, "edit", "rename"),
    (3, "rename", "rename"),
)


def _base_tree(draw: _Draw) -> tuple[dict[str, bytes], dict[str, bytes]]:
    local: dict[str, bytes] = {}
    remote: dict[str, bytes] = {}
    for _ in range(draw.rng.choice(BASE_SIZES)):
        path = draw.path(set(local) | set(remote))
        content = draw.content(path)
        roll = draw.rng.random()
        if roll < 0.5:
            local[path] = content
        elif roll < 0.85:
            remote[path] = content
        else:  # on both sides before the first sync: equal bytes, or a first conflict
            local[path] = content
            remote[path] = content if draw.chance(0.6) else draw.edit(path, content)
    return local, remote


def _perturb(draw: _Draw, base: dict[str, bytes]) -> tuple[Change, ...]:
    """Correlated changes of both sides, as the list of writes and deletes that make them."""
    changes: list[Change] = []
    taken = set(base)
    weights = [w for w, _, _ in _FATES]
    shared_target: dict[str, str] = {}
    for path in sorted(base):
        _, local_action, remote_action = draw.rng.choices(_FATES, weights)[0]
        same = draw.edit(path, base[path]) if local_action == "same" else b""
        sides: tuple[tuple[Side, str], ...] = (("local", local_action), ("remote", remote_action))
        for side, action in sides:
            if action == "edit":
                changes.append(Write(side, path, draw.edit(path, base[path])))
            elif action == "same":
                changes.append(Write(side, path, same))
            elif action == "touch":  # rewritten with the bytes it had: a new mtime / revision
                changes.append(Write(side, path, base[path]))
            elif action == "delete":
                changes.append(Delete(side, path))
            elif action == "rename":
                # Both sides renaming usually pick the same new name (the interesting case).
                if path in shared_target and draw.chance(0.7):
                    target = shared_target[path]
                else:
                    target = draw.path(taken)
                    taken.add(target)
                    shared_target[path] = target
                content = base[path] if draw.chance(0.7) else draw.edit(path, base[path])
                if is_notebook(path) != is_notebook(target):
                    content = draw.content(target)
                changes.append(Delete(side, path))
                changes.append(Write(side, target, content))
    for _ in range(draw.rng.randint(0, 3)):
        path = draw.path(taken)
        taken.add(path)
        content = draw.content(path)
        roll = draw.rng.random()
        if roll < 0.35:
            changes.append(Write("local", path, content))
        elif roll < 0.7:
            changes.append(Write("remote", path, content))
        else:
            other = content if draw.chance(0.5) else draw.content(path)
            changes.append(Write("local", path, content))
            changes.append(Write("remote", path, other))
    return tuple(changes)


def _mid_sync(draw: _Draw, hot: list[str], paths: list[str], mode: PassMode) -> tuple[MidSync, ...]:
    """Edits during the pass; mostly of `hot` paths (changed since the base: the pass has
    operations planned for them), else of any path, else of a new one."""
    events = []
    for _ in range(draw.rng.randint(1, 2)):
        trigger = 0 if mode == "plan_execute" and draw.chance(0.4) else draw.rng.randint(2, 7)
        edits: list[Change] = []
        for _ in range(draw.rng.randint(1, 2)):
            side: Side = "local" if draw.chance(0.5) else "remote"
            if paths and draw.chance(0.75):
                path = draw.rng.choice(hot if hot and draw.chance(0.7) else paths)
                if draw.chance(0.8):
                    edits.append(Write(side, path, draw.content(path)))
                else:
                    edits.append(Delete(side, path))
            else:
                path = draw.path(set(paths))
                edits.append(Write(side, path, draw.content(path)))
        events.append(MidSync(trigger, tuple(edits)))
    return tuple(sorted(events, key=lambda m: m.trigger))


def _first_pass(draw: _Draw, hot: list[str], paths: list[str]) -> PassSpec:
    mode: PassMode = "run" if draw.chance(0.6) else "plan_execute"
    roll = draw.rng.random()
    if roll < 0.03:
        spec = (
            f"error_rate={draw.rng.choice((0.1, 0.2, 0.3))},"
            f"drop_rate={draw.rng.choice((0.0, 0.1))},seed={draw.rng.randrange(1, 10**6)}"
        )
        return PassSpec(mode, 1, replica_faults=spec)
    if roll < 0.2:
        kinds = tuple(
            k for k in ("refuse", "unavailable", "lose_answer", "error_after") if draw.chance(0.6)
        ) or ("lose_answer",)
        faults = ClientFaults(draw.rng.randrange(10**9), draw.rng.choice((0.1, 0.25, 0.4)), kinds)
        mid = _mid_sync(draw, hot, paths, mode) if draw.chance(0.3) else ()
        return PassSpec(mode, 1, client_faults=faults, mid_sync=mid)
    if roll < 0.5:
        return PassSpec(mode, 1, mid_sync=_mid_sync(draw, hot, paths, mode))
    return PassSpec(mode, draw.rng.choice((1, 4)))


def generate_world(seed: int) -> WorldSpec:
    draw = _Draw(seed)
    base_local, base_remote = _base_tree(draw)
    first_sync = draw.chance(0.25)
    coarse_mtime = draw.chance(0.25)
    ignored = {p: draw.content(p) for p in IGNORED if draw.chance(0.15)}
    base = {**base_remote, **base_local}  # the keys are what matters to _perturb
    changes = _perturb(draw, base)
    hot = sorted({c.path for c in changes})
    first = _first_pass(draw, hot, sorted({*base, *hot}))
    later = tuple(
        PassSpec("run" if draw.chance(0.6) else "plan_execute", draw.rng.choice((1, 4)))
        for _ in range(MAX_PASSES - 1)
    )
    return WorldSpec(
        seed, base_local, base_remote, first_sync, coarse_mtime, ignored, changes, (first, *later)
    )
