"""Fault injection over real HTTP: deterministic 5xx, 429 + Retry-After, dropped
connections, latency, and the admin route that changes them."""

from __future__ import annotations

import time

import httpx
import pytest
from replica_helpers import client_for, error_code, new_project, upload

from aext_project_filebrowser_server.cloud.replica.faults import FaultInjector, parse_faults
from aext_project_filebrowser_server.cloud.replica.fixtures import (
    ReplicaFactory,
    ReplicaProcess,
)

ALICE = "demo-alice-key"


@pytest.fixture
def faulty(replica_factory: ReplicaFactory) -> ReplicaProcess:
    return replica_factory(faults="error_rate=0.3,seed=7")


def test_injected_errors_follow_the_seed(faulty: ReplicaProcess) -> None:
    expected_injector = FaultInjector(parse_faults("error_rate=0.3,seed=7"))
    expected = [
        503 if expected_injector.decide("GET").action == "error" else 200 for _ in range(40)
    ]
    with client_for(faulty, ALICE) as alice:
        got = []
        for _ in range(40):
            assert alice.get("/api/projects/healthz").status_code == 200  # never faulted
            response = alice.get("/api/account")
            got.append(response.status_code)
            if response.status_code == 503:
                assert error_code(response) == "unavailable"
    assert got == expected
    assert 5 < got.count(503) < 25

    # Resetting the same spec restarts the same sequence.
    assert faulty.set_faults("seed=7,error_rate=0.3") == "error_rate=0.3,seed=7"
    with client_for(faulty, ALICE) as alice:
        assert [alice.get("/api/account").status_code for _ in range(40)] == expected


def test_rate_limit_drop_latency_and_method_filter(faulty: ReplicaProcess) -> None:
    with client_for(faulty, ALICE) as alice:
        faulty.set_faults("")
        pid = new_project(alice)["id"]

        faulty.set_faults("rate_limit=429:retry_after=3")
        limited = alice.get("/api/projects")
        assert limited.status_code == 429
        assert limited.headers["Retry-After"] == "3"
        assert error_code(limited) == "rate_limited"

        faulty.set_faults("drop_rate=1")
        with pytest.raises(httpx.TransportError):
            alice.get("/api/projects")
        with pytest.raises(httpx.TransportError):
            upload(alice, pid, "dropped.txt", b"x")

        faulty.set_faults("error_rate=1,status=502,methods=PUT")
        assert alice.get("/api/projects").status_code == 200
        refused = upload(alice, pid, "x.txt", b"x" * 100_000)
        assert refused.status_code == 502
        assert error_code(refused) == "unavailable"

        faulty.set_faults("latency=300ms")
        started = time.monotonic()
        assert alice.get("/api/account").status_code == 200
        assert time.monotonic() - started >= 0.3

        faulty.set_faults("off")
        assert upload(alice, pid, "x.txt", b"x").status_code == 201
        assert alice.get(f"/api/projects/{pid}/files").json()["num_items"] == 1


def test_admin_route_is_guarded(faulty: ReplicaProcess, replica_factory: ReplicaFactory) -> None:
    url = f"{faulty.url}/_replica/faults"
    for headers in ({}, {"Authorization": "Bearer wrong"}, {"Authorization": f"Bearer {ALICE}"}):
        response = httpx.put(url, json={"spec": ""}, headers=headers)
        assert response.status_code == 401
        assert error_code(response) == "auth_required"
    admin = {"Authorization": f"Bearer {faulty.admin_token}"}
    assert httpx.get(url, headers=admin).json() == {"spec": "error_rate=0.3,seed=7"}
    bad = httpx.put(url, json={"spec": "error_rate=7"}, headers=admin)
    assert bad.status_code == 400 and error_code(bad) == "invalid_request"

    locked = replica_factory(admin_token=None)
    response = httpx.put(f"{locked.url}/_replica/faults", json={"spec": ""}, headers=admin)
    assert response.status_code == 404
    with pytest.raises(RuntimeError):
        locked.set_faults("")
