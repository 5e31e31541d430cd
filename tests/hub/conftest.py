"""One real JupyterHub for the session, with alice's and bob's servers, against a replica."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest

from aext_project_filebrowser_server.cloud.replica.fixtures import (
    ReplicaProcess,
    start_replica,
)

from .hub_process import Hub, server_state, start_hub, start_server, user_token

KEYS = {"alice": "demo-alice-key", "bob": "demo-bob-key"}  # the replica's demo users


@dataclass(frozen=True)
class HubWorld:
    hub: Hub
    replica: ReplicaProcess
    tokens: dict[str, str]  # each user's own hub token
    first_start_s: dict[str, float]


@pytest.fixture(scope="session")
def hub_world(tmp_path_factory: pytest.TempPathFactory) -> Iterator[HubWorld]:
    root = tmp_path_factory.mktemp("hub")
    replica = start_replica(root / "replica", admin_token="test-admin")
    hub = start_hub(root / "hub", replica.url, KEYS)
    try:
        started = {user: start_server(hub, user) for user in KEYS}
        tokens = {user: user_token(hub, user) for user in KEYS}
        yield HubWorld(hub, replica, tokens, started)
    finally:
        hub.stop()
        replica.stop()


@pytest.fixture(autouse=True)
def servers_running(request: pytest.FixtureRequest) -> None:
    """Every hub test starts with both users' servers up, whatever the test before did
    (a failed stop/start test must not fail the next ones)."""
    if "hub_world" not in request.fixturenames:
        return
    world: HubWorld = request.getfixturevalue("hub_world")
    for user in KEYS:
        if server_state(world.hub, user) is None:
            start_server(world.hub, user)
