"""The replica as a process: restarts keep data, crashes lose nothing acknowledged, uploads
stream with bounded memory, and the fixture leaves nothing running."""

from __future__ import annotations

import hashlib
import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from replica_helpers import SCRATCH, client_for, new_project, upload

from aext_project_filebrowser_server.cloud.replica.fixtures import (
    ReplicaFactory,
    start_replica,
)

ALICE = "demo-alice-key"


def test_restart_keeps_everything_and_does_not_reseed(
    replica_factory: ReplicaFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = replica_factory(data)
    with client_for(first, ALICE) as alice:
        project = new_project(alice, metadata={"tags": ["durable"]})
        pid = project["id"]
        v1 = upload(alice, pid, "a/b.txt", b"one").json()["file_version_id"]
        v2 = upload(alice, pid, "a/b.txt", b"two").json()["file_version_id"]
        assert alice.delete(f"/api/projects/{SCRATCH}").status_code == 204
        before = alice.get("/api/projects", params={"limit": 1000}).json()
        project = alice.get(f"/api/projects/{pid}").json()  # uploads moved updated_at
    assert first.stop() == 0

    second = replica_factory(data)
    assert second.url != "" and second.data_dir == data
    with client_for(second, ALICE) as alice:
        assert alice.get("/api/projects", params={"limit": 1000}).json() == before
        assert alice.get(f"/api/projects/{pid}").json() == project
        assert alice.get(f"/api/projects/{SCRATCH}").status_code == 404  # not re-seeded
        current = alice.get(f"/api/projects/{pid}/files/a/b.txt")
        assert current.content == b"two" and current.headers["ETag"] == f'"{v2}"'
        old = alice.get(f"/api/projects/{pid}/files/a/b.txt", params={"version": v1})
        assert old.content == b"one"


def test_sigkill_loses_nothing_acknowledged(
    replica_factory: ReplicaFactory, tmp_path: Path
) -> None:
    data = tmp_path / "data"
    first = replica_factory(data)
    with client_for(first, ALICE) as alice:
        pid = new_project(alice)["id"]
        versions = {
            f"f{i}.txt": upload(alice, pid, f"f{i}.txt", f"{i}".encode()).json()["file_version_id"]
            for i in range(20)
        }
    first.kill()
    assert list((data / "tmp").iterdir()) == []

    second = replica_factory(data)
    with client_for(second, ALICE) as alice:
        items = alice.get(f"/api/projects/{pid}/files").json()["items"]
        assert {f["path"]: f["file_version_id"] for f in items} == versions


def _status_kib(pid: int, field: str) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise AssertionError(f"{field} not in /proc/{pid}/status")


@pytest.fixture
def big_file(tmp_path: Path) -> Iterator[tuple[Path, str]]:
    path = tmp_path / "big.bin"
    digest = hashlib.sha256()
    with path.open("wb") as f:
        for _ in range(50):
            block = os.urandom(1024 * 1024)
            digest.update(block)
            f.write(block)
    yield path, digest.hexdigest()


@pytest.mark.skipif(not Path("/proc/self/status").exists(), reason="needs Linux /proc")
def test_large_upload_and_download_stream_with_bounded_memory(
    replica_factory: ReplicaFactory, big_file: tuple[Path, str]
) -> None:
    server = replica_factory()
    path, sha256 = big_file
    with client_for(server, ALICE) as alice:
        pid = new_project(alice)["id"]
        upload(alice, pid, "warm-up.txt", b"load every code path once")
        alice.get(f"/api/projects/{pid}/files/warm-up.txt")
        baseline_kib = _status_kib(server.pid, "VmRSS")

        with path.open("rb") as f:
            response = alice.put(
                f"/api/projects/{pid}/files/big.bin", files={"files": ("big.bin", f)}
            )
        assert response.status_code == 201, response.text
        digest = hashlib.sha256()
        with alice.stream("GET", f"/api/projects/{pid}/files/big.bin") as download:
            assert download.headers["X-Checksum-Sha256"] == sha256
            assert download.headers["Content-Length"] == str(50 * 1024 * 1024)
            for chunk in download.iter_bytes():
                digest.update(chunk)
        assert digest.hexdigest() == sha256

    growth_mib = (_status_kib(server.pid, "VmHWM") - baseline_kib) / 1024
    assert growth_mib < 30, f"the replica's peak RSS grew by {growth_mib:.1f} MiB"


def test_start_failure_is_reported_with_stderr(tmp_path: Path) -> None:
    with pytest.raises(RuntimeError, match="did not start") as raised:
        start_replica(tmp_path / "data", seed=tmp_path / "missing-seed.json", timeout=20)
    assert "missing-seed.json" in str(raised.value)


def test_console_entry_point_prints_url_first_and_stops_on_sigterm(tmp_path: Path) -> None:
    process = subprocess.Popen(
        [
            sys.executable,
            "-m",
            "aext_project_filebrowser_server.cloud.replica",
            "--port",
            "0",
            "--data",
            str(tmp_path / "data"),
            "--log-level",
            "warning",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert process.stdout is not None
        url = process.stdout.readline().decode().strip()
        assert url.startswith("http://127.0.0.1:")
        assert httpx.get(f"{url}/api/projects/healthz").json() == {"status": "ok"}
        process.terminate()
        assert process.wait(10) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        if process.stdout is not None:
            process.stdout.close()


def test_replica_exits_when_its_parent_goes(tmp_path: Path) -> None:
    server = start_replica(tmp_path / "data")
    assert server.process.stdin is not None
    server.process.stdin.close()  # what the OS does when the test run dies
    assert server.process.wait(10) == 0
    server.stop()


def test_uploads_over_the_cap_are_413(tmp_path: Path) -> None:
    server = start_replica(tmp_path / "data", extra_args=("--max-upload-mb", "1"))
    with server, client_for(server, ALICE) as alice:
        pid = new_project(alice)["id"]
        assert upload(alice, pid, "ok.bin", b"\0" * 900_000).status_code == 201
        response = upload(alice, pid, "big.bin", b"\0" * (4 * 1024 * 1024))
        assert response.status_code == 413
        assert response.json()["error"]["code"] == "too_large"


def test_an_aborted_upload_leaves_nothing_behind(replica_factory: ReplicaFactory) -> None:
    server = replica_factory()
    with client_for(server, ALICE) as alice:
        pid = new_project(alice)["id"]
        host, port = server.url.removeprefix("http://").rsplit(":", 1)
        part = b'--XX\r\nContent-Disposition: form-data; name="files"; filename="f"\r\n\r\n'
        head = (
            f"PUT /api/projects/{pid}/files/big.bin HTTP/1.1\r\nHost: {host}\r\n"
            f"Authorization: Bearer {ALICE}\r\n"
            "Content-Type: multipart/form-data; boundary=XX\r\n"
            f"Content-Length: {10 * 1024 * 1024}\r\n\r\n"
        ).encode()
        with socket.create_connection((host, int(port))) as raw:
            raw.sendall(head + part + b"\0" * (2 * 1024 * 1024))
            deadline = time.monotonic() + 10
            while not list((server.data_dir / "tmp").iterdir()):  # spooled to disk by now
                assert time.monotonic() < deadline
                time.sleep(0.02)
        deadline = time.monotonic() + 10
        while list((server.data_dir / "tmp").iterdir()):
            assert time.monotonic() < deadline, "the aborted upload's temp file stayed"
            time.sleep(0.02)
        assert alice.get(f"/api/projects/{pid}/files").json()["num_items"] == 0
    assert server.stop() == 0
    log = server.log_path.read_text()
    assert " 500 " not in log and "Traceback" not in log
