"""Generated three-state worlds: nothing is lost, sync converges, one-way stays one-way.

Each world draws, for a small set of paths, a base, a local file, a current cloud version
and older cloud revisions, with contents from a three-value alphabet so that equal bytes on
both sides (and new versions with the base's bytes) happen often. The in-memory executor in
`world.py` checks every precondition while it applies a plan.

Examples per test: 500, or SYNC_HYPOTHESIS_EXAMPLES. Derandomized and database-free, so a run
is reproducible and leaves no `.hypothesis/` folder behind.
"""

from __future__ import annotations

import dataclasses
import os
from collections.abc import Collection

from hypothesis import given, settings
from hypothesis import strategies as st

from aext_project_filebrowser_server.services.sync.ignore import ignore_rules, is_ignored
from aext_project_filebrowser_server.services.sync.plan import Direction, Plan, plan_sync

from .world import NOW, WHERE, WHO, World, apply_plan, divergent_paths, lost_contents

SETTINGS = settings(
    max_examples=int(os.environ.get("SYNC_HYPOTHESIS_EXAMPLES", "500")),
    derandomize=True,
    database=None,
    deadline=None,
)
RULES = ignore_rules()
PATHS = (
    "a.txt",
    "b.ipynb",
    "d/c.txt",
    "d/e.txt",
    "a (conflict, alice on lab-server, 2026-11-22 14-03).txt",  # the copy name of a.txt
    "__pycache__/m.pyc",
    ".aext-project/trash/a.txt",
)
CONTENTS = st.sampled_from((b"x", b"y", b"z"))
SCOPES = st.none() | st.sampled_from((["d"], ["a.txt"], ["d/c.txt", "b.ipynb"]))


@st.composite
def worlds(draw: st.DrawFn, *, flags: bool = False) -> World:
    world = World()
    for path in PATHS:
        for content in draw(st.lists(CONTENTS, max_size=2)):
            world.add_version(path, content)  # older cloud revisions
        base = draw(st.none() | CONTENTS)
        if base is not None:
            world.set_base(path, world.add_version(path, base))
        local = draw(st.none() | CONTENTS)
        if local is not None:
            world.local[path] = local
        remote = draw(st.sampled_from(("absent", "new", "base") if base else ("absent", "new")))
        if remote == "base":
            world.remote[path] = world.base[path].version_id
        elif remote == "new":
            world.remote[path] = world.add_version(path, draw(CONTENTS))
        if local is not None and draw(st.integers(0, 9)) == 0:
            world.unreadable |= {path}
    if flags:
        world.marker_present = draw(st.integers(0, 4)) > 0
        world.listing_complete = draw(st.integers(0, 4)) > 0
    return world


def in_scope(path: str, scope: Collection[str] | None) -> bool:
    return scope is None or any(path == s or path.startswith(s.rstrip("/") + "/") for s in scope)


def planned_paths(world: World, scope: Collection[str] | None) -> set[str]:
    paths = set(world.local) | set(world.remote) | set(world.base)
    return {
        p
        for p in paths
        if in_scope(p, scope) and not is_ignored(RULES, p) and p not in world.unreadable
    }


def assert_left_alone(before: World, after: World, paths: Collection[str]) -> None:
    for path in paths:
        assert after.local.get(path) == before.local.get(path), path
        assert after.remote.get(path) == before.remote.get(path), path


def assert_ignored_and_unreadable_left_alone(before: World, after: World) -> None:
    paths = set(before.local) | set(before.remote)
    assert_left_alone(
        before, after, {p for p in paths if is_ignored(RULES, p) or p in before.unreadable}
    )


@SETTINGS
@given(world=worlds(), scope=SCOPES)
def test_sync_loses_nothing_and_converges(world: World, scope: list[str] | None) -> None:
    plan = world.plan("sync", RULES, force=True, paths=scope)
    assert plan.gate is None

    after = apply_plan(world, plan)

    assert lost_contents(world, after, plan) == []
    assert_ignored_and_unreadable_left_alone(world, after)
    assert divergent_paths(after, planned_paths(after, scope)) == []
    again = after.plan("sync", RULES, force=True, paths=scope)
    assert again.operations == ()
    assert {s.path for s in again.skipped} <= world.unreadable


@SETTINGS
@given(world=worlds(), direction=st.sampled_from(("push", "pull")), scope=SCOPES)
def test_push_and_pull_touch_only_their_target(
    world: World, direction: Direction, scope: list[str] | None
) -> None:
    plan = world.plan(direction, RULES, force=True, paths=scope)
    assert plan.gate is None

    after = apply_plan(world, plan)

    assert lost_contents(world, after, plan) == []
    assert_ignored_and_unreadable_left_alone(world, after)
    if direction == "push":
        assert (after.local, after.trash) == (world.local, [])
    else:
        assert (after.remote, after.versions) == (world.remote, world.versions)
    assert after.plan(direction, RULES, force=True, paths=scope).operations == ()


@SETTINGS
@given(
    world=worlds(flags=True),
    direction=st.sampled_from(("push", "pull", "sync")),
    force=st.booleans(),
)
def test_gates_stop_everything_and_otherwise_nothing_is_lost(
    world: World, direction: Direction, force: bool
) -> None:
    plan = world.plan(direction, RULES, force=force)

    tracked = any(not is_ignored(RULES, p) for p in world.base)
    if not world.listing_complete:
        assert plan.gate is not None and plan.gate.code == "remote_listing_incomplete"
    elif not world.marker_present and tracked:
        assert plan.gate is not None and plan.gate.code == "local_folder_missing"
    if plan.gate is not None:
        assert (plan.operations, plan.skipped) == ((), ())
        assert plan.gate.forceable == (plan.gate.code in ("one_side_empty", "mass_delete"))
        assert not (force and plan.gate.forceable)
        return
    after = apply_plan(world, plan)
    assert lost_contents(world, after, plan) == []
    assert after.plan(direction, RULES, force=force).operations == ()


@SETTINGS
@given(world=worlds(flags=True), direction=st.sampled_from(("push", "pull", "sync")))
def test_plans_are_deterministic(world: World, direction: Direction) -> None:
    snapshot, listing = world.snapshot(), world.listing()

    def plan(reverse: bool) -> Plan:
        def order(mapping: dict[str, object]) -> list[str]:
            return sorted(mapping, reverse=reverse)

        return plan_sync(
            dataclasses.replace(
                snapshot,
                files={p: snapshot.files[p] for p in order(dict(snapshot.files))},
                unreadable=tuple(sorted(snapshot.unreadable, reverse=reverse)),
            ),
            dataclasses.replace(
                listing, files={p: listing.files[p] for p in order(dict(listing.files))}
            ),
            {p: world.base[p] for p in order(dict(world.base))},
            direction=direction,
            force=False,
            rules=RULES,
            now=NOW,
            who=WHO,
            where=WHERE,
        )

    assert plan(reverse=False) == plan(reverse=True)
