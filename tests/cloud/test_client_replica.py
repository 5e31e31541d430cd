"""The cloud client against the real local replica over loopback HTTP (no mocks): CRUD,
pagination, auth, conditional writes, transfers, versions, retries through injected faults,
and bounded memory for large transfers.
"""

from __future__ import annotations

import hashlib
import os
import resource
import secrets
import time
import tracemalloc
from collections import Counter
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.cloud.errors import (
    AlreadyExists,
    AuthRequired,
    CloudUnavailable,
    FileNotFound,
    Forbidden,
    InvalidRequest,
    LocalFileChanged,
    PreconditionFailed,
    ProjectNotFound,
)
from aext_project_filebrowser_server.schemas.projects import CloudProject, ProjectOwner

FAST = cc.RetryPolicy(
    attempts=8,
    timeout=60.0,
    wait_initial=0.005,
    wait_max=0.05,
    wait_jitter=0.005,
    retry_after_max=0.2,
)

ODD_PATHS = [
    "données/été ✓.ipynb",
    "dir with space/a b.txt",
    "hash#tag/q?mark&x=1.txt",
    "100%/plus+sign.csv",
    "emoji 🎉/日本語.md",
]


class CountingTransport(httpx.AsyncBaseTransport):
    """The real pooled transport, counting what happened to each request."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.outcomes: Counter[str] = Counter()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        try:
            response = await self.inner.handle_async_request(request)
        except httpx.TransportError as exc:
            self.outcomes[type(exc).__name__] += 1
            raise
        self.outcomes[str(response.status_code)] += 1
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def slug(prefix: str = "t") -> str:
    return f"{prefix}-{secrets.token_hex(6)}"


@asynccontextmanager
async def connect(
    url: str, key: str, policy: cc.RetryPolicy = FAST, **kwargs: Any
) -> AsyncIterator[cc.CloudClient]:
    async with cc.open_cloud_client(url, key, retry_policy=policy, **kwargs) as client:
        yield client


@asynccontextmanager
async def temp_project(client: cc.CloudClient, **metadata: Any) -> AsyncIterator[CloudProject]:
    project = await cc.create_project(client, "Client test", slug(), metadata)
    try:
        yield project
    finally:
        with suppress(ProjectNotFound):
            await cc.delete_project(client, project.id)


async def test_healthz_and_account(replica: Any, replica_alice_key: str) -> None:
    async with connect(replica.url, replica_alice_key) as client:
        assert await cc.healthz(client) is True
        account = await cc.get_account(client)
        orgs = await cc.list_my_organizations(client)
    assert account.user.username == "alice" and account.user.display_name == "alice"
    assert any(org.name == "acme" for org in orgs)


async def test_bad_key_is_auth_required(replica: Any) -> None:
    bad = "definitely-not-a-valid-key-42"
    async with connect(replica.url, bad) as client:
        with pytest.raises(AuthRequired) as info:
            await cc.get_account(client)
        with pytest.raises(AuthRequired):
            await cc.list_all_projects(client)
        assert await cc.healthz(client) is True  # no auth needed
    assert info.value.status == 401 and info.value.code == "auth_required"
    assert bad not in str(info.value) and bad not in repr(info.value)


async def test_project_crud(replica: Any, replica_alice_key: str, replica_bob_key: str) -> None:
    name = slug("crud")
    async with (
        connect(replica.url, replica_alice_key) as alice,
        connect(replica.url, replica_bob_key) as bob,
    ):
        created = await cc.create_project(
            alice, "Títle ✓", name, {"tags": ["x"], "description": "first", "custom": 1}
        )
        try:
            assert created.name == name and created.title == "Títle ✓"
            assert created.metadata.tags == ("x",) and created.owner.type == "user"
            assert await cc.get_project(alice, created.id) == created

            with pytest.raises(AlreadyExists):
                await cc.create_project(alice, "again", name, {})

            updated = await cc.update_project(
                alice, created.id, title="Renamed", metadata={"description": "second"}
            )
            assert updated.title == "Renamed" and updated.metadata.description == "second"
            assert updated.updated_at >= created.updated_at

            found = await cc.list_all_projects(alice, owner_me=True, name=name)
            assert [p.id for p in found] == [created.id]

            with pytest.raises((ProjectNotFound, Forbidden)):
                await cc.get_project(bob, created.id)
        finally:
            await cc.delete_project(alice, created.id)
        with pytest.raises(ProjectNotFound):
            await cc.get_project(alice, created.id)
        with pytest.raises(ProjectNotFound):
            await cc.delete_project(alice, created.id)


async def test_org_project_and_permissions(
    replica: Any, replica_alice_key: str, replica_bob_key: str
) -> None:
    async with (
        connect(replica.url, replica_alice_key) as alice,
        connect(replica.url, replica_bob_key) as bob,
    ):
        bob_account = await cc.get_account(bob)
        org = next(o for o in await cc.list_my_organizations(alice) if o.name == "acme")
        owner = ProjectOwner(id=org.id, type="organization")
        project = await cc.create_project(alice, "Org project", slug("org"), {}, owner=owner)
        try:
            assert (project.owner.type, project.owner.id) == ("organization", org.id)
            perms = await cc.set_permissions(
                alice, project.id, is_public=True, users=[bob_account.user.id], role="reader"
            )
            assert perms is not None and perms.is_public
            assert any(g.id == bob_account.user.id and g.role == "reader" for g in perms.grants)
            assert await cc.get_permissions(alice, project.id) == perms
        finally:
            await cc.delete_project(alice, project.id)


async def test_project_listing_follows_pages(replica: Any, replica_bob_key: str) -> None:
    tag = slug("page")
    async with connect(replica.url, replica_bob_key) as client:
        made = [
            await cc.create_project(client, f"P{i}", slug("page"), {"tags": [tag]})
            for i in range(7)
        ]
        try:
            listed = await cc.list_all_projects(client, owner_me=True, tag=tag, page_size=3)
            assert sorted(p.id for p in listed) == sorted(p.id for p in made)
            assert len({p.id for p in listed}) == 7  # no page repeated
            one_page = await cc.list_all_projects(client, tag=tag)
            assert {p.id for p in one_page} == {p.id for p in made}
        finally:
            for p in made:
                await cc.delete_project(client, p.id)


async def test_file_round_trip_with_odd_paths(
    replica: Any, replica_alice_key: str, tmp_path: Path
) -> None:
    async with connect(replica.url, replica_alice_key) as client, temp_project(client) as project:
        uploaded: dict[str, tuple[str, str]] = {}
        for i, path in enumerate(ODD_PATHS):
            local = tmp_path / f"src{i}"
            data = f"content of {path}\n".encode() * (i + 1)
            local.write_bytes(data)
            result = await cc.upload_file(client, project.id, path, local, if_none_match=True)
            assert result.project_id == project.id
            uploaded[path] = (result.file_version_id, hashlib.sha256(data).hexdigest())

        listing = await cc.list_files(client, project.id, page_size=2)
        assert {f.path for f in listing} == set(ODD_PATHS)
        for f in listing:
            assert (f.file_version_id, f.sha256) == uploaded[f.path]

        for i, path in enumerate(ODD_PATHS):
            dest = tmp_path / f"dl{i}"
            got = await cc.download_file(client, project.id, path, dest)
            assert (got.file_version_id, got.sha256) == uploaded[path]
            assert dest.read_bytes() == (tmp_path / f"src{i}").read_bytes()
            assert got.size == dest.stat().st_size

        with pytest.raises(FileNotFound):
            await cc.download_file(client, project.id, "no/such file.txt", tmp_path / "x")
        assert not (tmp_path / "x").exists()
        with pytest.raises(InvalidRequest):
            await cc.download_file(client, project.id, "back\\slash", tmp_path / "x")


async def test_conditional_writes_and_versions(
    replica: Any, replica_alice_key: str, tmp_path: Path
) -> None:
    path = "notes/plan #1.txt"
    v1_file, v2_file = tmp_path / "v1", tmp_path / "v2"
    v1_file.write_bytes(b"first version\n")
    v2_file.write_bytes(b"second version, longer\n")
    async with connect(replica.url, replica_alice_key) as client, temp_project(client) as project:
        first = await cc.upload_file(client, project.id, path, v1_file, if_none_match=True)
        with pytest.raises(PreconditionFailed):
            await cc.upload_file(client, project.id, path, v2_file, if_none_match=True)
        second = await cc.upload_file(
            client, project.id, path, v2_file, if_match=first.file_version_id
        )
        assert second.file_version_id != first.file_version_id
        with pytest.raises(PreconditionFailed):  # stale base
            await cc.upload_file(client, project.id, path, v1_file, if_match=first.file_version_id)

        versions = await cc.list_file_versions(client, project.id, path)
        assert [v.file_version_id for v in versions] == [
            second.file_version_id,
            first.file_version_id,
        ]
        assert versions[1].sha256 == hashlib.sha256(b"first version\n").hexdigest()

        old = await cc.download_file(
            client, project.id, path, tmp_path / "old", version=first.file_version_id
        )
        assert (tmp_path / "old").read_bytes() == b"first version\n"
        assert old.file_version_id == first.file_version_id

        with pytest.raises(PreconditionFailed):
            await cc.delete_file(client, project.id, path, if_match=first.file_version_id)
        await cc.delete_file(client, project.id, path, if_match=second.file_version_id)
        with pytest.raises(FileNotFound):
            await cc.download_file(client, project.id, path, tmp_path / "gone")
        with pytest.raises(FileNotFound):
            await cc.delete_file(client, project.id, path)
        assert await cc.list_files(client, project.id) == []
        history = await cc.list_file_versions(client, project.id, path)
        assert history[0].deleted and len(history) == 3


async def test_retries_ride_through_injected_faults(
    replica_factory: Any, replica_alice_key: str, tmp_path: Path
) -> None:
    server = replica_factory()
    local = tmp_path / "f.bin"
    local.write_bytes(os.urandom(300_000))
    counting = CountingTransport()
    async with connect(server.url, replica_alice_key, transport=counting) as client:
        project = await cc.create_project(client, "Faulty", slug("faults"), {})
        first = await cc.upload_file(client, project.id, "f.bin", local, if_none_match=True)
        server.set_faults(
            "error_rate=0.25,status=503,rate_limit=429:retry_after=1:rate=0.15,drop_rate=0.1,seed=7"
        )
        version = first.file_version_id
        for i in range(12):
            got = await cc.get_project(client, project.id)
            assert got.id == project.id
            await cc.update_project(client, project.id, title=f"Faulty {i}")
            listing = await cc.list_files(client, project.id)
            assert [f.path for f in listing] == ["f.bin"]
            res = await cc.download_file(client, project.id, "f.bin", tmp_path / "dl")
            assert res.sha256 == hashlib.sha256(local.read_bytes()).hexdigest()
            up = await cc.upload_file(client, project.id, "f.bin", local, if_match=version)
            version = up.file_version_id
        server.set_faults("off")
        assert (await cc.list_files(client, project.id))[0].file_version_id == version
        assert (await cc.get_project(client, project.id)).title == "Faulty 11"
    # every kind of fault was met and ridden through
    assert counting.outcomes["503"] > 0 and counting.outcomes["429"] > 0
    assert counting.outcomes["RemoteProtocolError"] + counting.outcomes["ReadError"] > 0


async def test_create_under_faults_never_duplicates(
    replica_factory: Any, replica_alice_key: str
) -> None:
    """POST create is only repeated when the failure proves it was not processed, so even
    with dropped connections there is never more than one project per name."""
    server = replica_factory(faults="error_rate=0.2,status=503,drop_rate=0.2,seed=11")
    names = [slug("dup") for _ in range(15)]
    outcomes: dict[str, str] = {}
    counting = CountingTransport()
    async with connect(server.url, replica_alice_key, transport=counting) as client:
        for name in names:
            try:
                await cc.create_project(client, "x", name, {})
                outcomes[name] = "created"
            except CloudUnavailable as exc:
                assert exc.outcome_unknown
                outcomes[name] = "unknown"
        server.set_faults("off")
        for name in names:
            found = await cc.list_all_projects(client, owner_me=True, name=name)
            assert len(found) <= 1
            if outcomes[name] == "created":
                assert len(found) == 1
    assert "created" in outcomes.values()
    assert counting.outcomes["503"] > 0  # retried: a 503 proves nothing was created


async def test_gives_up_when_everything_fails(replica_factory: Any, replica_alice_key: str) -> None:
    server = replica_factory(faults="error_rate=1,status=503")
    policy = cc.RetryPolicy(attempts=4, timeout=30, wait_initial=0.01, wait_max=0.02, wait_jitter=0)
    async with connect(server.url, replica_alice_key, policy) as client:
        started = time.monotonic()
        with pytest.raises(CloudUnavailable) as info:
            await cc.list_all_projects(client)
        assert time.monotonic() - started < 10
        assert info.value.status == 503
        assert await cc.healthz(client) is True  # healthz is never faulted


async def test_unreachable_cloud_is_unavailable(replica_factory: Any) -> None:
    server = replica_factory()
    url = server.url
    server.stop()
    policy = cc.RetryPolicy(attempts=3, timeout=5, wait_initial=0.01, wait_max=0.02, wait_jitter=0)
    async with connect(url, "demo-alice-key", policy) as client:
        with pytest.raises(CloudUnavailable) as info:
            await cc.get_account(client)
        with pytest.raises(CloudUnavailable) as create_info:
            await cc.create_project(client, "x", slug(), {})
    assert info.value.status is None and info.value.processed is False
    assert create_info.value.processed is False  # connect refused: safe to say not created


async def test_large_transfer_memory_is_bounded(
    replica: Any, replica_alice_key: str, tmp_path: Path
) -> None:
    size = 64 * 1024 * 1024
    src = tmp_path / "big.bin"
    hasher = hashlib.sha256()
    block = os.urandom(1024 * 1024)
    with open(src, "wb") as f:
        for i in range(size // len(block)):
            chunk = block[:-8] + i.to_bytes(8, "big")
            hasher.update(chunk)
            f.write(chunk)
    expected = hasher.hexdigest()
    policy = cc.RetryPolicy(attempts=3, timeout=120)
    async with (
        connect(replica.url, replica_alice_key, policy) as client,
        temp_project(client) as project,
    ):
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
        tracemalloc.start()
        try:
            up = await cc.upload_file(
                client,
                project.id,
                "big/blob.bin",
                src,
                if_none_match=True,
                expected_sha256=expected,
            )
            got = await cc.download_file(client, project.id, "big/blob.bin", tmp_path / "dl")
            _, peak = tracemalloc.get_traced_memory()
        finally:
            tracemalloc.stop()
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    assert got.sha256 == expected and got.size == size
    assert got.file_version_id == up.file_version_id
    assert peak < 16 * 1024 * 1024, f"traced peak {peak / 2**20:.1f} MiB"
    assert (rss_after - rss_before) * 1024 < 32 * 1024 * 1024  # ru_maxrss is KiB on Linux


async def test_upload_of_a_file_changed_since_hashing_commits_nothing(
    replica: Any, replica_alice_key: str, tmp_path: Path
) -> None:
    local = tmp_path / "a.bin"
    local.write_bytes(os.urandom(1_000_000))
    stale_hash = hashlib.sha256(b"what the file held when it was hashed").hexdigest()
    async with connect(replica.url, replica_alice_key) as client, temp_project(client) as project:
        with pytest.raises(LocalFileChanged):
            await cc.upload_file(
                client, project.id, "a.bin", local, if_none_match=True, expected_sha256=stale_hash
            )
        assert await cc.list_files(client, project.id) == []
        # the connection pool is still healthy afterwards
        ok = await cc.upload_file(client, project.id, "a.bin", local, if_none_match=True)
        assert [f.file_version_id for f in await cc.list_files(client, project.id)] == [
            ok.file_version_id
        ]
