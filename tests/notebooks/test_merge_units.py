"""The pure notebook merge: which differences merge, which clash, and what is never merged."""

from __future__ import annotations

import copy
import json
from typing import Any

import nbformat
import pytest

from aext_project_filebrowser_server.services.sync.notebook_merge import (
    VOLATILE_METADATA,
    Clash,
    Merged,
    Unmergeable,
    merge_notebooks,
    merge_preview,
)

from .conftest import cells_of, dump, notebook, ran, source_of

BASE = notebook(("md1", "# Title"), ("a", "a = 1"), ("b", "b = 2\nc = 3\nd = 4"))


def with_source(nb: Any, cell_id: str, source: str) -> Any:
    changed = copy.deepcopy(nb)
    next(c for c in changed.cells if c.id == cell_id).source = source
    return changed


def merge(local: Any, remote: Any, base: Any = BASE, **kw: Any) -> Any:
    return merge_notebooks(dump(base), dump(local), dump(remote), **kw)


def test_outputs_counts_and_volatile_metadata_merge_keeping_the_local_side() -> None:
    ours = ran(copy.deepcopy(BASE), "a", 1, "local\n")
    theirs = ran(copy.deepcopy(BASE), "a", 9, "cloud\n")
    ours.metadata["language_info"]["version"] = "3.10"
    theirs.metadata["language_info"]["version"] = "3.12"
    ours.cells[1].metadata["collapsed"] = True
    theirs.cells[1].metadata["collapsed"] = False
    theirs.cells[1].metadata["execution"] = {"iopub.status.busy": "2026-11-22T14:03:00Z"}
    result = merge(ours, theirs)
    assert isinstance(result, Merged)
    merged = json.loads(result.content)
    cell = cells_of(result.content)["a"]
    assert cell["execution_count"] == 1 and "".join(cell["outputs"][0]["text"]) == "local\n"
    assert cell["metadata"]["collapsed"] is True
    assert merged["metadata"]["language_info"]["version"] == "3.10"


def test_the_merged_file_is_written_the_way_jupyter_writes_notebooks() -> None:
    result = merge(with_source(BASE, "a", "a = 10"), with_source(BASE, "b", "b = 20"))
    assert isinstance(result, Merged)
    expected = nbformat.writes(nbformat.reads(result.content.decode(), as_version=4))
    assert result.content.decode() == expected + ("" if expected.endswith("\n") else "\n")


def test_edits_in_different_cells_and_identical_edits_merge() -> None:
    result = merge(with_source(BASE, "a", "a = 10"), with_source(BASE, "b", "b = 20"))
    assert isinstance(result, Merged)
    merged = cells_of(result.content)
    assert (source_of(merged["a"]), source_of(merged["b"])) == ("a = 10", "b = 20")
    same = with_source(BASE, "a", "a = 5")
    assert isinstance(merge(same, same), Merged)


@pytest.mark.parametrize(
    ("local_source", "remote_source"),
    [
        ("a = 10", "a = 20"),
        # different lines of one cell are still one cell edited twice: a person decides
        ("b = 20\nc = 3\nd = 4", "b = 2\nc = 3\nd = 40"),
    ],
)
def test_the_same_cell_edited_on_both_sides_clashes(local_source: str, remote_source: str) -> None:
    cell = "a" if local_source.startswith("a") else "b"
    result = merge(with_source(BASE, cell, local_source), with_source(BASE, cell, remote_source))
    assert result == Clash((cell,))


def test_a_cell_deleted_on_one_side_and_edited_on_the_other_clashes() -> None:
    ours = copy.deepcopy(BASE)
    del ours.cells[1]
    assert merge(ours, with_source(BASE, "a", "a = 99")) == Clash(("a",))


def test_cells_inserted_at_the_same_place_clash_and_are_named() -> None:
    ours, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    ours.cells.insert(1, nbformat.v4.new_code_cell("mine", id="new-local"))
    theirs.cells.insert(1, nbformat.v4.new_code_cell("theirs", id="new-remote"))
    assert merge(ours, theirs) == Clash(("new-local", "new-remote"))


def test_cells_without_ids_are_named_by_position() -> None:
    old = nbformat.v4.new_notebook(
        cells=[nbformat.v4.new_code_cell("x = 1"), nbformat.v4.new_code_cell("y = 2")]
    )
    old.nbformat_minor = 4
    for cell in old.cells:
        del cell["id"]
    result = merge(with_source_at(old, 1, "y = 3"), with_source_at(old, 1, "y = 4"), old)
    assert result == Clash(("#1",))


def with_source_at(nb: Any, index: int, source: str) -> Any:
    changed = copy.deepcopy(nb)
    changed.cells[index].source = source
    return changed


def test_volatile_metadata_is_configurable() -> None:
    ours, theirs = copy.deepcopy(BASE), copy.deepcopy(BASE)
    ours.metadata["language_info"]["version"] = "3.10"
    theirs.metadata["language_info"]["version"] = "3.12"
    strict = [p for p in VOLATILE_METADATA if p != "/metadata/language_info"]
    assert isinstance(merge(ours, theirs), Merged)
    result = merge(ours, theirs, volatile=strict)
    assert isinstance(result, Clash) and result.cells[0].startswith("notebook metadata")


@pytest.mark.parametrize(
    ("broken", "reason"),
    [
        (b'{"cells": [', "is not valid JSON"),
        (b"\xff\xfe not utf-8", "is not valid JSON"),
        (b"[" * 100_000 + b"]" * 100_000, "is not valid JSON"),
        (b"[1, 2]", "is not an nbformat 4 notebook"),
        (b'{"cells": []}', "is not an nbformat 4 notebook"),
        (json.dumps({"nbformat": 3, "nbformat_minor": 0, "worksheets": []}).encode(), "nbformat 4"),
        (json.dumps({"nbformat": 4, "nbformat_minor": 5, "cells": 7}).encode(), "schema"),
    ],
)
@pytest.mark.parametrize("side", ["base", "local", "remote"])
def test_anything_but_a_valid_notebook_is_unmergeable(
    broken: bytes, reason: str, side: str
) -> None:
    sides = {"base": dump(BASE), "local": dump(BASE), "remote": dump(BASE), side: broken}
    result = merge_notebooks(sides["base"], sides["local"], sides["remote"])
    assert isinstance(result, Unmergeable)
    assert result.reason.startswith(f"the {side} version") and reason in result.reason


def test_the_preview_uses_the_same_merge() -> None:
    ours, theirs = with_source(BASE, "a", "a = 10"), with_source(BASE, "a", "a = 20")
    assert merge_preview(dump(BASE), dump(ours), dump(ours)) == "will merge notebook"
    assert merge_preview(dump(BASE), dump(ours), dump(theirs)) == (
        "conflict copy: the same cells changed on both sides (a)"
    )
    assert merge_preview(None, dump(ours), dump(theirs)).startswith("conflict copy: no common")
    assert merge_preview(dump(BASE), b"{", dump(theirs)) == (
        "conflict copy: the local version is not valid JSON"
    )
