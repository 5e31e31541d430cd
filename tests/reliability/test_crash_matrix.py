"""Suite 2 — crash matrix: SIGKILL the Jupyter server (or the replica) mid-sync, restart, sync.

Three scenarios, each staged on its own project from a synced base:

- `push`: local edits, new files, a local delete (uploads + a cloud delete);
- `pull`: the same changes made in the cloud (downloads + a move to the trash);
- `sync`: both sides at once, with conflicts (edited on both sides, new on both sides),
  an edit that beats a delete, same-content edits and one-sided changes.

Each case starts a real Jupyter server (a child process) armed with `AEXT_PFB_CRASH_AT`
at one executor step boundary (`after_journal`, `mid_upload`, `after_upload`,
`mid_download`, `after_temp_write`, `after_rename`, `after_commit`), or unarmed and
SIGKILLed from outside at a random delay after `accepted`, and asks it over the WebSocket
to push, pull or sync. Right after the crash: the store passes `PRAGMA integrity_check`
and every file on both sides is exactly a version someone wrote (never a mix, never
truncated). Then a server restarted on the same store and folders syncs each project
again: it converges (folder == cloud), a third sync plans nothing, and no version either
side ever wrote is lost (it is a file, a conflict copy, in `.aext-project/trash/` or a
cloud revision). Replica cases SIGKILL the cloud replica mid-sync instead and restart it
on the same port and data dir.

Auto-sync cases (`auto`) turn auto-sync on for their project and start an armed server that
is asked nothing: its own first automatic run reaches the crash point. The restarted server
(auto-sync still on) must resume by itself: its automatic run ends `ok` before the checks
above run.

Worker cases (`worker`) arm a crash point with `AEXT_PFB_CRASH_WHO=worker`: only the sync
worker process dies there. The server must live on, end the run `failed` with code
`worker_failed` and record it `interrupted`; the verifying server then resumes it like the
others. (In the other armed cases the worker's crash point kills the server too.)

Cases share one store: each crash case's project is left untouched by the later cases'
servers (which run start-up recovery on the store, as a restart would; an auto case's
auto-sync is off while other cases' servers run), and one final server verifies them all.
`-m slow` runs the long matrix: every crash point at several occurrence counts, many random
kills, more replica kills, more automatic-run crash points, bigger trees.
"""

from __future__ import annotations

import asyncio
import random
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess, start_replica

from .evidence import (
    Ledger,
    cloud_http,
    cloud_listing,
    convergence_problems,
    delete_remote,
    integrity_check,
    local_tree,
    lost_versions,
    notebook_sources,
    put_remote,
    whole_version_problems,
)
from .inprocess import (
    Project,
    add_local_project,
    create_cloud_project,
    engine,
    set_auto_sync,
    sync_once,
)
from .jupyter_process import JupyterProcess, Launcher, WsRun, kill_later, run_over_ws

BIG = 600 * 1024  # several 256 KiB chunks: mid-transfer crash points land inside a file
TMP = ".aext-project/tmp"
ADMIN = "test-admin"

# The crash points each scenario's run reaches.
POINTS: dict[str, tuple[str, ...]] = {
    "push": ("after_journal", "mid_upload", "after_upload", "after_commit"),
    "pull": ("after_journal", "mid_download", "after_temp_write", "after_rename", "after_commit"),
    "sync": (
        "after_journal",
        "mid_upload",
        "after_upload",
        "mid_download",
        "after_temp_write",
        "after_rename",
        "after_commit",
    ),
}
# Short delays for the auto-sync cases: the start-up run begins at once, a failure (the
# replica killed by another case) is retried within seconds.
AUTO_SETTINGS = {"auto_sync_quiet_seconds": 0.2, "auto_sync_retry_seconds": 1.0}
# Reached once per execution pass; the other points once per file (or per chunk).
ONCE_PER_RUN = frozenset({"after_journal", "after_commit"})


