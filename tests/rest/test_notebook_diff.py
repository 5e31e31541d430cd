"""`POST notebook_diff`: nbdime's diff of two notebooks for the panel's Compare view; bad
input is a 4xx with a stable code, never a 500."""

from __future__ import annotations

from typing import Any

from .helpers import Api


def notebook(*sources: str) -> dict[str, Any]:
    cells = [
        {"cell_type": "code", "metadata": {}, "source": s, "outputs": [], "execution_count": None}
        for s in sources
    ]
    return {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}


async def test_the_diff_names_the_changed_cell_and_keeps_the_base(api: Api) -> None:
    base = notebook("a = 1", "b = 2")
    remote = notebook("a = 1", "b = 3")
    reply = await api.call("POST", "notebook_diff", body={"base": base, "remote": remote})
    assert reply.code == 200, reply.body
    assert [c["source"] for c in reply.body["base"]["cells"]] == ["a = 1", "b = 2"]
    [cells] = [d for d in reply.body["diff"] if d["key"] == "cells"]
    patched = [d["key"] for d in cells["diff"] if d["op"] == "patch"]
    assert patched == [1]  # only the second cell changed


async def test_equal_notebooks_have_an_empty_diff(api: Api) -> None:
    same = notebook("x = 1")
    reply = await api.call("POST", "notebook_diff", body={"base": same, "remote": same})
    assert reply.code == 200, reply.body
    assert reply.body["diff"] == []


async def test_bad_bodies_are_400_with_a_code(api: Api) -> None:
    cases = [
        (b"not json", "invalid_body"),
        (b"[1, 2]", "invalid_body"),
        (b'{"base": {"cells": []}}', "invalid_notebook"),
        (b'{"base": 3, "remote": {"cells": []}}', "invalid_notebook"),
        (b'{"base": {"cells": "no"}, "remote": {"cells": []}}', "invalid_notebook"),
    ]
    for raw, code in cases:
        reply = await api.call("POST", "notebook_diff", raw=raw)
        assert (reply.code, reply.error_code) == (400, code), (raw, reply.body)
