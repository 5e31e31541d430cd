"""Randomized worlds against the replica's `evidence` dialect: the cloud as public evidence
says it behaves (no listed hashes, `If-Match` ignored, downloads redirected to storage).

The same worlds and invariants as `test_worlds.py` (a seed range of its own, so both runs
add coverage); the engine learns from the probe that the cloud ignores preconditions and
checks each file's version before writing it, as a real server would. Bounded for the
default run; `WORLDS_EVIDENCE=N pytest -m slow tests/worlds -k evidence_long -s` plays more.
"""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica

from .harness import figures
from .workers import play_in_workers

EVIDENCE_WORLDS = 80
FIRST_SEED = 3_000_000  # never a seed of the default run (0..999) or the long one (1,000,000+)
WORKERS = max(1, min(2, os.cpu_count() or 1))

Replicas = tuple[ReplicaProcess, ReplicaProcess]


@pytest.fixture(scope="module")
def evidence_worlds_replicas(worlds_scratch: Path) -> Iterator[Replicas]:
    """A shared evidence replica and one for the worlds that set replica faults."""
    shared = start_replica(worlds_scratch / "evidence", admin_token=None, dialect="evidence")
    try:
        faulty = start_replica(
            worlds_scratch / "evidence-faults", admin_token="worlds-admin", dialect="evidence"
        )
    except BaseException:
        shared.stop()
        raise
    yield shared, faulty
    faulty.stop()
    shared.stop()


async def _play(replicas: Replicas, scratch: Path, seeds: list[int]) -> tuple[str, list[str]]:
    """Play `seeds`; the run's figures and the failures (every world reports or fails)."""
    shared, faulty = replicas
    started = time.monotonic()
    reports, failures = await play_in_workers(
        shared.url, (faulty.url, faulty.set_faults), scratch, seeds, workers=WORKERS, parallel=4
    )
    assert failures or len(reports) == len(seeds)
    return figures(reports, time.monotonic() - started), failures


def _assert_none_failed(failures: list[str]) -> None:
    seeds = ",".join(f.split(" ", 2)[1] for f in failures)
    assert not failures, (
        f"{len(failures)} evidence world(s) broke an invariant (seeds {seeds}; replay with "
        f"WORLDS_EVIDENCE_SEEDS={seeds})\n" + "\n".join(failures[:5])
    )


@pytest.mark.timeout(900)
async def test_worlds_against_the_evidence_cloud(
    evidence_worlds_replicas: Replicas, worlds_scratch: Path
) -> None:
    raw = os.environ.get("WORLDS_EVIDENCE_SEEDS", "").strip()
    chosen = [int(s) for s in raw.split(",") if s.strip()]
    seeds = chosen or list(range(FIRST_SEED, FIRST_SEED + EVIDENCE_WORLDS))
    summary, failures = await _play(evidence_worlds_replicas, worlds_scratch / "ev", seeds)
    print(f"\nevidence worlds: {summary}")
    _assert_none_failed(failures)
    if not chosen:  # the run must exercise what it claims to
        for what in ("conflict copies", "mid-sync edits"):
            assert f" 0 {what}" not in summary, summary


@pytest.mark.slow
@pytest.mark.timeout(0)
async def test_worlds_against_the_evidence_cloud_long(
    evidence_worlds_replicas: Replicas, worlds_scratch: Path
) -> None:
    count = int(os.environ.get("WORLDS_EVIDENCE", "5000"))
    seeds = list(range(FIRST_SEED + EVIDENCE_WORLDS, FIRST_SEED + EVIDENCE_WORLDS + count))
    summary, failures = await _play(evidence_worlds_replicas, worlds_scratch / "ev-long", seeds)
    print(f"\nevidence worlds (long run): {summary}")
    _assert_none_failed(failures)