class Replica:
    """The module's replica, restartable on the same port and data dir after a SIGKILL."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.process: ReplicaProcess = start_replica(data_dir, admin_token=ADMIN)
        self.url = self.process.url
        self.port = int(self.url.rsplit(":", 1)[1].split("/")[0])

    def kill(self) -> None:
        self.process.kill()

    def restart(self) -> None:
        """Start again on the same port and data dir (after `kill`)."""
        deadline = time.monotonic() + 20
        while True:
            try:
                self.process = start_replica(
                    self.data_dir, admin_token=ADMIN, extra_args=("--port", str(self.port))
                )
                break
            except RuntimeError:  # the port may linger for a moment
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.2)
        assert self.process.url == self.url

    def set_faults(self, spec: str) -> None:
        self.process.set_faults(spec)

    def stop(self) -> None:
        self.process.stop()


@pytest.fixture
def crash_replica(tmp_path: Path) -> Iterator[Replica]:
    replica = Replica(tmp_path / "replica" / "data")
    yield replica
    replica.stop()


# --- scenarios ------------------------------------------------------------------------------

BASE = ("a.txt", "b.txt", "c.txt", "d.txt", "sub/e.txt", "k.txt", "big.bin")


def _size(path: str, scale: int) -> int:
    return BIG if path.startswith("big") else 64 * scale


def base_files(scale: int) -> tuple[str, ...]:
    extra = tuple(f"more/f{i:02}.txt" for i in range(4 * (scale - 1)))
    return BASE + extra


NOTEBOOKS = ("nb/merge.ipynb", "nb/clash.ipynb")


def notebook_version(ledger: Ledger, path: str, label: str, edited: tuple[int, ...]) -> bytes:
    """Three cells; the `edited` ones carry this version's own text."""
    sources = [f"# {path} cell {i}: base" for i in range(3)]
    for i in edited:
        sources[i] = f"# {path} cell {i}: {label} {ledger.rng.randbytes(4).hex()}"
    return ledger.notebook(path, label, sources)


def notebook_here(root: Path, ledger: Ledger, path: str, label: str, *edited: int) -> None:
    target = root / path
    target.parent.mkdir(parents=True, exist_ok=True)
    target.write_bytes(notebook_version(ledger, path, label, edited))


def notebook_there(
    http: httpx.Client, pid: str, ledger: Ledger, path: str, label: str, *edited: int
) -> None:
    version = cloud_listing(http, pid)[path]["file_version_id"]
    data = notebook_version(ledger, path, label, edited)
    answer = put_remote(http, pid, path, data, **{"If-Match": version})
    assert answer.status_code == 200, answer.text


def stage_push(root: Path, http: httpx.Client, pid: str, ledger: Ledger, scale: int) -> None:
    notebook_here(root, ledger, "nb/merge.ipynb", "local edit", 0)
    for path in ("a.txt", "big.bin", *base_files(scale)[7::3]):
        ledger.write_local(root, path, "local edit", _size(path, scale))
    (root / "c.txt").unlink()
    for i in range(scale + 1):
        ledger.write_local(root, f"new/g{i}.txt", "local new", 64 * scale)
    ledger.write_local(root, "sub/h.txt", "local new", 64)


def stage_pull(root: Path, http: httpx.Client, pid: str, ledger: Ledger, scale: int) -> None:
    notebook_there(http, pid, ledger, "nb/merge.ipynb", "cloud edit", 2)
    current = cloud_listing(http, pid)
    for path in ("a.txt", "big.bin", *base_files(scale)[7::3]):
        version = current[path]["file_version_id"]
        answer = ledger.put_remote(
            http, pid, path, "cloud edit", _size(path, scale), **{"If-Match": f'"{version}"'}
        )
        assert answer.status_code in (200, 201), answer.text
    assert delete_remote(http, pid, "c.txt").status_code == 204
    for i in range(scale + 1):
        answer = ledger.put_remote(http, pid, f"new/g{i}.txt", "cloud new", 64 * scale)
        assert answer.status_code in (200, 201), answer.text
    assert ledger.put_remote(http, pid, "sub/h.txt", "cloud new").status_code in (200, 201)


