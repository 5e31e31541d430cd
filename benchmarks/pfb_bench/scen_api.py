"""REST and WebSocket load on Jupyter server B, whose store holds many projects.

`GET projects`: sequential requests over one keep-alive connection from this (client)
process, after a warm-up; the reference is the extension's `GET health` on the same server
(the floor of Jupyter's authenticated request path).

Fan-out: `ws_clients` WebSocket connections subscribe to every project; each trial PATCHes
one project's title over REST (which updates the cloud, then the store, then publishes
`project_changed`) and measures the time from sending the PATCH until the last client has
the event. The reference is the PATCH round trip alone.
"""

from __future__ import annotations

import asyncio
import gc
import json
import statistics
import time

import httpx
from tornado.websocket import WebSocketClientConnection

from . import projects, wsclient
from .env import Env
from .procs import EXTENSION, CpuUse, Proc
from .report import Row, Series
from .scen_transfer import maybe_profile

WARMUP = 5
TIME_CAP_S = 60.0  # a slow GET projects must not blow the whole run's 15 minutes


def rest_available(env: Env) -> bool:
    answer = httpx.get(
        f"{env.a.url}{EXTENSION}/projects",
        headers={"Authorization": f"token {env.token}"},
        timeout=30,
    )
    return answer.status_code == 200


def latencies(http: httpx.Client, url: str, count: int, check: int | None) -> list[float]:
    """`count` sequential GETs (after a warm-up), stopping early after TIME_CAP_S."""
    for _ in range(WARMUP):
        http.get(url).raise_for_status()
    samples: list[float] = []
    deadline = time.perf_counter() + TIME_CAP_S
    for _ in range(count):
        if time.perf_counter() > deadline:
            break
        started = time.perf_counter()
        answer = http.get(url)
        samples.append((time.perf_counter() - started) * 1000)
        answer.raise_for_status()
        if check is not None:
            listed = answer.json()["projects"]
            if len(listed) != check:
                raise RuntimeError(f"GET projects listed {len(listed)}, not {check}")
    return samples


def get_projects_row(env: Env, server: Proc, count: int) -> Row:
    headers = {"Authorization": f"token {env.token}"}
    ours = Series(f"GET projects, {count} projects in the store", "ms")
    floor = Series("GET health (Jupyter's request floor)", "ms")
    requests = env.profile.api_requests
    with httpx.Client(headers=headers, timeout=60) as http:
        with (
            CpuUse({"Jupyter": server.pid}) as cpu,
            maybe_profile(env, "get_projects", server.pid, "get"),
        ):
            ours.samples = latencies(http, f"{server.url}{EXTENSION}/projects", requests, count)
        floor.samples = latencies(http, f"{server.url}{EXTENSION}/health", requests, None)
        size = len(http.get(f"{server.url}{EXTENSION}/projects").content)
    notes = [f"response {size / 1024:.0f} KiB; {cpu.text()}"]
    if len(ours.samples) < requests:
        notes.append(
            f"stopped after {len(ours.samples)} of {requests} requests ({TIME_CAP_S:.0f} s cap)"
        )
    return Row(
        "get_projects",
        f"GET projects with {count} projects in the store (sequential requests, 1 client)",
        ours,
        [floor],
        "p99 < 25 ms",
        met=ours.pct(99) < 25,
        notes=notes,
    )


async def _subscribe(env: Env, server: Proc, clients: int) -> list[WebSocketClientConnection]:
    connections = []
    for _ in range(clients):
        ws = await wsclient.connect(server.url, env.token)
        await ws.write_message(json.dumps({"type": "subscribe", "project_ids": "*"}))
        connections.append(ws)
    for ws in connections:
        while True:
            raw = await asyncio.wait_for(ws.read_message(), 30)
            if raw is None:
                raise RuntimeError("a WebSocket closed while subscribing")
            if json.loads(raw).get("type") == "subscribed":
                break
    return connections


async def _first_change(ws: WebSocketClientConnection, project_id: str) -> float:
    while True:
        raw = await ws.read_message()
        if raw is None:
            raise RuntimeError("a WebSocket closed during the fan-out")
        message = json.loads(raw)
        if message.get("type") == "project_changed" and message.get("project_id") == project_id:
            return time.perf_counter()


