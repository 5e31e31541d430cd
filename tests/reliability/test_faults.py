"""Suite 3 — faults: syncs through a faulty cloud end cleanly, then converge; no duplicates.

A Jupyter server (in process) talks to a fresh replica through `LossyProxy`. While a run
is under way the replica injects latency, 503s, 429s with `Retry-After` and dropped
connections (all before doing the work), and the proxy loses the answer of some writes
*after* the replica did them (the case where a blind retry would create a second
revision). Several rounds of changes on both sides (edits, new files, deletes, conflicts)
are pushed, pulled and synced under those faults. Each run must end cleanly: `failed` with
a code and a message, or `completed` with every failure listed with a code and a message.
Then, faults off, syncing again converges (within two runs), the next run plans nothing,
no version written on either side is lost, and no file has two consecutive cloud revisions
with the same bytes (a retried upload that was not recognised as already done).

`-m slow` runs more files and rounds with heavier faults.
"""

from __future__ import annotations

import random
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.client import RetryPolicy
from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaFactory, ReplicaProcess

from .evidence import (
    Ledger,
    cloud_http,
    cloud_listing,
    convergence_problems,
    delete_remote,
    duplicate_revisions,
    local_tree,
    lost_versions,
    sha,
    whole_version_problems,
)
from .inprocess import Project, add_project_to
from .jupyter_process import WsRun, run_on_socket
from .lossy_proxy import LossyProxy

EXTENSION = "aext_project_filebrowser_server"
BIG = 600 * 1024


@dataclass(frozen=True)
class Profile:
    files: int
    rounds: int
    spec: str  # replica faults while a run is under way
    loss: float  # share of processed writes whose answer the proxy loses
    seed: int


DEFAULT = Profile(
    files=80,
    rounds=4,
    spec="latency=5ms,error_rate=0.08,status=503,rate_limit=429:retry_after=1:rate=0.03,"
    "drop_rate=0.05",
    loss=0.15,
    seed=11,
)
LONG = Profile(
    files=200,
    rounds=8,
    spec="latency=20ms,error_rate=0.15,status=503,rate_limit=429:retry_after=1:rate=0.05,"
    "drop_rate=0.08",
    loss=0.25,
    seed=12,
)


@pytest.fixture
def fault_replica(replica_factory: ReplicaFactory) -> ReplicaProcess:
    return replica_factory()


@pytest.fixture
def lossy(jp_asyncio_loop: Any, fault_replica: ReplicaProcess) -> Iterator[LossyProxy]:
    async def make() -> LossyProxy:
        return LossyProxy(fault_replica.url, seed=3)

    proxy = jp_asyncio_loop.run_until_complete(make())
    yield proxy
    jp_asyncio_loop.run_until_complete(proxy.close())


@pytest.fixture
def pfb_extension_config(pfb_db_path: Path, lossy: LossyProxy, tmp_path: Path) -> dict[str, Any]:
    return {
        "db_url": f"sqlite:///{pfb_db_path}",
        "cloud_url": lossy.url,
        "cloud_api_key": "demo-alice-key",
        "cloud_retry_attempts": 5,
        "cloud_timeout": 20.0,
        "server_name": "faulty-lab",
        "projects_root": str(tmp_path / "projects-root"),
        "watch_folders": False,
    }


class Faults:
    """Switches the replica's faults and the proxy's losses on and off together."""

    def __init__(self, replica: ReplicaProcess, proxy: LossyProxy, profile: Profile) -> None:
        self.replica, self.proxy, self.profile = replica, proxy, profile
        self.rounds = 0

    def on(self) -> None:
        self.rounds += 1
        self.replica.set_faults(f"{self.profile.spec},seed={self.profile.seed + self.rounds}")
        self.proxy.loss = self.profile.loss

    def off(self) -> None:
        self.replica.set_faults("")
        self.proxy.loss = 0.0


def _size(rng: random.Random) -> int:
    return BIG if rng.random() < 0.05 else rng.randint(1, 4000)