def stage_sync(root: Path, http: httpx.Client, pid: str, ledger: Ledger, scale: int) -> None:
    current = cloud_listing(http, pid)

    def cloud_edit(path: str, label: str = "cloud edit") -> None:
        version = current[path]["file_version_id"]
        answer = ledger.put_remote(
            http, pid, path, label, _size(path, scale), **{"If-Match": f'"{version}"'}
        )
        assert answer.status_code in (200, 201), answer.text

    # notebooks changed on both sides: different cells merge, the same cell clashes
    notebook_here(root, ledger, "nb/merge.ipynb", "local edit", 0)
    notebook_there(http, pid, ledger, "nb/merge.ipynb", "cloud edit", 2)
    notebook_here(root, ledger, "nb/clash.ipynb", "local edit", 1)
    notebook_there(http, pid, ledger, "nb/clash.ipynb", "cloud edit", 1)
    # changed on both sides, different bytes: conflicts (one of them a multi-chunk file)
    for path in ("a.txt", "big.bin", *base_files(scale)[7::4]):
        ledger.write_local(root, path, "local edit", _size(path, scale))
        cloud_edit(path)
    ledger.write_local(root, "b.txt", "local edit")  # upload
    cloud_edit("c.txt")  # download
    (root / "d.txt").unlink()  # delete in the cloud
    assert delete_remote(http, pid, "sub/e.txt").status_code == 204  # to the trash
    (root / "k.txt").unlink()  # deleted here, edited there: the edit wins
    cloud_edit("k.txt")
    ledger.write_local(root, "g.txt", "local new")
    assert ledger.put_remote(http, pid, "h.txt", "cloud new").status_code in (200, 201)
    ledger.write_local(root, "n.txt", "local new")  # new on both sides, different
    assert ledger.put_remote(http, pid, "n.txt", "cloud new").status_code in (200, 201)
    same = ledger.content("m.txt", "same on both sides")  # new on both sides, equal
    (root / "m.txt").write_bytes(same)
    answer = http.put(f"/api/projects/{pid}/files/m.txt", files={"files": ("m.txt", same)})
    assert answer.status_code in (200, 201), answer.text


STAGES: dict[str, Callable[[Path, httpx.Client, str, Ledger, int], None]] = {
    "push": stage_push,
    "pull": stage_pull,
    "sync": stage_sync,
}


# --- cases ----------------------------------------------------------------------------------


@dataclass
class Case:
    """One crash: a scenario, how the crash happens, and what was seen."""

    scenario: str
    # "point" (AEXT_PFB_CRASH_AT), "kill" (server SIGKILL), "replica" (replica SIGKILL),
    # "auto" (AEXT_PFB_CRASH_AT in an automatic run), "worker" (the crash point kills only
    # the sync worker; the server lives on)
    how: str
    crash_at: str | None = None
    delay: float = 0.0
    project: Project | None = None
    ledger: Ledger = field(default_factory=Ledger)
    restarted: datetime | None = None  # when the verifying server started (auto cases)
    crashed_mid_run: bool | None = None
    first: WsRun | None = None
    problems: list[str] = field(default_factory=list)

    @property
    def name(self) -> str:
        if self.how in ("point", "auto", "worker"):
            prefix = f"{self.how} " if self.how != "point" else ""
            detail = f"{prefix}{self.crash_at}"
        else:
            detail = f"{self.how}@{self.delay:.2f}s"
        return f"{self.scenario}/{detail}"


@dataclass(frozen=True)
class Profile:
    nths: tuple[int, ...]  # per-file points: crash at each of these occurrences
    random_kills: int  # per scenario
    replica_kills: int  # per scenario
    scale: int  # tree size factor
    seed: int
    auto_points: tuple[str, ...] = ()  # crash points of automatic two-way syncs
    worker_points: tuple[tuple[str, str], ...] = ()  # (scenario, point): only the worker dies


# Default: the second file, so one operation has finished (maybe committed), others not.
DEFAULT = Profile(
    nths=(2,),
    random_kills=2,
    replica_kills=1,
    scale=1,
    seed=20261122,
    auto_points=("after_journal:1", "mid_upload:2", "after_rename:2"),
    worker_points=(
        ("push", "mid_upload:2"),
        ("pull", "after_rename:2"),
        ("sync", "after_journal:1"),
        ("sync", "after_upload:2"),
        ("sync", "after_temp_write:2"),
    ),
)
LONG = Profile(
    nths=(1, 2, 3, 5),
    random_kills=12,
    replica_kills=4,
    scale=3,
    seed=7,
    auto_points=tuple(
        f"{p}:{n}" for p in POINTS["sync"] for n in ((1,) if p in ONCE_PER_RUN else (2,))
    ),
    worker_points=tuple(
        (scenario, f"{p}:{1 if p in ONCE_PER_RUN else 2}")
        for scenario, points in POINTS.items()
        for p in points
    ),
)


