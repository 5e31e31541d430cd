"""Table tests: every case in `cases/` (DESIGN §5 rows, extras, gates) in each direction."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest

if sys.version_info >= (3, 11):
    import tomllib
else:  # Python 3.10 needs the backport (the test extra should list tomli for it)
    import tomli as tomllib

from aext_project_filebrowser_server.services.sync.ignore import ignore_rules
from aext_project_filebrowser_server.services.sync.plan import Direction, Operation
from aext_project_filebrowser_server.services.sync.status import project_statuses

from .world import World, apply_plan, lost_contents, sha

CASES_DIR = Path(__file__).parent / "cases"
CASE_FILES = sorted(CASES_DIR.glob("*.toml"))
DIRECTIONS: tuple[Direction, ...] = ("sync", "push", "pull")
CASE_KEYS = {
    "row",
    "description",
    "force",
    "paths",
    "marker_present",
    "listing_complete",
    "projectignore",
    "unreadable",
    "base",
    "local",
    "remote",
    "history",
    "status",
    *DIRECTIONS,
}
NONE = "<none>"


def load_case(path: Path) -> dict[str, Any]:
    case = tomllib.loads(path.read_text(encoding="utf-8"))
    unknown = set(case) - CASE_KEYS
    assert not unknown, f"{path.name}: unknown keys {sorted(unknown)}"
    missing = [d for d in DIRECTIONS if d not in case]
    assert not missing, f"{path.name}: expectations missing for {missing}"
    return case


def world_of(case: dict[str, Any]) -> World:
    world = World(
        marker_present=case.get("marker_present", True),
        listing_complete=case.get("listing_complete", True),
        unreadable=frozenset(case.get("unreadable", [])),
    )

    def version(path: str, spec: str) -> str:
        token, _, version_id = spec.partition("@")
        assert version_id, f"{path}: cloud entries are 'content@version', got {spec!r}"
        if version_id in world.versions:
            assert world.versions[version_id] == (path, token.encode()), f"{version_id} reused"
        else:
            world.add_version(path, token.encode(), version_id)
        return version_id

    for path, specs in case.get("history", {}).items():
        for spec in specs:
            version(path, spec)
    for path, spec in case.get("base", {}).items():
        world.set_base(path, version(path, spec))
    for path, spec in case.get("remote", {}).items():
        world.remote[path] = version(path, spec)
    for path, token in case.get("local", {}).items():
        world.local[path] = token.encode()
    return world


def expected_value(field: str, value: Any) -> Any:
    if value == NONE:
        return None
    return sha(value.encode()) if field.endswith("sha256") else value


def observed(op: Operation, spec: dict[str, Any]) -> dict[str, Any]:
    return {field: getattr(op, field) for field in spec}


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("case_file", CASE_FILES, ids=[f.stem for f in CASE_FILES])
def test_scenario_plan(case_file: Path, direction: Direction) -> None:
    case = load_case(case_file)
    expected = case[direction]
    world = world_of(case)
    rules = ignore_rules(case.get("projectignore"))

    plan = world.plan(direction, rules, force=case.get("force", False), paths=case.get("paths"))

    assert (plan.gate.code if plan.gate else None) == expected.get("gate")
    specs = expected["operations"]
    assert [(op.kind, op.path) for op in plan.operations] == [(s["kind"], s["path"]) for s in specs]
    for op, spec in zip(plan.operations, specs, strict=True):
        assert observed(op, spec) == {k: expected_value(k, v) for k, v in spec.items()}
    assert [s.path for s in plan.skipped] == expected.get("skipped", [])


@pytest.mark.parametrize("direction", DIRECTIONS)
@pytest.mark.parametrize("case_file", CASE_FILES, ids=[f.stem for f in CASE_FILES])
def test_scenario_execution_loses_nothing_and_settles(
    case_file: Path, direction: Direction
) -> None:
    case = load_case(case_file)
    world = world_of(case)
    rules = ignore_rules(case.get("projectignore"))
    force, paths = case.get("force", False), case.get("paths")
    plan = world.plan(direction, rules, force=force, paths=paths)

    after = apply_plan(world, plan)

    assert lost_contents(world, after, plan) == []
    assert after.plan(direction, rules, force=force, paths=paths).operations == ()


@pytest.mark.parametrize(
    "case_file",
    [f for f in CASE_FILES if "status" in load_case(f)],
    ids=lambda f: f.stem,
)
def test_scenario_statuses(case_file: Path) -> None:
    case = load_case(case_file)
    world = world_of(case)
    rules = ignore_rules(case.get("projectignore"))

    statuses = project_statuses(world.snapshot(), world.listing(), world.base, rules)

    assert statuses == case["status"]


def test_every_design_row_has_a_case() -> None:
    rows = {load_case(f)["row"] for f in CASE_FILES}
    design_rows = {
        "yes | same | same",
        "yes | changed | same",
        "yes | same | changed",
        "yes | changed | changed, equal bytes",
        "yes | changed | changed, different",
        "yes | deleted | same",
        "yes | same | deleted",
        "yes | deleted | changed",
        "yes | changed | deleted",
        "yes | deleted | deleted",
        "no | new | absent",
        "no | absent | new",
        "no | new | new, equal",
        "no | new | new, different",
    }
    assert design_rows <= rows
