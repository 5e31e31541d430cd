"""Generated edit pairs: a notebook merge never loses a cell source written on either side."""

from __future__ import annotations

import copy
import json
import logging
from typing import Any

import nbformat
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook, new_output

from aext_project_filebrowser_server.services.sync.notebook_merge import (
    Clash,
    Merged,
    merge_notebooks,
)

# (kind, position): positions are taken modulo the notebook's length when applied.
Edit = tuple[str, int]
edits = st.lists(
    st.tuples(st.sampled_from(["source", "delete", "insert", "run", "view"]), st.integers(0, 9)),
    max_size=4,
)


def base_notebook(size: int) -> Any:
    cells = [
        new_code_cell(f"x{i} = {i}\nprint(x{i})", id=f"c{i}")
        if i % 3
        else new_markdown_cell(f"# Section {i}\ntext {i}", id=f"c{i}")
        for i in range(size)
    ]
    return new_notebook(cells=cells, metadata={"language_info": {"name": "python"}})


def apply_edits(base: Any, side: str, steps: list[Edit]) -> tuple[Any, set[str], set[str]]:
    """The edited notebook, the sources this side wrote, and the base ids it deleted."""
    notebook = copy.deepcopy(base)
    written: set[str] = set()
    deleted: set[str] = set()
    for n, (kind, position) in enumerate(steps):
        cells = notebook.cells
        if kind == "insert":
            text = f"{side} inserted {n}\nvalue = {n}"
            cells.insert(position % (len(cells) + 1), new_code_cell(text, id=f"{side}-{n}"))
            written.add(text)
            continue
        if not cells:
            continue
        cell = cells[position % len(cells)]
        if kind == "source":
            written.discard(cell.source)
            cell.source = f"{side} edit {n} of {cell.id}\n{cell.source}"
            written.add(cell.source)
        elif kind == "delete":
            written.discard(cell.source)
            deleted.add(cell.id)
            cells.remove(cell)
        elif kind == "run" and cell.cell_type == "code":
            cell.execution_count = n + 1
            cell.outputs = [new_output("stream", name="stdout", text=f"{side} ran {n}\n")]
        elif kind == "view":
            cell.metadata["collapsed"] = n % 2 == 0
    return notebook, written, deleted


def as_bytes(notebook: Any, split: bool) -> bytes:
    """As Jupyter saves it (text split into lines), or as one string per field."""
    return (nbformat.writes(notebook) if split else json.dumps(notebook)).encode()


@settings(
    max_examples=200,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    size=st.integers(0, 5),
    local_steps=edits,
    remote_steps=edits,
    split=st.tuples(st.booleans(), st.booleans(), st.booleans()),
)
def test_a_merge_keeps_every_source_either_side_wrote(
    caplog: pytest.LogCaptureFixture,
    size: int,
    local_steps: list[Edit],
    remote_steps: list[Edit],
    split: tuple[bool, bool, bool],
) -> None:
    base = base_notebook(size)
    local, local_written, local_deleted = apply_edits(base, "local", local_steps)
    remote, remote_written, remote_deleted = apply_edits(base, "remote", remote_steps)
    caplog.clear()
    with caplog.at_level(logging.WARNING):
        result = merge_notebooks(
            as_bytes(base, split[0]), as_bytes(local, split[1]), as_bytes(remote, split[2])
        )
    # nbdime and the clash rules decide on their own: neither the last-resort check nor
    # the crash guard ever fires
    assert not [r for r in caplog.records if r.name.endswith("notebook_merge")]
    transient_only = {kind for kind, _ in [*local_steps, *remote_steps]} <= {"run", "view"}
    if transient_only:
        assert isinstance(result, Merged), result
    assert isinstance(result, Merged | Clash), result
    if isinstance(result, Clash):
        assert result.cells  # a clash always names the cells
        return
    merged = json.loads(result.content)
    sources = {"".join(cell["source"]) for cell in merged["cells"]}
    assert local_written | remote_written <= sources
    survivors = {c.id for c in base.cells} - local_deleted - remote_deleted
    assert survivors <= {cell["id"] for cell in merged["cells"]}
