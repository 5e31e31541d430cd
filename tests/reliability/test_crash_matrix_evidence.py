"""The crash matrix's two-way sync against the replica's `evidence` dialect.

The cloud as public evidence says it behaves: no listed hashes (every conflict is decided
on downloaded bytes), `If-Match` ignored (each write is preceded by a version check),
downloads redirected to storage. The `sync` scenario of `test_crash_matrix.py` (conflicts,
a notebook merge, an edit beating a delete, same-content edits) is killed at a few executor
steps and at a random moment; the checks are the matrix's own: whole versions right after
the crash, then convergence, a quiet third sync and nothing lost after a restart.
"""

from __future__ import annotations

import random
import time
from collections.abc import Iterator
from pathlib import Path

import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import start_replica

from .evidence import cloud_http, integrity_check
from .jupyter_process import Launcher
from .test_crash_matrix import ADMIN, Case, Replica, crash_server, report, stage_all, verify

# The steps where a kill leaves the most half-done: a journal written, a transfer cut, a
# download renamed into place but not committed.
POINTS = ("after_journal:1", "mid_upload:2", "mid_download:2", "after_rename:2")


class EvidenceReplica(Replica):
    """The matrix's replica helper on an evidence-dialect replica (never restarted here)."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process = start_replica(data_dir, admin_token=ADMIN, dialect="evidence")
        self.url = self.process.url
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def restart(self) -> None:
        raise AssertionError("the evidence cases kill only the Jupyter server")


@pytest.fixture
def evidence_crash_replica(tmp_path: Path) -> Iterator[Replica]:
    replica = EvidenceReplica(tmp_path / "replica" / "data")
    yield replica
    replica.stop()


@pytest.mark.timeout(600)
async def test_crash_matrix_sync_against_the_evidence_cloud(
    tmp_path: Path, launcher: Launcher, evidence_crash_replica: Replica
) -> None:
    rng = random.Random(20261202)
    cases = [Case("sync", "point", point) for point in POINTS]
    cases.append(Case("sync", "kill", delay=rng.uniform(0.05, 0.4)))
    db = tmp_path / "state" / "project_filebrowser.db"
    home = tmp_path / "jupyter"
    timings: dict[str, float] = {}
    started = time.monotonic()
    with cloud_http(evidence_crash_replica.url) as http:
        await stage_all(cases, evidence_crash_replica, http, db, tmp_path / "folders", 1)
        for case in cases:
            await crash_server(launcher, case, home, db, evidence_crash_replica, http)
        server = launcher.start(
            home, db_path=db, cloud_url=evidence_crash_replica.url, projects_root=home / "projects"
        )
        try:
            for case in cases:
                await verify(case, server, http, db)
        finally:
            server.stop()
    timings["all"] = time.monotonic() - started
    print(report(cases, timings))
    assert integrity_check(db) == "ok"
    assert not [c for c in cases if c.problems], report(cases, timings)
    assert all(c.crashed_mid_run for c in cases if c.how == "point"), report(cases, timings)
