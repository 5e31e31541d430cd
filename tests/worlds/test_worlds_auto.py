"""Randomized worlds with automatic runs interleaved (see `auto.py`): a bounded run in the
default test command, in this process, on the worlds' shared replica (worlds that set
replica faults are left to `test_worlds`: they would hit every world at once here).

`WORLDS_AUTO=500 pytest tests/worlds -k automatic -s` plays more.
"""

from __future__ import annotations

import os
import time
from collections import Counter
from pathlib import Path

import pytest

from aext_project_filebrowser_server.services.auto_sync_scheduler import Scheduler

from .auto import TIMING, AutoWorld
from .generate import generate_world
from .harness import Engine, close_engine, figures, open_engine, play_worlds
from .test_worlds import Replicas

AUTO_WORLDS = 60


@pytest.mark.timeout(900)
async def test_worlds_with_automatic_runs(worlds_replicas: Replicas, worlds_scratch: Path) -> None:
    count = int(os.environ.get("WORLDS_AUTO", AUTO_WORLDS))
    specs = [s for s in map(generate_world, range(3 * count)) if not s.exclusive][:count]
    shared, _faulty = worlds_replicas
    scratch = worlds_scratch / "auto"
    scratch.mkdir()
    engine = await open_engine(shared.url, scratch)
    scheduler = Scheduler(engine.ctx, TIMING)
    await scheduler.start()
    tally: Counter[str] = Counter()

    def world(engine: Engine, spec: object) -> AutoWorld:
        return AutoWorld(engine, spec, scheduler, tally)  # type: ignore[arg-type]

    started = time.monotonic()
    try:
        reports, failures = await play_worlds(engine, specs, parallel=4, world_type=world)
    finally:
        await scheduler.stop(5.0)
        await close_engine(engine)
    print(f"\nworlds with auto-sync: {figures(reports, time.monotonic() - started)}; {dict(tally)}")
    assert not failures, "\n".join(str(f) for f in failures[:5])
    assert len(reports) == len(specs)
    # the run must keep exercising what it claims to: automatic attempts in many worlds (a
    # world that waited for one failed if none came), automatic runs in a good part of them
    assert tally["worlds that waited for an automatic attempt"] >= len(specs) // 3, tally
    assert tally["worlds with automatic runs"] >= len(specs) // 5, tally