class GcPauses:
    """This (client) process's garbage-collector pauses, as (start, end) perf_counter pairs,
    recorded with `gc.callbacks` while the block runs."""

    def __init__(self) -> None:
        self.pauses: list[tuple[float, float, int]] = []
        self._started = 0.0

    def _callback(self, phase: str, info: dict[str, int]) -> None:
        if phase == "start":
            self._started = time.perf_counter()
        else:
            self.pauses.append((self._started, time.perf_counter(), info["generation"]))

    def __enter__(self) -> GcPauses:
        gc.callbacks.append(self._callback)
        return self

    def __exit__(self, *exc: object) -> None:
        gc.callbacks.remove(self._callback)

    def within(self, start: float, end: float) -> float:
        """Milliseconds of GC pause between `start` and `end`."""
        return sum(max(0.0, min(b, end) - max(a, start)) for a, b, _ in self.pauses) * 1000


async def _fanout(
    env: Env, server: Proc, targets: list[projects.BenchProject], clients: int, trials: int
) -> tuple[list[float], list[float], list[float], list[float]]:
    connections = await _subscribe(env, server, clients)
    last: list[float] = []
    patch: list[float] = []
    every: list[float] = []
    paused: list[float] = []  # this process's GC pauses during each trial, ms
    versions: dict[str, int] = {}
    headers = {"Authorization": f"token {env.token}"}
    try:
        async with httpx.AsyncClient(headers=headers, timeout=30) as http:
            for target in targets:
                answer = await http.get(f"{server.url}{EXTENSION}/projects/{target.id}")
                answer.raise_for_status()
                versions[target.id] = int(answer.headers["ETag"].strip('"'))
            with GcPauses() as gcp:
                for trial in range(trials):
                    target = targets[trial % len(targets)]
                    waiters = [
                        asyncio.ensure_future(_first_change(ws, target.id)) for ws in connections
                    ]
                    await asyncio.sleep(0)  # let every waiter start reading
                    started = time.perf_counter()
                    answer = await http.patch(
                        f"{server.url}{EXTENSION}/projects/{target.id}",
                        json={"title": f"Bench fan-out {trial}"},
                        headers={"If-Match": f'"{versions[target.id]}"'},
                    )
                    answered = time.perf_counter()
                    answer.raise_for_status()
                    versions[target.id] = int(answer.headers["ETag"].strip('"'))
                    received = await asyncio.wait_for(asyncio.gather(*waiters), 30)
                    last.append((max(received) - started) * 1000)
                    patch.append((answered - started) * 1000)
                    every.extend((t - started) * 1000 for t in received)
                    paused.append(gcp.within(started, max(received)))
                    await asyncio.sleep(0.05)  # let stragglers' other messages drain
    finally:
        for ws in connections:
            ws.close()
    return last, patch, every, paused


def fanout_row(env: Env, server: Proc, made: list[projects.BenchProject]) -> Row:
    clients, trials = env.profile.ws_clients, env.profile.ws_trials
    targets = made[: min(len(made), 5)]
    with (
        CpuUse({"Jupyter": server.pid, "replica": env.replica.pid}) as cpu,
        maybe_profile(env, "ws_fanout", server.pid, "fanout"),
    ):
        last, patch, every, paused = asyncio.run(_fanout(env, server, targets, clients, trials))
    worst = max(range(len(last)), key=last.__getitem__)
    ours = Series(f"PATCH sent → last of {clients} clients has project_changed", "ms", last)
    ref = Series("PATCH round trip alone (REST + cloud update)", "ms", patch)
    return Row(
        "ws_fanout",
        f"{clients} WebSocket clients subscribed; a REST change → project_changed "
        f"({trials} trials)",
        ours,
        [ref],
        "p99 < 100 ms",
        met=ours.pct(99) < 100,
        notes=[
            f"per-client latency median {statistics.median(every):.1f} ms, "
            f"max {max(every):.1f} ms over {len(every)} deliveries",
            f"this client's GC pauses during a trial: max {max(paused):.1f} ms, "
            f"{paused[worst]:.1f} ms in the slowest trial ({last[worst]:.1f} ms; its PATCH "
            f"{patch[worst]:.1f} ms)",
            cpu.text(),
        ],
    )


def api_rows(env: Env) -> list[Row]:
    """Both rows run against server B, whose store holds the API projects (and the few
    pulled ones)."""
    if not rest_available(env):
        print("   the projects REST API is not registered: GET projects and fan-out skipped")
        return []
    headers = {"Authorization": f"token {env.token}"}
    listed = httpx.get(f"{env.b.url}{EXTENSION}/projects", headers=headers, timeout=60)
    count = len(listed.json()["projects"])
    return [get_projects_row(env, env.b, count), fanout_row(env, env.b, env.api_projects)]
