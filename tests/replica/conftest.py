"""Fixtures for the replica tests: authenticated httpx clients on the session replica."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from replica_helpers import client_for, new_project

from aext_project_filebrowser_server.cloud.replica.fixtures import ReplicaProcess


@pytest.fixture
def alice(replica: ReplicaProcess, replica_alice_key: str) -> Iterator[httpx.Client]:
    with client_for(replica, replica_alice_key) as client:
        yield client


@pytest.fixture
def bob(replica: ReplicaProcess, replica_bob_key: str) -> Iterator[httpx.Client]:
    with client_for(replica, replica_bob_key) as client:
        yield client


@pytest.fixture
def carol(replica: ReplicaProcess, replica_carol_key: str) -> Iterator[httpx.Client]:
    with client_for(replica, replica_carol_key) as client:
        yield client


@pytest.fixture
def anonymous(replica: ReplicaProcess) -> Iterator[httpx.Client]:
    with client_for(replica, None) as client:
        yield client


@pytest.fixture
def make_project(alice: httpx.Client) -> Callable[..., dict[str, Any]]:
    """Create a fresh project owned by alice on the session replica."""

    def make(**fields: Any) -> dict[str, Any]:
        return new_project(alice, **fields)

    return make
