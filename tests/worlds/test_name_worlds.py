"""Randomized worlds whose files have names as they really occur (issue #16).

Hypothesis draws the worlds: names from every class (NFC and NFD spellings of one name,
bytes that are not UTF-8 as `os.fsdecode` hands them out, control characters, backslashes,
case variants, plain names), which side each file starts on (the cloud only gets names it
can hold; the replica stores NFD as NFC, as the cloud does), then edits, deletes and
renames on both sides. Each world is played by the worlds harness through the real
executor and a real replica, and checked with its invariants: both sides converge on every
name that can be synced (matched by NFC form), nothing is lost, and no file leaves its name
on disk (renamed, or moved to the trash) unless the cloud deleted it.

Case-insensitivity is simulated in some worlds by replacing
`file_names.folder_is_case_insensitive` (the folders here are case-sensitive).
`NAME_WORLDS=<n>` plays more worlds than the default.
"""

from __future__ import annotations

import asyncio
import os
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess
from aext_project_filebrowser_server.services.sync import file_names

from .generate import MAX_PASSES, Change, Delete, PassSpec, WorldSpec, Write
from .harness import close_engine, open_engine, play_world

EXAMPLES = int(os.environ.get("NAME_WORLDS", "12"))
Replicas = tuple[ReplicaProcess, ReplicaProcess]

_CAFE = unicodedata.normalize("NFC", "café")
#: Names the cloud can hold (the NFD one is stored as NFC by the cloud).
CLOUD_NAMES = (
    f"{_CAFE}.txt",
    unicodedata.normalize("NFD", f"{_CAFE}.txt"),
    f"notes/{unicodedata.normalize('NFD', 'Ünïcode')}.md",
    "Data.csv",
    "data.csv",
    "DATA.CSV",
    "plain.txt",
)
#: Names only a local folder can hold.
LOCAL_ONLY_NAMES = (
    os.fsdecode(b"caf\xe9.txt"),  # Latin-1
    os.fsdecode(b"d\xfcr/inside.txt"),  # a folder with a Latin-1 name
    "line\nbreak.txt",
    "back\\slash.txt",
)

contents = st.binary(min_size=0, max_size=24)


@st.composite
def name_worlds(draw: st.DrawFn) -> tuple[WorldSpec, bool]:
    seed = draw(st.integers(0, 10**9))
    local_names = draw(st.sets(st.sampled_from(CLOUD_NAMES + LOCAL_ONLY_NAMES), max_size=5))
    remote_names = draw(st.sets(st.sampled_from(CLOUD_NAMES), max_size=4))
    base_local = {name: draw(contents) for name in sorted(local_names)}
    base_remote = {name: draw(contents) for name in sorted(remote_names)}
    changes: list[Change] = []
    for _ in range(draw(st.integers(0, 5))):
        side = draw(st.sampled_from(("local", "remote")))
        pool = CLOUD_NAMES + LOCAL_ONLY_NAMES if side == "local" else CLOUD_NAMES
        name = draw(st.sampled_from(pool))
        if draw(st.booleans()):
            changes.append(Write(side, name, draw(contents)))
        else:
            changes.append(Delete(side, name))
    spec = WorldSpec(
        seed=seed,
        base_local=base_local,
        base_remote=base_remote,
        first_sync=True,
        coarse_mtime=False,
        ignored={},
        changes=tuple(changes),
        passes=tuple(PassSpec("run", draw(st.sampled_from((1, 4)))) for _ in range(MAX_PASSES)),
    )
    return spec, draw(st.booleans())


@settings(
    max_examples=EXAMPLES,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(world=name_worlds())
def test_name_worlds(
    world: tuple[WorldSpec, bool],
    worlds_replicas: Replicas,
    worlds_scratch: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    spec, case_insensitive = world
    monkeypatch.setattr(file_names, "folder_is_case_insensitive", lambda _root: case_insensitive)
    scratch = worlds_scratch / "names" / f"{spec.seed}-{os.urandom(3).hex()}"
    scratch.mkdir(parents=True)

    async def play() -> None:
        engine = await open_engine(worlds_replicas[0].url, scratch)
        try:
            await play_world(engine, spec)
        finally:
            await close_engine(engine)

    asyncio.run(play())