def build_cases(profile: Profile, rng: random.Random) -> list[Case]:
    cases: list[Case] = []
    for scenario, points in POINTS.items():
        for point in points:
            nths = (1,) if point in ONCE_PER_RUN else profile.nths
            cases += [Case(scenario, "point", f"{point}:{n}") for n in nths]
        cases += [
            Case(scenario, "kill", delay=rng.uniform(0.02, 0.4))
            for _ in range(profile.random_kills)
        ]
        cases += [
            Case(scenario, "replica", delay=rng.uniform(0.02, 0.3))
            for _ in range(profile.replica_kills)
        ]
    cases += [Case("sync", "auto", point) for point in profile.auto_points]
    cases += [Case(scenario, "worker", point) for scenario, point in profile.worker_points]
    return cases


async def stage_all(
    cases: list[Case], replica: Replica, http: httpx.Client, db: Path, folders: Path, scale: int
) -> None:
    """Create every case's project, sync its base in process, then make its changes."""
    async with engine(db, replica.url) as ctx:
        for index, case in enumerate(cases):
            cloud = create_cloud_project(http, case.name)
            project = add_local_project(db, cloud, folders / f"p{index:03}")
            case.project, case.ledger = project, Ledger(random.Random(index))
            for path in base_files(scale):
                case.ledger.write_local(project.root, path, "base", _size(path, scale))
            for path in NOTEBOOKS:
                notebook_here(project.root, case.ledger, path, "base")
            messages = await sync_once(ctx, project.id, "push")
            assert messages[-1]["type"] == "completed", messages[-1]
            assert messages[-1]["summary"]["result"] == "ok", messages[-1]
            STAGES[case.scenario](project.root, http, project.id, case.ledger, scale)


def check_sides(case: Case, http: httpx.Client, db: Path, when: str) -> None:
    assert case.project is not None
    verdict = integrity_check(db)
    if verdict != "ok":
        case.problems.append(f"{when}: store integrity_check: {verdict}")
    for problem in whole_version_problems(case.ledger, case.project.root, http, case.project.id):
        case.problems.append(f"{when}: {problem}")


async def crash_server(
    launcher: Launcher, case: Case, home: Path, db: Path, replica: Replica, http: httpx.Client
) -> None:
    """Run the case's first sync on a server that dies during it."""
    assert case.project is not None
    server = launcher.start(
        home,
        db_path=db,
        cloud_url=replica.url,
        projects_root=home / "projects",
        crash_at=case.crash_at,
    )
    try:
        if case.how == "kill":
            replica.set_faults("latency=150ms")  # stretch the run so the kill lands inside it
        on_accepted = (lambda: kill_later(server, case.delay)) if case.how == "kill" else None
        case.first = await run_over_ws(
            server, case.project.id, case.scenario, on_accepted=on_accepted, timeout=90
        )
        case.crashed_mid_run = case.first.end is None
        if case.how == "kill":
            await asyncio.sleep(case.delay + 0.1)  # the kill lands, even after a quick run
        if case.crashed_mid_run:
            server.wait_dead(30)
    finally:
        server.kill()  # a point the run never reached: killed once the run is over
        if case.how == "kill":
            replica.set_faults("")
    check_sides(case, http, db, "after the crash")


async def crash_worker(
    launcher: Launcher, case: Case, home: Path, db: Path, replica: Replica, http: httpx.Client
) -> None:
    """Run the case's first sync on a server whose sync worker dies during it: the server
    must live on, end the run with `failed` (`worker_failed`) and record it interrupted."""
    assert case.project is not None
    server = launcher.start(
        home,
        db_path=db,
        cloud_url=replica.url,
        projects_root=home / "projects",
        crash_at=case.crash_at,
        crash_who="worker",
    )
    try:
        case.first = await run_over_ws(server, case.project.id, case.scenario, timeout=90)
        end = case.first.end or {}
        case.crashed_mid_run = end.get("code") == "worker_failed"
        if not case.crashed_mid_run:
            case.problems.append(f"the run did not end with worker_failed: {end}")
        if not server.alive():
            case.problems.append("the server died with its worker")
        else:
            url = f"{server.url}aext_project_filebrowser_server/projects/{case.project.id}/history"
            async with httpx.AsyncClient(headers=server.headers, timeout=30) as client:
                newest = (await client.get(url)).json()["runs"][0]
            if newest["result"] != "interrupted":
                case.problems.append(f"the run was not recorded interrupted: {newest}")
    finally:
        server.kill()
    check_sides(case, http, db, "after the worker crash")


