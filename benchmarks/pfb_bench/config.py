"""The two sizes of the benchmark: the full one of issue 7 and a tiny smoke one for CI."""

from __future__ import annotations

from dataclasses import dataclass

KIB = 1024
MIB = 1024 * 1024
GIB = 1024 * MIB


@dataclass(frozen=True)
class Profile:
    name: str
    runs: int
    # initial push / pull
    small_files: int
    small_folders: int
    small_min: int
    small_max: int
    # one big file
    big_bytes: int
    # no-change / some-changed sync
    tree_files: int
    tree_folders: int
    tree_size: int
    tree_changed: int
    # REST and WebSocket
    api_projects: int
    api_requests: int
    ws_clients: int
    ws_trials: int
    # through the user-space link (netem.py): round-trip times, in ms
    net_rtts_ms: tuple[float, ...] = (50.0, 10.0)


FULL = Profile(
    name="full",
    runs=3,
    small_files=2000,
    small_folders=50,
    small_min=4 * KIB,
    small_max=64 * KIB,
    big_bytes=1 * GIB,
    tree_files=10_000,
    tree_folders=100,
    tree_size=1 * KIB,
    tree_changed=100,
    api_projects=1000,
    api_requests=500,
    ws_clients=200,
    ws_trials=30,
)

SMOKE = Profile(
    name="smoke",
    runs=1,
    small_files=50,
    small_folders=5,
    small_min=1 * KIB,
    small_max=4 * KIB,
    big_bytes=4 * MIB,
    tree_files=200,
    tree_folders=10,
    tree_size=1 * KIB,
    tree_changed=10,
    api_projects=20,
    api_requests=30,
    ws_clients=10,
    ws_trials=3,
    net_rtts_ms=(50.0,),
)