def change_both_sides(
    rng: random.Random, ledger: Ledger, project: Project, http: httpx.Client, label: str
) -> None:
    """Edits, new files and deletes on both sides, some of them on the same paths.

    Local edits and deletes only touch files whose bytes the cloud already holds, so a
    version is never destroyed by the test itself before any sync could see it.
    """
    root = project.root
    here = local_tree(root)
    there = cloud_listing(http, project.id)
    ledger.saw([*here, *there])
    safe = sorted(p for p, data in here.items() if p in there and there[p]["sha256"] == sha(data))
    rng.shuffle(safe)
    edits, deletes = safe[: len(here) // 5], safe[len(here) // 5 :][: max(1, len(here) // 15)]
    for path in edits:
        ledger.write_local(root, path, f"{label} local edit", _size(rng))
    for path in deletes:
        (root / path).unlink()
    for path in rng.sample(sorted(there), k=len(there) // 5):
        version = there[path]["file_version_id"]
        answer = ledger.put_remote(
            http, project.id, path, f"{label} cloud edit", _size(rng), **{"If-Match": version}
        )
        assert answer.status_code in (200, 201), answer.text
    for path in rng.sample(sorted(there), k=max(1, len(there) // 15)):
        delete_remote(http, project.id, path)
    for i in range(max(2, len(here) // 10)):
        ledger.write_local(root, f"new/{label}-{i}.txt", f"{label} local new", _size(rng))
        answer = ledger.put_remote(
            http, project.id, f"new/{label}-c{i}.txt", f"{label} cloud new", _size(rng)
        )
        assert answer.status_code in (200, 201), answer.text


async def run(jp_ws_fetch: Any, project: Project, kind: str) -> WsRun:
    ws = await jp_ws_fetch(EXTENSION, "ws")
    return await run_on_socket(ws, project.id, kind, timeout=600)


async def faulty_rounds(
    profile: Profile,
    jp_serverapp: Any,
    jp_ws_fetch: Any,
    replica: ReplicaProcess,
    proxy: LossyProxy,
    tmp_path: Path,
) -> tuple[list[str], dict[str, Any]]:
    ctx = jp_serverapp.web_app.settings["pfb_context"]
    rng = random.Random(profile.seed)
    ledger = Ledger(random.Random(profile.seed))
    faults = Faults(replica, proxy, profile)
    problems: list[str] = []
    ends: Counter[str] = Counter()
    with cloud_http(replica.url) as http:
        project = await add_project_to(ctx, http, tmp_path / "folders" / "faulty")
        for i in range(profile.files):
            ledger.write_local(project.root, f"d{i % 5}/f{i:03}.txt", "first", _size(rng))
        kinds = ["push"] + [rng.choice(["sync", "sync", "pull", "push"]) for _ in range(99)]
        for round_no in range(profile.rounds):
            if round_no:
                change_both_sides(rng, ledger, project, http, f"r{round_no}")
            faults.on()
            try:
                result = await run(jp_ws_fetch, project, kinds[round_no])
            finally:
                faults.off()
            ends[_describe(result)] += 1
            if (why := result.unclean()) is not None:
                problems.append(f"round {round_no} ({kinds[round_no]}): {why}")
        # Faults off: sync converges, and the run after it plans nothing.
        for _attempt in range(2):
            final = await run(jp_ws_fetch, project, "sync")
            if not convergence_problems(project.root, http, project.id):
                break
        problems += [
            f"not converged: {p}" for p in convergence_problems(project.root, http, project.id)
        ]
        if (why := final.unclean()) is not None or final.end["summary"]["result"] != "ok":
            problems.append(f"the sync without faults did not succeed: {why or final.end}")
        again = await run(jp_ws_fetch, project, "sync")
        if again.planned() != 0:
            problems.append(f"a sync after convergence planned {again.accepted}")
        problems += [f"lost: {v}" for v in lost_versions(ledger, [project.root], http, project.id)]
        problems += whole_version_problems(ledger, project.root, http, project.id)
        paths = {p for p, _ in ledger.entries.values()} | set(cloud_listing(http, project.id))
        problems += [
            f"duplicate revision: {d}" for d in duplicate_revisions(http, project.id, paths)
        ]
        figures = {
            "files": len(local_tree(project.root)),
            "rounds": profile.rounds,
            "runs ended": dict(ends),
            "proxy": dict(proxy.counts),
        }
    return problems, figures


def _describe(result: WsRun) -> str:
    end = result.end
    if end is None:
        return "no end"
    if end["type"] == "failed":
        return f"failed {end['code']}"
    summary = end["summary"]
    codes = sorted({f["code"] for f in summary["failures"]})
    return f"completed {summary['result']}" + (f" ({', '.join(codes)})" if codes else "")


async def test_syncs_through_faults_end_cleanly_and_converge(
    jp_serverapp: Any,
    jp_ws_fetch: Any,
    fault_replica: ReplicaProcess,
    lossy: LossyProxy,
    tmp_path: Path,
) -> None:
    problems, figures = await faulty_rounds(
        DEFAULT, jp_serverapp, jp_ws_fetch, fault_replica, lossy, tmp_path
    )
    print(figures)
    assert not problems, "\n".join([str(figures), *problems])
    # the faults really happened: retried 5xx/429/drops, and answers lost after the work
    seen = figures["proxy"]
    assert seen.get("HTTP 503") and seen.get("HTTP 429") and seen.get("dropped by the replica")
    assert seen.get("answers lost after the work was done")
    assert seen["requests"] >= 250, seen  # "a few hundred operations"


async def test_a_cloud_that_keeps_failing_gets_clear_reasons(
    jp_serverapp: Any, jp_ws_fetch: Any, fault_replica: ReplicaProcess, tmp_path: Path
) -> None:
    """Retries run out: every run still ends with a code and a message, and nothing moves
    that should not; once the cloud is back, one sync converges."""
    # A short retry budget (the outcome is the same with the default one, only slower).
    settings = jp_serverapp.web_app.settings
    quick = RetryPolicy(attempts=3, wait_initial=0.05, wait_jitter=0.1)
    ctx = settings["pfb_context"]
    ctx = settings["pfb_context"] = replace(ctx, cloud=replace(ctx.cloud, retry=quick))
    ledger = Ledger(random.Random(5))
    with cloud_http(fault_replica.url) as http:
        project = await add_project_to(ctx, http, tmp_path / "folders" / "outage")
        for i in range(6):
            ledger.write_local(project.root, f"f{i}.txt", "first", 100)
        outages = {
            # every write refused: the run completes, each file listed with its reason
            "error_rate=1,status=503,methods=PUT|DELETE": ("push", "completed"),
            # the listing itself fails: the run is refused before any write
            "error_rate=1,status=503": ("sync", "failed"),
            # throttled for good: Retry-After is honoured, then the run gives up
            "rate_limit=429:retry_after=1": ("sync", "failed"),
            "drop_rate=1": ("pull", "failed"),
        }
        for spec, (kind, expected) in outages.items():
            fault_replica.set_faults(spec)
            try:
                result = await run(jp_ws_fetch, project, kind)
            finally:
                fault_replica.set_faults("")
            assert result.unclean() is None, (spec, result.messages)
            assert result.end is not None and result.end["type"] == expected, (spec, result.end)
            if expected == "completed":
                summary = result.end["summary"]
                assert summary["result"] == "failed"
                assert {f["path"] for f in summary["failures"]} == {f"f{i}.txt" for i in range(6)}
            else:
                print(spec, "->", result.end["code"], result.end["message"])
            assert cloud_listing(http, project.id) == {}  # nothing half-written
        final = await run(jp_ws_fetch, project, "sync")
        assert final.unclean() is None and final.end is not None
        assert final.end["summary"]["result"] == "ok", final.end
        assert not convergence_problems(project.root, http, project.id)
        assert not lost_versions(ledger, [project.root], http, project.id)


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_syncs_through_faults_long(
    jp_serverapp: Any,
    jp_ws_fetch: Any,
    fault_replica: ReplicaProcess,
    lossy: LossyProxy,
    tmp_path: Path,
) -> None:
    problems, figures = await faulty_rounds(
        LONG, jp_serverapp, jp_ws_fetch, fault_replica, lossy, tmp_path
    )
    print(figures)
    assert not problems, "\n".join([str(figures), *problems])
