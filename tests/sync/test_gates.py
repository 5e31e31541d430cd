"""Safety gates: refuse plans that would read an outage or a replaced folder as deletions."""

from __future__ import annotations

import pytest

from aext_project_filebrowser_server.services.sync.ignore import ignore_rules
from aext_project_filebrowser_server.services.sync.plan import Direction

from .world import World

RULES = ignore_rules()


def synced_world(count: int) -> World:
    world = World()
    for i in range(count):
        path = f"f{i:02}.txt"
        content = f"content {i}".encode()
        world.local[path] = content
        world.remote[path] = world.add_version(path, content)
        world.set_base(path, world.remote[path])
    return world


def delete_locally(world: World, count: int) -> World:
    for path in sorted(world.local)[:count]:
        del world.local[path]
    return world


def delete_remotely(world: World, count: int) -> World:
    for path in sorted(world.remote)[:count]:
        del world.remote[path]
    return world


@pytest.mark.parametrize("direction", ["sync", "push"])
def test_mass_delete_in_the_cloud_is_refused(direction: Direction) -> None:
    world = delete_locally(synced_world(20), 11)

    plan = world.plan(direction, RULES)

    assert plan.gate is not None and plan.gate.code == "mass_delete"
    assert plan.gate.forceable
    assert "11 of 20" in plan.gate.message
    assert plan.operations == ()


@pytest.mark.parametrize("direction", ["sync", "pull"])
def test_mass_delete_locally_is_refused(direction: Direction) -> None:
    world = delete_remotely(synced_world(20), 11)

    plan = world.plan(direction, RULES)

    assert plan.gate is not None and plan.gate.code == "mass_delete"
    assert plan.operations == ()


def test_mass_delete_passes_when_forced() -> None:
    world = delete_locally(synced_world(20), 11)

    plan = world.plan("sync", RULES, force=True)

    assert plan.gate is None
    assert plan.summary().counts["delete_remote"] == 11


@pytest.mark.parametrize(
    ("tracked", "deleted"),
    [
        (20, 10),  # more than half would need 11
        (22, 11),  # exactly half is not more than half
        (12, 10),  # most of them, but not more than 10
    ],
)
def test_deletions_below_the_threshold_pass(tracked: int, deleted: int) -> None:
    world = delete_locally(synced_world(tracked), deleted)

    plan = world.plan("sync", RULES)

    assert plan.gate is None
    assert plan.summary().counts["delete_remote"] == deleted


def test_a_pull_is_not_refused_for_deletions_it_will_not_make() -> None:
    world = delete_locally(synced_world(20), 15)

    plan = world.plan("pull", RULES)

    assert plan.gate is None
    assert plan.operations == ()
    assert len(plan.skipped) == 15


def test_mass_delete_counts_only_the_planned_scope() -> None:
    world = delete_locally(synced_world(20), 15)

    plan = world.plan("sync", RULES, paths=["f00.txt", "f01.txt"])

    assert plan.gate is None
    assert [op.path for op in plan.operations] == ["f00.txt", "f01.txt"]


def test_incomplete_listing_is_not_forceable() -> None:
    world = synced_world(3)
    world.listing_complete = False

    plan = world.plan("sync", RULES, force=True)

    assert plan.gate is not None and plan.gate.code == "remote_listing_incomplete"
    assert not plan.gate.forceable
    assert plan.operations == ()


def test_missing_marker_with_an_empty_folder_is_not_a_mass_delete() -> None:
    world = synced_world(30)
    world.local.clear()
    world.marker_present = False

    plan = world.plan("sync", RULES, force=True)

    assert plan.gate is not None and plan.gate.code == "local_folder_missing"
    assert not plan.gate.forceable
    assert plan.operations == ()


def test_only_ignored_base_entries_do_not_make_a_missing_marker_a_gate() -> None:
    world = World(marker_present=False)
    world.set_base(".~old.ipynb", world.add_version(".~old.ipynb", b"old"))
    world.local["new.txt"] = b"new"

    plan = world.plan("sync", RULES)

    assert plan.gate is None
    assert [op.kind for op in plan.operations] == ["upload"]
