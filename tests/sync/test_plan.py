"""Planner behaviour the scenario table does not show well: summary, scope, order, naming."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import pytest

from aext_project_filebrowser_server.services.sync.ignore import ignore_rules
from aext_project_filebrowser_server.services.sync.plan import (
    Conflict,
    Plan,
    RecordBase,
    Upload,
    plan_sync,
)
from aext_project_filebrowser_server.services.sync.states import (
    BaseFile,
    LocalSnapshot,
    RemoteListing,
)

from .world import NOW, WHERE, WHO, World

RULES = ignore_rules()


def conflicted_world(*paths: str) -> World:
    world = World()
    for path in paths:
        world.set_base(path, world.add_version(path, b"base"))
        world.remote[path] = world.add_version(path, b"theirs!")
        world.local[path] = b"mine"
    return world


def test_summary_counts_every_kind_and_bytes_each_way() -> None:
    world = conflicted_world("c.txt")
    world.local["new.txt"] = b"12345"
    world.remote["cloud.txt"] = world.add_version("cloud.txt", b"123")

    summary = world.plan("sync", RULES).summary()

    assert summary.counts == {
        "upload": 1,
        "download": 1,
        "delete_remote": 0,
        "trash_local": 0,
        "record_base": 0,
        "drop_base": 0,
        "conflict": 1,
    }
    assert summary.upload_bytes == 5 + len(b"mine")
    assert summary.download_bytes == 3 + len(b"theirs!")
    assert summary.skipped == 0


def test_conflicts_in_one_folder_get_distinct_copies() -> None:
    world = conflicted_world("d/n.txt", "d/n", "d/N.txt")

    plan = world.plan("sync", RULES)

    copies = [op.copy_path for op in plan.operations if isinstance(op, Conflict)]
    assert copies == [
        "d/N (conflict, alice on lab-server, 2026-11-22 14-03).txt",
        "d/n (conflict, alice on lab-server, 2026-11-22 14-03)",
        "d/n (conflict, alice on lab-server, 2026-11-22 14-03) 2.txt",  # case-insensitive FS
    ]


def test_conflict_copies_never_reuse_an_existing_path_even_ignored_or_unreadable() -> None:
    world = conflicted_world("n.txt")
    name = "n (conflict, alice on lab-server, 2026-11-22 14-03).txt"
    world.local[name] = b"locked"
    world.unreadable = frozenset({name})

    (op,) = world.plan("sync", RULES).operations

    assert isinstance(op, Conflict)
    assert op.copy_path == "n (conflict, alice on lab-server, 2026-11-22 14-03) 2.txt"


def test_notebook_conflicts_carry_what_a_three_way_merge_needs() -> None:
    world = conflicted_world("nb/analysis.ipynb")
    base_version = world.base["nb/analysis.ipynb"].version_id

    (op,) = world.plan("sync", RULES).operations

    assert isinstance(op, Conflict)
    assert op.notebook
    assert op.base_version_id == base_version
    assert op.remote_version_id == world.remote["nb/analysis.ipynb"]


def test_record_base_carries_the_local_stat_for_the_cache() -> None:
    world = World()
    world.local["a.txt"] = b"same"
    world.remote["a.txt"] = world.add_version("a.txt", b"same")

    (op,) = world.plan("sync", RULES).operations

    assert isinstance(op, RecordBase)
    assert op.mtime_ns == world.snapshot().files["a.txt"].mtime_ns
    assert op.size == 4


@pytest.mark.parametrize(
    ("paths", "planned"),
    [
        (None, ["a.txt", "d/b.txt", "dd/c.txt"]),
        ([], []),
        ([""], ["a.txt", "d/b.txt", "dd/c.txt"]),
        (["/"], ["a.txt", "d/b.txt", "dd/c.txt"]),
        (["d"], ["d/b.txt"]),
        (["d/", "a.txt"], ["a.txt", "d/b.txt"]),
        (["d/b.txt/"], ["d/b.txt"]),
        (["missing"], []),
    ],
)
def test_paths_restrict_the_plan(paths: list[str] | None, planned: list[str]) -> None:
    world = World()
    for path in ("a.txt", "d/b.txt", "dd/c.txt"):
        world.local[path] = path.encode()

    plan = world.plan("sync", RULES, paths=paths)

    assert [op.path for op in plan.operations] == planned


def test_plan_does_not_depend_on_mapping_order() -> None:
    world = conflicted_world("z.txt", "a.txt", "m/x.ipynb")
    world.local["new.txt"] = b"n"
    world.remote["cloud.txt"] = world.add_version("cloud.txt", b"c")
    snapshot, listing = world.snapshot(), world.listing()
    reversed_snapshot = dataclasses.replace(
        snapshot, files=dict(reversed(list(snapshot.files.items())))
    )
    reversed_listing = dataclasses.replace(
        listing, files=dict(reversed(list(listing.files.items())))
    )

    def plan(snap: LocalSnapshot, lst: RemoteListing, base: Mapping[str, BaseFile]) -> Plan:
        return plan_sync(
            snap,
            lst,
            base,
            direction="sync",
            force=False,
            rules=RULES,
            now=NOW,
            who=WHO,
            where=WHERE,
        )

    first = plan(snapshot, listing, dict(world.base))
    second = plan(reversed_snapshot, reversed_listing, dict(reversed(list(world.base.items()))))

    assert first == second
    assert [op.path for op in first.operations] == sorted(op.path for op in first.operations)


def test_plans_and_operations_are_frozen() -> None:
    world = World()
    world.local["a.txt"] = b"a"
    plan = world.plan("sync", RULES)
    (op,) = plan.operations

    assert isinstance(op, Upload)
    with pytest.raises(dataclasses.FrozenInstanceError):
        op.path = "b.txt"  # type: ignore[misc]
    with pytest.raises(dataclasses.FrozenInstanceError):
        plan.operations = ()  # type: ignore[misc]


def test_every_operation_says_why() -> None:
    world = conflicted_world("c.txt")
    world.local["new.txt"] = b"n"
    world.local["gone.txt"] = b"g"
    world.set_base("gone.txt", world.add_version("gone.txt", b"g"))
    world.remote["keep.txt"] = world.add_version("keep.txt", b"k")

    plan = world.plan("sync", RULES)

    assert len(plan.operations) == 4
    assert all(op.reason for op in plan.operations)
    push = world.plan("push", RULES)
    assert [(s.path, s.reason) for s in push.skipped] == [
        ("c.txt", "changed on both sides; run sync"),
        ("gone.txt", "deleted in the cloud; pull or sync to move the local file to trash"),
        ("keep.txt", "new in the cloud; pull or sync to download it"),
    ]