async def crash_auto_run(
    launcher: Launcher, case: Case, home: Path, db: Path, replica: Replica, http: httpx.Client
) -> None:
    """Turn auto-sync on and start an armed server: its own automatic run crashes it."""
    assert case.project is not None
    set_auto_sync(db, case.project.id, "on_save")
    server = launcher.start(
        home,
        db_path=db,
        cloud_url=replica.url,
        projects_root=home / "projects",
        crash_at=case.crash_at,
        extra=AUTO_SETTINGS,
    )
    try:
        server.wait_dead(90)
        case.crashed_mid_run = True
    except TimeoutError:
        case.crashed_mid_run = False
    finally:
        server.kill()
    set_auto_sync(db, case.project.id, "off")  # the next cases' servers leave it alone
    check_sides(case, http, db, "after the crash")


async def resumed_by_itself(case: Case, server: JupyterProcess, timeout: float = 180) -> None:
    """Wait until the restarted server's own automatic run of the case's project is `ok`
    (a run that failed while another case killed the replica is retried)."""
    assert case.project is not None
    url = f"{server.url}aext_project_filebrowser_server/projects/{case.project.id}/history"
    deadline = time.monotonic() + timeout
    runs: list[dict[str, Any]] = []
    async with httpx.AsyncClient(headers=server.headers, timeout=30) as client:
        while time.monotonic() < deadline:
            runs = (await client.get(url)).json()["runs"]
            autos = [r for r in runs if r["trigger"] == "auto" and r["result"] != "running"]
            newest = autos[0] if autos else None
            if newest and newest["result"] == "ok" and case.restarted is not None:  # noqa: SIM102
                if datetime.fromisoformat(newest["started_at"]) >= case.restarted:
                    return
            await asyncio.sleep(0.2)
    case.problems.append(f"auto-sync did not resume by itself after the restart: {runs[:3]}")


async def crash_replica_during(
    case: Case, server: JupyterProcess, replica: Replica, http: httpx.Client
) -> None:
    """Run the case's first sync while the replica is SIGKILLed, then bring it back."""
    assert case.project is not None
    replica.set_faults("latency=150ms")
    loop = asyncio.get_running_loop()
    case.first = await run_over_ws(
        server,
        case.project.id,
        case.scenario,
        on_accepted=lambda: loop.call_later(case.delay, replica.kill),
        timeout=120,
    )
    if replica.process.process.poll() is None:  # the run ended before the kill
        case.crashed_mid_run = False
        await asyncio.sleep(case.delay)
        replica.kill()
    else:
        case.crashed_mid_run = True
    replica.restart()  # a fresh process: no faults
    # A cloud outage ends a run cleanly: `failed` with a code, or `completed` with failures.
    if (why := case.first.unclean()) is not None:
        case.problems.append(f"the run did not end cleanly when the cloud died: {why}")


async def verify(case: Case, server: JupyterProcess, http: httpx.Client, db: Path) -> None:
    """After the restart: the next sync converges, the one after plans nothing, no loss."""
    assert case.project is not None
    if case.how == "auto":
        await resumed_by_itself(case, server)
    second = await run_over_ws(server, case.project.id, case.scenario, timeout=120)
    if second.end is None or second.end["type"] != "completed":
        case.problems.append(f"second sync did not complete: {second.end}")
    elif second.end["summary"]["result"] != "ok":
        case.problems.append(f"second sync: {second.end['summary']}")
    converged = convergence_problems(case.project.root, http, case.project.id)
    case.problems += [f"not converged after the second sync: {p}" for p in converged]
    leftovers = sorted(p.name for p in (case.project.root / TMP).glob("*"))
    if leftovers:  # a crash mid-transfer must not leave partial files behind for good
        case.problems.append(f"temp files left in {TMP} after the next sync: {leftovers}")
    third = await run_over_ws(server, case.project.id, case.scenario, timeout=60)
    if third.planned() != 0:
        counts = third.accepted["plan"]["counts"] if third.accepted else third.end
        case.problems.append(f"third sync still planned {counts}")
    case.problems += [
        f"lost: {v}" for v in lost_versions(case.ledger, [case.project.root], http, case.project.id)
    ]
    if case.scenario == "sync":
        merge_problems = notebook_merge_problems(case.project.root)
        if merge_problems:  # say why: what each run reported about the notebook
            said = [m for run in (case.first, second) if run for m in run.conflicts()]
            merge_problems.append(f"conflict messages: {said}")
        case.problems += merge_problems
    check_sides(case, http, db, "after recovery")


