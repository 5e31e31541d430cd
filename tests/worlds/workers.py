"""Worlds in several processes, so a test uses every core (one process is bound by its GIL).

`play_in_workers` splits the seeds among `python -m worlds.workers` processes (each with its
own store and scratch folder, all against one replica) and meanwhile plays the worlds with
replica faults itself, one at a time, against a second replica: those faults hit every
client of a replica. A worker
reads its job as one JSON line on stdin, prints one JSON line with its reports and failures,
and exits as soon as its stdin closes, so no worker outlives the test that started it.
"""

from __future__ import annotations

import asyncio
import json
import logging
import os
import sys
import threading
import warnings
from collections import Counter
from collections.abc import Callable
from pathlib import Path
from typing import Any

from .generate import generate_world
from .harness import WorldReport, close_engine, open_engine, play_worlds

TESTS_DIR = Path(__file__).resolve().parents[1]


def _report_from(data: dict[str, Any]) -> WorldReport:
    return WorldReport(**{**data, "faults": Counter(data["faults"])})


async def play_in_workers(
    replica_url: str,
    fault_replica: tuple[str, Callable[[str], object]],
    scratch: Path,
    seeds: list[int],
    *,
    workers: int,
    parallel: int,
) -> tuple[list[WorldReport], list[str]]:
    """Play `seeds`; returns the reports and the failure messages.

    `fault_replica`: the URL and the `set_faults` of the replica for replica-fault worlds.
    """
    specs = [(seed, generate_world(seed).exclusive) for seed in seeds]
    shared = [seed for seed, alone in specs if not alone]
    alone = [seed for seed, alone in specs if alone]
    chunks = [shared[i::workers] for i in range(workers)]
    results = await asyncio.gather(
        _play_alone(*fault_replica, scratch / "alone", alone),
        *(
            _run_worker(replica_url, scratch / f"worker-{i}", chunk, parallel)
            for i, chunk in enumerate(chunks)
            if chunk
        ),
    )
    reports = [r for worker_reports, _ in results for r in worker_reports]
    failures = [f for _, worker_failures in results for f in worker_failures]
    return reports, failures


async def _play_alone(
    url: str, set_faults: Callable[[str], object], scratch: Path, seeds: list[int]
) -> tuple[list[WorldReport], list[str]]:
    if not seeds:
        return [], []
    engine = await open_engine(url, scratch, set_faults)
    try:
        reports, failures = await play_worlds(
            engine, [generate_world(s) for s in seeds], parallel=1
        )
    finally:
        await close_engine(engine)
    return reports, [str(f) for f in failures]


async def _run_worker(
    replica_url: str, scratch: Path, seeds: list[int], parallel: int
) -> tuple[list[WorldReport], list[str]]:
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(TESTS_DIR), *sys.path])}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "worlds.workers",
        stdin=asyncio.subprocess.PIPE,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
        env=env,
    )
    assert process.stdin is not None and process.stdout is not None
    job = {"replica_url": replica_url, "scratch": str(scratch), "seeds": seeds}
    process.stdin.write((json.dumps({**job, "parallel": parallel}) + "\n").encode())
    await process.stdin.drain()
    try:
        out, err = await asyncio.gather(process.stdout.read(), _read_stderr(process))
        await process.wait()
    finally:
        process.stdin.close()
        if process.returncode is None:
            process.kill()
            await process.wait()
    lines = out.decode().strip().splitlines()
    if process.returncode != 0 or not lines:
        raise AssertionError(
            f"a worlds worker failed (exit {process.returncode}) on seeds "
            f"{seeds[:5]}...: {err.decode()[-4000:]}"
        )
    result = json.loads(lines[-1])
    if err.strip():
        raise AssertionError(
            f"a worlds worker wrote to stderr (a warning?): {err.decode()[-4000:]}"
        )
    return [_report_from(r) for r in result["reports"]], result["failures"]


async def _read_stderr(process: asyncio.subprocess.Process) -> bytes:
    assert process.stderr is not None
    return await process.stderr.read()


def _exit_with_parent() -> None:
    while os.read(0, 4096):  # b"" at EOF: the parent closed our stdin, or died
        pass
    os._exit(3)


async def _work(job: dict[str, Any]) -> dict[str, Any]:
    engine = await open_engine(job["replica_url"], Path(job["scratch"]))
    try:
        reports, failures = await play_worlds(
            engine, (generate_world(seed) for seed in job["seeds"]), parallel=job["parallel"]
        )
    finally:
        await close_engine(engine)
    return {
        # not dataclasses.asdict: it rebuilds the Counter from (key, count) pairs
        "reports": [{**vars(r), "faults": dict(r.faults)} for r in reports],
        "failures": [str(f) for f in failures],
    }


def main() -> None:
    # As strict as the test run (pyproject's filterwarnings = error), quiet about retries.
    warnings.simplefilter("error")
    warnings.simplefilter("ignore", ResourceWarning)
    logging.basicConfig(level=logging.ERROR)
    job = json.loads(sys.stdin.buffer.readline())
    threading.Thread(target=_exit_with_parent, daemon=True).start()
    result = asyncio.run(_work(job))
    sys.stdout.write(json.dumps(result) + "\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
