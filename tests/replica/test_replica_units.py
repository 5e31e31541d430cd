"""Unit tests of the replica's pure pieces: paths, fault specs, ranges, cursors, seed."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest

from aext_project_filebrowser_server.cloud.replica.cursors import (
    decode_cursor,
    encode_cursor,
    next_page_url,
    parse_limit,
)
from aext_project_filebrowser_server.cloud.replica.errors import (
    InvalidPath,
    InvalidRequest,
    RangeNotSatisfiable,
)
from aext_project_filebrowser_server.cloud.replica.faults import (
    FaultInjector,
    FaultSpec,
    parse_faults,
)
from aext_project_filebrowser_server.cloud.replica.paths import normalize_path
from aext_project_filebrowser_server.cloud.replica.ranges import parse_range
from aext_project_filebrowser_server.cloud.replica.seed import (
    DEFAULT_SEED,
    SeedError,
    file_bytes,
    load_seed,
)

BAD_PATHS = [
    "",
    "/etc/passwd",
    "a//b",
    "a/",
    "./a",
    "a/./b",
    "../a",
    "a/../../b",
    "..",
    "a\\b",
    "a\x00b",
    "a\nb",
    "a\x7fb",
    "a\udcffb",  # a byte that was not UTF-8, as surrogateescape decodes it
    "x" * 256,
    "/".join(["abcdefghij"] * 94),  # 1033 bytes
]


@pytest.mark.parametrize("path", BAD_PATHS)
def test_bad_paths_are_refused(path: str) -> None:
    with pytest.raises(InvalidPath):
        normalize_path(path)


def test_paths_are_nfc_normalised() -> None:
    assert normalize_path("cafe\u0301/nb.ipynb") == "caf\u00e9/nb.ipynb"
    assert normalize_path("a/b c/.hidden/..x") == "a/b c/.hidden/..x"
    assert normalize_path("x" * 255) == "x" * 255


def test_fault_spec_parses_the_documented_example() -> None:
    spec = parse_faults(
        "latency=50ms,error_rate=0.1,status=503,rate_limit=429:retry_after=1,drop_rate=0.05,seed=7"
    )
    assert spec == FaultSpec(
        latency_s=0.05,
        error_rate=0.1,
        status=503,
        rate_limit_status=429,
        retry_after_s=1,
        drop_rate=0.05,
        seed=7,
    )
    assert parse_faults(str(spec)) == spec
    assert parse_faults("") == FaultSpec()
    assert not FaultSpec().active


@pytest.mark.parametrize(
    "spec", ["bogus=1", "error_rate=2", "status=200", "latency=fast", "rate_limit=429:x=1", "x"]
)
def test_bad_fault_specs_are_refused(spec: str) -> None:
    with pytest.raises(ValueError):
        parse_faults(spec)


def test_fault_draws_are_deterministic_per_seed() -> None:
    spec = parse_faults("error_rate=0.3,drop_rate=0.1,seed=7")
    first = [FaultInjector(spec).decide("GET").action for _ in range(1)]
    a, b = FaultInjector(spec), FaultInjector(spec)
    run_a = [a.decide("GET").action for _ in range(200)]
    run_b = [b.decide("GET").action for _ in range(200)]
    assert run_a == run_b
    assert first[0] == run_a[0]
    assert {"none", "error", "drop"} == set(run_a)
    other = FaultInjector(parse_faults("error_rate=0.3,drop_rate=0.1,seed=8"))
    assert [other.decide("GET").action for _ in range(200)] != run_a


def test_fault_methods_filter_and_token_bucket() -> None:
    only_put = FaultInjector(parse_faults("error_rate=1,methods=PUT"))
    assert only_put.decide("GET").action == "none"
    assert only_put.decide("PUT").action == "error"
    now = [0.0]
    bucket = FaultInjector(parse_faults("rate_limit=429:retry_after=2:rps=2"), lambda: now[0])
    actions = [bucket.decide("GET") for _ in range(3)]
    assert [d.action for d in actions] == ["none", "none", "rate_limit"]
    assert actions[2].status == 429 and actions[2].retry_after_s == 2
    now[0] = 1.0
    assert bucket.decide("GET").action == "none"


@pytest.mark.parametrize(
    ("header", "size", "expected"),
    [
        (None, 10, None),
        ("bytes=0-3", 10, (0, 3)),
        ("bytes=5-", 10, (5, 9)),
        ("bytes=-4", 10, (6, 9)),
        ("bytes=-40", 10, (0, 9)),
        ("bytes=8-100", 10, (8, 9)),
        ("bytes=5-2", 10, None),
        ("bytes=0-1,4-5", 10, None),
        ("items=0-1", 10, None),
    ],
)
def test_parse_range(header: str | None, size: int, expected: tuple[int, int] | None) -> None:
    assert parse_range(header, size) == expected


@pytest.mark.parametrize(("header", "size"), [("bytes=10-", 10), ("bytes=-0", 10), ("bytes=0-", 0)])
def test_unsatisfiable_ranges(header: str, size: int) -> None:
    with pytest.raises(RangeNotSatisfiable) as raised:
        parse_range(header, size)
    assert raised.value.headers["Content-Range"] == f"bytes */{size}"


def test_cursors_round_trip_and_links_keep_filters() -> None:
    cursor = encode_cursor(["2024-01-01T00:00:00", "abc"])
    assert decode_cursor(cursor, 2) == ["2024-01-01T00:00:00", "abc"]
    for bad in ("!!!", encode_cursor(["only-one"]), "e30"):
        with pytest.raises(InvalidRequest):
            decode_cursor(bad, 2)
    url = next_page_url("http://h:1/api/projects/?owner=me&cursor=old&limit=5", "new")
    assert url == "http://h:1/api/projects/?owner=me&limit=5&cursor=new"
    assert parse_limit(None, 25, 1000) == 25
    for bad_limit in ("0", "1001", "x"):
        with pytest.raises(InvalidRequest):
            parse_limit(bad_limit, 25, 1000)


def test_demo_seed_is_valid_and_has_real_notebooks() -> None:
    seed = load_seed(DEFAULT_SEED)
    names = {u.name: u for u in seed.users}
    assert names["alice"].api_keys == ["demo-alice-key"]
    assert names["bob"].api_keys == ["demo-bob-key"]
    acme = next(o for o in seed.organizations if o.name == "acme")
    assert set(acme.members) == {names["alice"].id, names["bob"].id}
    suffixes = set()
    for project in seed.projects:
        for path, content in project.files.items():
            suffixes.add(Path(path).suffix)
            if path.endswith(".ipynb"):
                nbformat.validate(nbformat.reads(file_bytes(content).decode(), as_version=4))
    assert {".ipynb", ".csv", ".py"} <= suffixes
    assert any(p.owner.type == "organization" for p in seed.projects)
    assert any(s.role == "reader" for p in seed.projects for s in p.shares)


def test_seed_cross_references_are_checked(tmp_path: Path) -> None:
    bad = {
        "users": [{"id": "u1", "name": "u", "email": "u@x"}],
        "organizations": [{"id": "o1", "name": "o", "members": ["nobody"]}],
    }
    path = tmp_path / "seed.json"
    path.write_text(json.dumps(bad))
    with pytest.raises(SeedError, match="unknown member"):
        load_seed(path)
    path.write_text(json.dumps({"projects": [{"name": "Bad Name", "title": "t"}]}))
    with pytest.raises(SeedError):
        load_seed(path)


def test_seeding_a_data_dir(tmp_path: Path) -> None:
    from aext_project_filebrowser_server.cloud.replica.server import ReplicaConfig, open_state

    state = open_state(ReplicaConfig(data_dir=tmp_path / "data"))
    try:
        assert {u.name for u in state.directory.users.values()} == {"alice", "bob", "carol"}
        assert set(state.directory.org_names.values()) == {"acme"}
    finally:
        state.blob_executor.shutdown()
        state.db.close()
    reopened = open_state(ReplicaConfig(data_dir=tmp_path / "data", seed_path=tmp_path / "none"))
    reopened.blob_executor.shutdown()
    reopened.db.close()  # an already seeded dir never reads the seed file again