def notebook_merge_problems(root: Path) -> list[str]:
    """Edits in different cells merged (no copy); the same cell edited: a conflict copy."""
    tree = local_tree(root)
    merged = notebook_sources(tree.get("nb/merge.ipynb", b"")) or ()
    problems = []
    if len(merged) != 3 or "local edit" not in merged[0] or "cloud edit" not in merged[2]:
        problems.append(f"nb/merge.ipynb was not merged: {merged}")
    copies = [p for p in tree if p.startswith("nb/merge (conflict")]
    if copies:
        problems.append(f"a mergeable notebook got conflict copies: {copies}")
    if not any(p.startswith("nb/clash (conflict") for p in tree):
        problems.append("the clashing notebook got no conflict copy")
    return problems


async def crash_matrix(
    profile: Profile,
    tmp_path: Path,
    launcher: Launcher,
    replica: Replica,
    timings: dict[str, float],
) -> list[Case]:
    rng = random.Random(profile.seed)
    cases = build_cases(profile, rng)
    db = tmp_path / "state" / "project_filebrowser.db"
    home = tmp_path / "jupyter"
    clock = time.monotonic()

    def lap(label: str) -> None:
        nonlocal clock
        now = time.monotonic()
        timings[label] = timings.get(label, 0.0) + now - clock
        clock = now

    with cloud_http(replica.url) as http:
        await stage_all(cases, replica, http, db, tmp_path / "folders", profile.scale)
        lap("stage")
        for case in cases:
            if case.how in ("point", "kill"):
                await crash_server(launcher, case, home, db, replica, http)
                lap(f"crash ({case.how})")
            elif case.how == "auto":
                await crash_auto_run(launcher, case, home, db, replica, http)
                lap("crash (auto)")
            elif case.how == "worker":
                await crash_worker(launcher, case, home, db, replica, http)
                lap("crash (worker)")
        restarted = datetime.now(timezone.utc)
        for case in cases:
            if case.how == "auto":
                assert case.project is not None
                set_auto_sync(db, case.project.id, "on_save")
                case.restarted = restarted
        server = launcher.start(
            home,
            db_path=db,
            cloud_url=replica.url,
            projects_root=home / "projects",
            extra=AUTO_SETTINGS,
        )
        lap("restart")
        try:
            for case in cases:
                if case.how == "replica":
                    await crash_replica_during(case, server, replica, http)
                    check_sides(case, http, db, "after the replica crash")
                    lap("crash (replica)")
            for case in cases:
                await verify(case, server, http, db)
                lap("verify")
        finally:
            server.stop()
    verdict = integrity_check(db)
    assert verdict == "ok", verdict
    return cases


def report(cases: list[Case], timings: dict[str, float]) -> str:
    kinds = Counter(c.how for c in cases)
    mid = Counter(c.how for c in cases if c.crashed_mid_run)
    lines = [
        f"{len(cases)} cases: {kinds['point']} crash points ({mid['point']} reached), "
        f"{kinds['kill']} random server kills ({mid['kill']} mid-run), {kinds['replica']} "
        f"replica kills ({mid['replica']} mid-run), {kinds['auto']} automatic-run crash points "
        f"({mid['auto']} reached), {kinds['worker']} worker-only crash points "
        f"({mid['worker']} reached)",
        "seconds: " + ", ".join(f"{k} {v:.1f}" for k, v in timings.items()),
    ]
    lines += [f"  {c.name}: {p}" for c in cases for p in c.problems]
    return "\n".join(lines)


@pytest.mark.timeout(900)  # about two minutes; more on a machine busy with other work
async def test_crash_matrix(tmp_path: Path, launcher: Launcher, crash_replica: Replica) -> None:
    timings: dict[str, float] = {}
    cases = await crash_matrix(DEFAULT, tmp_path, launcher, crash_replica, timings)
    print(report(cases, timings))
    assert not [c for c in cases if c.problems], report(cases, timings)
    # every armed point was reached; the random kills may land after a fast run ended
    armed = [c for c in cases if c.how in ("point", "auto", "worker")]
    assert all(c.crashed_mid_run for c in armed), report(cases, timings)


@pytest.mark.slow
@pytest.mark.timeout(3600)
async def test_crash_matrix_long(
    tmp_path: Path, launcher: Launcher, crash_replica: Replica
) -> None:
    timings: dict[str, float] = {}
    cases = await crash_matrix(LONG, tmp_path, launcher, crash_replica, timings)
    print(report(cases, timings))
    assert not [c for c in cases if c.problems], report(cases, timings)
