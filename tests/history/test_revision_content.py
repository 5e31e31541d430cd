"""One cloud revision's bytes over REST: exactly what was uploaded, with a type from the name,
never cached; unknown revisions are 404s and revisions over the cap 413s."""

from __future__ import annotations

import hashlib
import json
import os
import tracemalloc
from typing import Any

import pytest

from aext_project_filebrowser_server.services import version_content
from aext_project_filebrowser_server.testing import EXTENSION, run_over_ws

from .conftest import api, put_remote

NOTEBOOK_V1 = json.dumps({"cells": [], "nbformat": 4, "nbformat_minor": 5}).encode()
NOTEBOOK_V2 = json.dumps({"cells": [{"cell_type": "markdown", "source": "hi"}]}).encode()


async def versions(jp_fetch: Any, project_id: str, path: str) -> list[str]:
    status, body = await api(jp_fetch, "GET", "projects", project_id, "files", path, "versions")
    assert status == 200, body
    return [v["file_version_id"] for v in body["versions"]]


async def content(jp_fetch: Any, project_id: str, path: str, version: str) -> Any:
    parts = ("projects", project_id, "files", path, "versions", version, "content")
    return await jp_fetch(EXTENSION, *parts, method="GET", raise_error=False)


async def test_each_revision_answers_its_own_bytes(
    jp_fetch, jp_ws_fetch, make_project, cloud_http
) -> None:
    big = os.urandom(3 * version_content.CHUNK_BYTES + 17)  # several chunks
    project = await make_project(
        {"nb/analysis.ipynb": NOTEBOOK_V1, "table.json": b"[1]", "blob.bin": big, "empty.txt": b""}
    )
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    put_remote(cloud_http, project.id, "nb/analysis.ipynb", NOTEBOOK_V2)
    newest, oldest = await versions(jp_fetch, project.id, "nb/analysis.ipynb")

    for version, expected in [(oldest, NOTEBOOK_V1), (newest, NOTEBOOK_V2)]:
        reply = await content(jp_fetch, project.id, "nb/analysis.ipynb", version)
        assert reply.code == 200, reply.body
        assert reply.body == expected
        assert reply.headers["Content-Type"] == "application/x-ipynb+json"
        assert reply.headers["Cache-Control"] == "no-store"
        assert "sandbox" in reply.headers["Content-Security-Policy"]
    for path, expected, media in [
        ("table.json", b"[1]", "application/json"),
        ("blob.bin", big, "application/octet-stream"),
        ("empty.txt", b"", "text/plain"),
    ]:
        (version,) = await versions(jp_fetch, project.id, path)
        reply = await content(jp_fetch, project.id, path, version)
        assert reply.code == 200, (path, reply.body[:200])
        assert reply.body == expected, path
        assert reply.headers["Content-Type"] == media, path
    # Read-only: the local file is untouched and no temp file is left behind.
    assert (project.root / "nb/analysis.ipynb").read_bytes() == NOTEBOOK_V1
    assert not list((project.root / ".aext-project").rglob("*.part"))


async def test_unknown_revisions_and_files_are_404s(jp_fetch, jp_ws_fetch, make_project) -> None:
    project = await make_project({"a.txt": b"a"})
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    (version,) = await versions(jp_fetch, project.id, "a.txt")
    for path, asked in [("a.txt", "no-such-version"), ("missing.txt", version)]:
        reply = await content(jp_fetch, project.id, path, asked)
        assert reply.code == 404, (path, reply.body)
        assert reply.headers["Content-Type"].startswith("application/json")
        assert json.loads(reply.body)["code"] == "not_found"


async def test_a_revision_over_the_cap_is_a_413(
    jp_fetch, jp_ws_fetch, make_project, monkeypatch: pytest.MonkeyPatch
) -> None:
    project = await make_project({"a.txt": b"0123456789"})
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    (version,) = await versions(jp_fetch, project.id, "a.txt")
    monkeypatch.setattr(version_content, "MAX_CONTENT_BYTES", 9)
    reply = await content(jp_fetch, project.id, "a.txt", version)
    assert reply.code == 413, reply.body
    assert json.loads(reply.body)["code"] == "too_large"
    monkeypatch.setattr(version_content, "MAX_CONTENT_BYTES", 10)
    assert (await content(jp_fetch, project.id, "a.txt", version)).body == b"0123456789"


async def test_a_large_revision_is_streamed_not_held_in_memory(
    jp_fetch, jp_ws_fetch, make_project
) -> None:
    """32 MiB through the server while tracing allocations: the peak stays under half the
    file (the download's 4 MiB batches and the 1 MiB chunks sent), and the bytes match."""
    size = 32 * 1024 * 1024
    data = os.urandom(size)
    project = await make_project({"big.bin": data})
    assert (await run_over_ws(jp_ws_fetch, project.id, "push"))[-1]["type"] == "completed"
    (version,) = await versions(jp_fetch, project.id, "big.bin")
    expected = hashlib.sha256(data).hexdigest()
    del data
    received = hashlib.sha256()
    parts = ("projects", project.id, "files", "big.bin", "versions", version, "content")
    tracemalloc.start()
    try:
        reply = await jp_fetch(
            EXTENSION, *parts, method="GET", streaming_callback=received.update, request_timeout=120
        )
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert reply.code == 200
    assert reply.headers["Content-Length"] == str(size)
    assert received.hexdigest() == expected
    assert peak < size // 2, f"peak {peak / 2**20:.1f} MiB while sending {size / 2**20:.0f} MiB"
