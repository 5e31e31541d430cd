"""Stopping and starting each user's server through the hub's REST API (what "Stop My
Server", an admin, the idle culler and hub shutdown do): the hub sends SIGINT, and the
server must be gone within a few seconds, not after the hub's SIGTERM and SIGKILL timeouts
(10 + 5 + 5 s). Nothing is lost across the restart, and a push caught by the stop is
finished by the next sync."""

from __future__ import annotations

import asyncio
from pathlib import Path

from shutdown.plain_server import STOPPED_LINE

from aext_project_filebrowser_server.testing import (
    cloud_client,
    local_files,
    remote_files,
    write_tree,
)

from .conftest import KEYS, HubWorld
from .hub_process import Hub, start_server, stop_server
from .users import as_user, create_project, run

# The server's own ~0.5-1.5 s, plus the hub noticing the process is gone (it polls with
# exponential backoff: 0.1, 0.2, 0.4, 0.8, 1.6 s...). A server that ignored SIGINT would
# take at least the hub's interrupt_timeout (10 s) before its SIGTERM; on an idle machine
# the stops take 0.9-2.6 s, at load 10 up to 4.6 s was seen.
STOP_BUDGET_S = 8.0
START_BUDGET_S = 20.0  # a fresh Python process importing jupyter_server on a busy 2-core box
# Enough files that a push paced up to 32 in flight (cloud/pacing.py) is still running when
# the hub's stop lands, 0.5 s in, with each PUT 300 ms late: at least 4 rounds of 32.
TREE = {f"data/part-{i:03}.bin": bytes([i % 256]) * (32 * 1024 + i) for i in range(160)}


def stops_logged(hub: Hub) -> int:
    """How many times a user's server logged the end of `stop_extension` (their output goes
    to the hub's log with the local spawners)."""
    return hub.log_path.read_text(errors="replace").count(STOPPED_LINE)


def history_results(api, project_id: str) -> list[str]:  # type: ignore[no-untyped-def]
    answer = api.get(f"projects/{project_id}/history")
    assert answer.status_code == 200, answer.text
    return [r["result"] for r in answer.json()["runs"]]


def test_stop_and_start_each_server_through_the_hub(hub_world: HubWorld) -> None:
    hub, tokens = hub_world.hub, hub_world.tokens
    before = {}
    for user in KEYS:
        with as_user(hub, user, tokens[user]) as api:
            project = create_project(api, f"{user}'s kept project")
            write_tree(Path(project["local_path"]), {"kept.txt": user.encode()})
            before[user] = (project, api.get("projects").json()["projects"])
    timings = {}
    for user in KEYS:
        clean_stops = stops_logged(hub)
        stopped = stop_server(hub, user)
        assert stopped < STOP_BUDGET_S, f"{user}'s server took {stopped:.2f} s to stop"
        assert stops_logged(hub) == clean_stops + 1, hub.log_tail()  # stop_extension ran
        started = start_server(hub, user)
        assert started < START_BUDGET_S, f"{user}'s server took {started:.2f} s to start"
        timings[user] = (stopped, started)
    for user, (project, listed) in before.items():
        with as_user(hub, user, tokens[user]) as api:
            health = api.get("health").json()
            assert health["status"] == "ok" and health["migration"]["outcome"] == "up_to_date"
            again = api.get("projects").json()["projects"]
        assert {p["id"] for p in again} == {p["id"] for p in listed}
        assert local_files(Path(project["local_path"])) == {"kept.txt": user.encode()}
    print("stop / start through the hub API (s):", timings)


async def test_a_stop_mid_push_is_resumed_after_the_restart(hub_world: HubWorld) -> None:
    hub, token, replica = hub_world.hub, hub_world.tokens["alice"], hub_world.replica
    with as_user(hub, "alice", token) as api:
        project = create_project(api, "Stopped by the hub mid-push")
    folder = Path(project["local_path"])
    write_tree(folder, TREE)
    replica.set_faults("latency=300ms,methods=PUT")
    loop = asyncio.get_running_loop()
    stopping: list[asyncio.Future[float]] = []

    def stop_now() -> None:
        stopping.append(loop.run_in_executor(None, stop_server, hub, "alice"))

    def stop_soon() -> None:  # a few uploads done, others in flight
        loop.call_later(0.5, stop_now)

    try:
        caught = await run(hub, "alice", token, project["id"], "push", on_accepted=stop_soon)
        stopped = await stopping[0]
    finally:
        replica.set_faults("")
    assert stopped < STOP_BUDGET_S, f"alice's server took {stopped:.2f} s to stop mid-push"
    assert caught.accepted is not None
    with cloud_client(replica.url, KEYS["alice"]) as cloud:
        assert len(remote_files(cloud, project["id"])) < len(TREE)  # the stop came mid-run
    restarted = start_server(hub, "alice")
    with as_user(hub, "alice", token) as api:
        results = history_results(api, project["id"])
        assert results in (["cancelled"], ["interrupted"]), results
        resumed = await run(hub, "alice", token, project["id"], "sync")
        assert resumed.unclean() is None, resumed.messages
        assert resumed.end is not None and resumed.end["summary"]["result"] == "ok"
        plan = api.get(f"projects/{project['id']}/plan", params={"direction": "sync"}).json()
        assert plan["operations"] == [], plan
    with cloud_client(replica.url, KEYS["alice"]) as cloud:
        assert remote_files(cloud, project["id"]) == TREE
    assert local_files(folder) == TREE
    print(f"mid-push stop {stopped:.2f} s, restart {restarted:.2f} s, run {results[0]}")
