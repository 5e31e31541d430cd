"""The worlds' own replica (faults are set on it, so never the shared one) and scratch space."""

from __future__ import annotations

import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica

# tmpfs when there is one: the worlds fsync a lot and prove nothing about disks.
_FAST = Path("/dev/shm")


def _scratch_parent(fallback: Path) -> Path:
    return _FAST if _FAST.is_dir() and _FAST.stat().st_mode & 0o002 else fallback


@pytest.fixture(scope="session")
def worlds_scratch(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    parent = _scratch_parent(tmp_path_factory.mktemp("worlds"))
    with tempfile.TemporaryDirectory(prefix="aext-worlds-", dir=parent) as scratch:
        yield Path(scratch)


@pytest.fixture(scope="session")
def worlds_replicas(worlds_scratch: Path) -> Iterator[tuple[ReplicaProcess, ReplicaProcess]]:
    """Two replicas for the worlds alone: one shared by most worlds, one for the worlds that
    set faults on it (faults hit every client of a replica, so those run one at a time)."""
    shared = start_replica(worlds_scratch / "replica", admin_token=None)
    try:
        faulty = start_replica(worlds_scratch / "fault-replica", admin_token="worlds-admin")
    except BaseException:
        shared.stop()
        raise
    yield shared, faulty
    faulty.stop()
    shared.stop()
