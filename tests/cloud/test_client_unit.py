"""Narrow unit tests of the cloud client over `httpx.MockTransport`: response validation,
error mapping, retry rules and timing, key redaction, request encoding.

Everything that can be tested against the real replica is in `test_client_replica.py`.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from email.parser import BytesParser
from email.policy import HTTP
from pathlib import Path
from typing import Any

import httpx
import pytest

from aext_project_filebrowser_server.cloud import client as cc
from aext_project_filebrowser_server.cloud.errors import (
    AlreadyExists,
    AuthRequired,
    CloudError,
    CloudUnavailable,
    FileNotFound,
    Forbidden,
    InvalidCloudResponse,
    InvalidRequest,
    LocalFileChanged,
    PreconditionFailed,
    ProjectNotFound,
    RateLimited,
)

KEY = "sk-super-secret-key-0123456789"
BASE = "http://cloud.test"
FAST = cc.RetryPolicy(attempts=4, timeout=10.0, wait_initial=0.001, wait_max=0.005, wait_jitter=0)

Handler = Callable[[httpx.Request], httpx.Response]


def make(handler: Handler, policy: cc.RetryPolicy = FAST) -> cc.CloudClient:
    return cc.make_cloud_client(
        BASE, KEY, transport=httpx.MockTransport(handler), retry_policy=policy
    )


def project_json(pid: str = "p1", name: str = "slug-1", **over: Any) -> dict[str, Any]:
    data: dict[str, Any] = {
        "id": pid,
        "name": name,
        "title": "My project",
        "created_at": "2024-01-01T00:00:00Z",
        "updated_at": "2024-01-02T00:00:00Z",
        "metadata": {"tags": ["a"], "description": "d", "unknown_key": 1},
        "owner": {"id": "u1", "type": "user", "name": "alice"},
        "extra_field_from_the_future": True,
    }
    data.update(over)
    return data


def error(status: int, code: str, message: str = "nope", **headers: str) -> httpx.Response:
    return httpx.Response(
        status, json={"error": {"code": code, "message": message}}, headers=headers
    )


class Recorder:
    """A MockTransport handler answering from a list of responses (or exceptions)."""

    def __init__(self, *answers: httpx.Response | Exception | Handler) -> None:
        self.answers = list(answers)
        self.requests: list[httpx.Request] = []
        self.times: list[float] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        request.read()
        self.requests.append(request)
        self.times.append(time.monotonic())
        answer = self.answers.pop(0) if len(self.answers) > 1 else self.answers[0]
        if isinstance(answer, Exception):
            raise answer
        if callable(answer) and not isinstance(answer, httpx.Response):
            return answer(request)
        return answer


# ---------------------------------------------------------------------------------------------
# Headers, parsing
# ---------------------------------------------------------------------------------------------


async def test_headers_and_project_parsing() -> None:
    rec = Recorder(httpx.Response(200, json=project_json()))
    client = make(rec)
    try:
        project = await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert project.id == "p1" and project.owner.name == "alice"
    assert project.metadata.tags == ("a",)
    req = rec.requests[0]
    assert req.headers["Authorization"] == f"Bearer {KEY}"
    assert req.headers["Api-Version"] == cc.DEFAULT_API_VERSION
    assert req.url.raw_path == b"/api/projects/p1"


async def test_healthz_sends_no_credentials() -> None:
    rec = Recorder(httpx.Response(200, json={"status": "ok"}))
    client = make(rec)
    try:
        assert await cc.healthz(client) is True
    finally:
        await cc.aclose(client)
    assert "Authorization" not in rec.requests[0].headers
    assert rec.requests[0].url.path == "/api/projects/healthz"


@pytest.mark.parametrize(
    "response, fragment",
    [
        (httpx.Response(200, text="<html>gateway</html>"), "non-JSON"),
        (httpx.Response(200, content=b"\xff\xfe\x00garbage"), "non-JSON"),
        (httpx.Response(200, json={"id": "p1"}), "name"),
        (httpx.Response(200, json=project_json(owner="alice")), "owner"),
        (httpx.Response(200, json=project_json(created_at="yesterday")), "created_at"),
        (httpx.Response(200, json=[1, 2, 3]), "<root>"),
        (httpx.Response(200, content=b"null"), "<root>"),
    ],
)
async def test_malformed_project_is_invalid_cloud_response(
    response: httpx.Response, fragment: str
) -> None:
    client = make(Recorder(response))
    try:
        with pytest.raises(InvalidCloudResponse) as info:
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert fragment in str(info.value)
    assert "GET /api/projects/p1" in str(info.value)


@pytest.mark.parametrize(
    "body",
    [
        {"items": "not a list", "num_items": 1, "next_page_url": None},
        {"num_items": 0, "next_page_url": None},
        {"items": [], "next_page_url": 17},
    ],
)
async def test_malformed_file_listing(body: dict[str, Any]) -> None:
    """A page that is not a page fails the listing: nothing in it can be trusted."""
    client = make(Recorder(httpx.Response(200, json=body)))
    try:
        with pytest.raises(InvalidCloudResponse):
            await cc.list_files(client, "p1")
    finally:
        await cc.aclose(client)


async def test_account_and_permissions_parse() -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/account":
            return httpx.Response(
                200,
                json={
                    "user": {"id": "u1", "email": "a@x", "username": "al", "new": 1},
                    "profile": {},
                },
            )
        if request.url.path == "/api/organizations/my":
            return httpx.Response(200, json=[{"id": "o1", "name": "acme", "title": "Acme"}])
        assert request.url.path == "/api/projects/p1/permissions"
        if request.method == "POST":
            assert json.loads(request.content) == {
                "is_public": True,
                "users": ["u2"],
                "role": "reader",
            }
        return httpx.Response(
            200,
            json={"is_public": True, "grants": [{"type": "user", "id": "u2", "role": "reader"}]},
        )

    client = make(handler)
    try:
        account = await cc.get_account(client)
        orgs = await cc.list_my_organizations(client)
        perms = await cc.set_permissions(client, "p1", is_public=True, users=["u2"], role="reader")
        again = await cc.get_permissions(client, "p1")
    finally:
        await cc.aclose(client)
    assert account.user.email == "a@x" and account.user.display_name == "al"
    assert orgs[0].name == "acme" and orgs[0].title == "Acme"
    assert perms == again and perms.grants[0].id == "u2"


# ---------------------------------------------------------------------------------------------
# Error mapping
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "status, code, cls",
    [
        (400, "invalid_request", InvalidRequest),
        (401, "auth_required", AuthRequired),
        (403, "forbidden", Forbidden),
        (404, "not_found", ProjectNotFound),
        (409, "conflict", AlreadyExists),
        (412, "precondition_failed", PreconditionFailed),
        (418, "teapot", CloudError),
    ],
)
async def test_status_mapping(status: int, code: str, cls: type[CloudError]) -> None:
    rec = Recorder(error(status, code, "server says no"))
    client = make(rec)
    try:
        with pytest.raises(cls) as info:
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert type(info.value) is cls
    assert info.value.status == status and info.value.code == code
    assert "server says no" in str(info.value)
    assert len(rec.requests) == 1  # 4xx are never retried


async def test_404_on_a_file_is_file_not_found(tmp_path: Path) -> None:
    client = make(Recorder(httpx.Response(404, text="not json at all")))
    try:
        with pytest.raises(FileNotFound) as info:
            await cc.download_file(client, "p1", "a/b.txt", tmp_path / "x")
        with pytest.raises(FileNotFound):
            await cc.list_file_versions(client, "p1", "a/b.txt")
    finally:
        await cc.aclose(client)
    assert info.value.status == 404 and info.value.code == "not_found"
    assert not (tmp_path / "x").exists()


async def test_redirect_is_not_followed() -> None:
    rec = Recorder(httpx.Response(302, headers={"Location": "https://evil.test/steal"}))
    client = make(rec)
    try:
        with pytest.raises(InvalidCloudResponse, match="redirect"):
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 1


# ---------------------------------------------------------------------------------------------
# Retries
# ---------------------------------------------------------------------------------------------


async def test_503_then_200_succeeds() -> None:
    rec = Recorder(
        error(503, "unavailable"),
        error(502, "bad_gateway"),
        httpx.Response(200, json=project_json()),
    )
    client = make(rec)
    try:
        project = await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert project.id == "p1" and len(rec.requests) == 3


async def test_429_retry_after_is_honoured() -> None:
    rec = Recorder(
        error(429, "rate_limited", **{"Retry-After": "1"}), httpx.Response(200, json=project_json())
    )
    client = make(rec)
    try:
        await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 2
    assert rec.times[1] - rec.times[0] >= 0.95


async def test_429_retry_after_is_capped() -> None:
    policy = cc.RetryPolicy(
        attempts=3,
        timeout=10,
        wait_initial=0.001,
        wait_max=0.01,
        wait_jitter=0,
        retry_after_max=0.05,
    )
    rec = Recorder(
        error(429, "rate_limited", **{"Retry-After": "3600"}),
        httpx.Response(200, json=project_json()),
    )
    client = make(rec, policy)
    try:
        await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert 0.04 <= rec.times[1] - rec.times[0] < 1.0


async def test_429_longer_than_budget_gives_up_at_once() -> None:
    policy = cc.RetryPolicy(
        attempts=5,
        timeout=2.0,
        wait_initial=0.001,
        wait_max=0.01,
        wait_jitter=0,
        retry_after_max=30,
    )
    rec = Recorder(error(429, "rate_limited", **{"Retry-After": "20"}))
    client = make(rec, policy)
    started = time.monotonic()
    try:
        with pytest.raises(RateLimited) as info:
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert time.monotonic() - started < 1.0
    assert info.value.retry_after == 20 and info.value.status == 429
    assert len(rec.requests) == 1


async def test_429_exhausted_raises_rate_limited() -> None:
    rec = Recorder(error(429, "rate_limited", **{"Retry-After": "0"}))
    client = make(rec)
    try:
        with pytest.raises(RateLimited):
            await cc.list_all_projects(client)
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == FAST.attempts


async def test_budget_exhausted_is_cloud_unavailable() -> None:
    rec = Recorder(error(503, "unavailable"))
    client = make(rec)
    try:
        with pytest.raises(CloudUnavailable) as info:
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == FAST.attempts
    assert info.value.status == 503


async def test_connection_errors_are_retried_then_unavailable() -> None:
    rec = Recorder(
        httpx.ConnectError("refused"),
        httpx.ReadTimeout("slow"),
        httpx.RemoteProtocolError("dropped"),
        httpx.ReadError("reset"),
    )
    client = make(rec)
    try:
        with pytest.raises(CloudUnavailable) as info:
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 4
    assert info.value.status is None and info.value.outcome_unknown


async def test_total_timeout_bounds_retries() -> None:
    policy = cc.RetryPolicy(
        attempts=1000, timeout=0.3, wait_initial=0.05, wait_max=0.05, wait_jitter=0
    )
    rec = Recorder(error(500, "boom"))
    client = make(rec, policy)
    started = time.monotonic()
    try:
        with pytest.raises(CloudUnavailable):
            await cc.get_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert time.monotonic() - started < 2.0
    assert 2 <= len(rec.requests) < 20


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ReadError("reset after send"),
        httpx.ReadTimeout("no answer"),
        httpx.RemoteProtocolError("peer closed"),
        error(500, "internal"),
        error(504, "timeout"),
    ],
)
async def test_post_is_not_retried_after_ambiguous_failure(failure: Any) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            return posts(request)
        # the name lookup after the ambiguous failure: nothing found
        return httpx.Response(200, json={"items": [], "num_items": 0, "next_page_url": None})

    posts = Recorder(failure, httpx.Response(201, json=project_json()))
    client = make(handler)
    try:
        with pytest.raises(CloudUnavailable) as info:
            await cc.create_project(client, "T", "slug-1", {})
    finally:
        await cc.aclose(client)
    assert len(posts.requests) == 1
    assert info.value.outcome_unknown


async def test_ambiguous_create_is_recovered_by_name_lookup() -> None:
    seen: list[str] = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append(f"{request.method} {request.url.path} {request.url.query.decode()}")
        if request.method == "POST":
            raise httpx.ReadError("connection reset after the request was sent")
        return httpx.Response(
            200,
            json={
                "items": [project_json(name="slug-1-other"), project_json(name="slug-1")],
                "num_items": 2,
                "next_page_url": None,
            },
        )

    client = make(handler)
    try:
        project = await cc.create_project(client, "T", "slug-1", {"tags": []})
    finally:
        await cc.aclose(client)
    assert project.name == "slug-1"
    assert [s.split()[0] for s in seen] == ["POST", "GET"]
    assert "name=slug-1" in seen[1] and "owner=me" in seen[1]


@pytest.mark.parametrize(
    "failure",
    [
        httpx.ConnectError("refused"),
        httpx.ConnectTimeout("syn lost"),
        httpx.PoolTimeout("busy"),
        error(503, "unavailable"),
        error(429, "rate_limited", **{"Retry-After": "0"}),
    ],
)
async def test_post_is_retried_when_provably_unprocessed(failure: Any) -> None:
    rec = Recorder(failure, httpx.Response(201, json=project_json()))
    client = make(rec)
    try:
        project = await cc.create_project(client, "T", "slug-1", {"description": "x"}, owner=None)
    finally:
        await cc.aclose(client)
    assert project.id == "p1" and len(rec.requests) == 2
    body = json.loads(rec.requests[-1].content)
    assert body == {"title": "T", "name": "slug-1", "metadata": {"description": "x"}}


async def test_patch_is_retried_as_idempotent() -> None:
    rec = Recorder(httpx.ReadError("reset"), httpx.Response(200, json=project_json(title="New")))
    client = make(rec)
    try:
        project = await cc.update_project(client, "p1", title="New")
    finally:
        await cc.aclose(client)
    assert project.title == "New" and len(rec.requests) == 2
    assert all(json.loads(r.content) == {"title": "New"} for r in rec.requests)


async def test_delete_404_after_ambiguous_attempt_is_success() -> None:
    rec = Recorder(httpx.ReadError("reset"), error(404, "not_found"))
    client = make(rec)
    try:
        await cc.delete_project(client, "p1")
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 2


async def test_delete_404_at_first_attempt_raises() -> None:
    client = make(Recorder(error(404, "not_found")))
    try:
        with pytest.raises(ProjectNotFound):
            await cc.delete_project(client, "p1")
    finally:
        await cc.aclose(client)


async def test_list_page_failure_never_returns_a_partial_listing() -> None:
    def file(i: int) -> dict[str, Any]:
        return {
            "path": f"f{i}",
            "size": 1,
            "sha256": "0" * 64,
            "last_modified": "2024-01-01T00:00:00Z",
            "file_version_id": f"v{i}",
        }

    rec = Recorder(
        httpx.Response(
            200,
            json={
                "items": [file(1)],
                "num_items": 2,
                "next_page_url": f"{BASE}/api/projects/p1/files?cursor=abc",
            },
        ),
        error(500, "boom"),
    )
    client = make(rec)
    try:
        with pytest.raises(CloudUnavailable):
            await cc.list_files(client, "p1")
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 1 + FAST.attempts
    assert rec.requests[0].url.params["limit"] == "10000"
    # next_page_url is followed verbatim, without re-adding our parameters
    assert str(rec.requests[1].url) == f"{BASE}/api/projects/p1/files?cursor=abc"


async def test_a_cloud_that_caps_pages_lower_is_listed_in_pages_of_1000() -> None:
    """The real cloud is only known to take `limit=1000`: a 400 for the larger page is
    answered by listing again in pages of 1,000, and the next listing starts there."""
    listing = {"items": [], "num_items": 0, "next_page_url": None}
    rec = Recorder(
        error(400, "invalid_request", "limit must be at most 1000"),
        httpx.Response(200, json=listing),
        httpx.Response(200, json=listing),
    )
    client = make(rec)
    try:
        assert await cc.list_files(client, "p1") == []
        assert await cc.list_files(client, "p1") == []
    finally:
        await cc.aclose(client)
    limits = [r.url.params["limit"] for r in rec.requests]
    assert limits == ["10000", "1000", "1000"]


async def test_next_page_url_to_another_origin_is_refused() -> None:
    rec = Recorder(
        httpx.Response(
            200,
            json={
                "items": [],
                "num_items": 0,
                "next_page_url": "https://evil.test/api/projects?cursor=1",
            },
        )
    )
    client = make(rec)
    try:
        with pytest.raises(InvalidCloudResponse, match="outside"):
            await cc.list_all_projects(client)
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 1


async def test_next_page_loop_is_detected() -> None:
    rec = Recorder(
        httpx.Response(
            200, json={"items": [project_json()], "next_page_url": "/api/projects/?c=1"}
        ),
        httpx.Response(
            200, json={"items": [project_json()], "next_page_url": "/api/projects/?c=1"}
        ),
    )
    client = make(rec)
    try:
        with pytest.raises(InvalidCloudResponse, match="repeats"):
            await cc.list_all_projects(client, owner_me=True, tag="t", name="n")
    finally:
        await cc.aclose(client)
    first = rec.requests[0].url
    assert first.path == "/api/projects/"
    assert dict(first.params) == {"limit": "1000", "owner": "me", "tag": "t", "name": "n"}


# ---------------------------------------------------------------------------------------------
# The API key never leaks
# ---------------------------------------------------------------------------------------------


async def test_api_key_never_in_error_messages(tmp_path: Path) -> None:
    cases: list[httpx.Response | Exception] = [
        error(401, "auth_required", f"bad key {KEY}"),
        error(500, "boom", f"Authorization: Bearer {KEY}"),
        httpx.Response(200, text=f"not json {KEY}"),
        httpx.ConnectError(f"cannot connect with {KEY}"),
        httpx.Response(302, headers={"Location": f"http://x/?key={KEY}"}),
    ]
    for case in cases:
        client = make(Recorder(case))
        try:
            with pytest.raises(CloudError) as info:
                await cc.get_project(client, "p1")
        finally:
            await cc.aclose(client)
        exc = info.value
        for text in (str(exc), repr(exc), exc.message, str(exc.args)):
            assert KEY not in text
        assert exc.__cause__ is None or KEY not in str(exc.__cause__)
    client = make(Recorder(httpx.Response(200, json={})))
    try:
        assert KEY not in repr(client)
    finally:
        await cc.aclose(client)


# ---------------------------------------------------------------------------------------------
# Encoding of paths and uploads
# ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "path, raw",
    [
        ("a b/c#d?e.txt", b"/api/projects/p%2F1/files/a%20b/c%23d%3Fe.txt"),
        (
            "données/été ✓.ipynb",
            b"/api/projects/p%2F1/files/donn%C3%A9es/%C3%A9t%C3%A9%20%E2%9C%93.ipynb",
        ),
        ("100%/x+y&z=1", b"/api/projects/p%2F1/files/100%25/x%2By%26z%3D1"),
    ],
)
async def test_paths_are_encoded_per_segment(tmp_path: Path, path: str, raw: bytes) -> None:
    rec = Recorder(httpx.Response(200, content=b"hi", headers={"ETag": '"v1"'}))
    client = make(rec)
    try:
        await cc.download_file(client, "p/1", path, tmp_path / "out")
    finally:
        await cc.aclose(client)
    assert rec.requests[0].url.raw_path == raw


@pytest.mark.parametrize("path", ["", "/abs", "a//b", "../x", "a/./b", "a/..", "a/\x00"])
async def test_bad_paths_are_rejected_before_sending(tmp_path: Path, path: str) -> None:
    rec = Recorder(httpx.Response(200))
    client = make(rec)
    try:
        with pytest.raises(InvalidRequest):
            await cc.download_file(client, "p1", path, tmp_path / "out")
    finally:
        await cc.aclose(client)
    assert rec.requests == []


def parse_multipart(request: httpx.Request) -> tuple[dict[str, Any], bytes]:
    content_type = request.headers["Content-Type"]
    msg = BytesParser(policy=HTTP).parsebytes(
        b"Content-Type: " + content_type.encode() + b"\r\n\r\n" + request.content
    )
    parts: list[Any] = list(msg.iter_parts())
    assert len(parts) == 1
    part = parts[0]
    payload = part.get_payload(decode=True)
    assert isinstance(payload, bytes)
    return (
        {
            "name": part.get_param("name", header="content-disposition"),
            "filename": part.get_filename(),
        },
        payload,
    )


def upload_answer(request: httpx.Request) -> httpx.Response:
    return httpx.Response(
        200,
        json={"url": str(request.url), "project_id": "p1", "name": "x", "file_version_id": "v2"},
    )


async def test_upload_is_a_sized_multipart_body(tmp_path: Path) -> None:
    local = tmp_path / "data.bin"
    data = bytes(range(256)) * 3000  # 768000 bytes: several chunks
    local.write_bytes(data)
    rec = Recorder(upload_answer)
    client = make(rec)
    try:
        result = await cc.upload_file(client, "p1", "dir/résumé #1.bin", local, if_match="v1")
    finally:
        await cc.aclose(client)
    assert result.file_version_id == "v2"
    req = rec.requests[0]
    assert req.method == "PUT"
    assert req.headers["If-Match"] == '"v1"'
    assert "Transfer-Encoding" not in req.headers
    assert int(req.headers["Content-Length"]) == len(req.content)
    params, payload = parse_multipart(req)
    assert params == {"name": "files", "filename": "résumé #1.bin"}
    assert payload == data


async def test_upload_if_none_match(tmp_path: Path) -> None:
    local = tmp_path / "e.txt"
    local.write_bytes(b"")
    rec = Recorder(error(412, "precondition_failed"))
    client = make(rec)
    try:
        with pytest.raises(PreconditionFailed):
            await cc.upload_file(client, "p1", "e.txt", local, if_none_match=True)
        with pytest.raises(ValueError):
            await cc.upload_file(client, "p1", "e.txt", local, if_none_match=True, if_match="v")
    finally:
        await cc.aclose(client)
    assert rec.requests[0].headers["If-None-Match"] == "*"
    assert len(rec.requests) == 1
    assert parse_multipart(rec.requests[0])[1] == b""


async def test_upload_without_precondition_not_retried_after_ambiguous_failure(
    tmp_path: Path,
) -> None:
    local = tmp_path / "a.txt"
    local.write_bytes(b"hello")
    rec = Recorder(httpx.ReadError("reset"), upload_answer)
    client = make(rec)
    try:
        with pytest.raises(CloudUnavailable):
            await cc.upload_file(client, "p1", "a.txt", local)
    finally:
        await cc.aclose(client)
    assert len(rec.requests) == 1


async def test_conditional_upload_retried_and_own_write_adopted(tmp_path: Path) -> None:
    """The first PUT succeeded but its answer was lost; the retry gets 412 because the
    version moved. The newest revision holds our bytes, so the upload is adopted."""
    local = tmp_path / "a.txt"
    local.write_bytes(b"hello")
    digest = hashlib.sha256(b"hello").hexdigest()
    puts = Recorder(httpx.ReadError("reset"), error(412, "precondition_failed"))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return puts(request)
        assert request.url.path == "/api/projects/p1/files/a.txt/versions"
        return httpx.Response(
            200,
            json={
                "items": [
                    {
                        "file_version_id": "v2",
                        "size": 5,
                        "sha256": digest,
                        "last_modified": "2024-01-01T00:00:00Z",
                    },
                    {
                        "file_version_id": "v1",
                        "size": 3,
                        "sha256": "1" * 64,
                        "last_modified": "2023-01-01T00:00:00Z",
                    },
                ],
                "next_page_url": None,
            },
        )

    client = make(handler)
    try:
        result = await cc.upload_file(client, "p1", "a.txt", local, if_match="v1")
    finally:
        await cc.aclose(client)
    assert result.file_version_id == "v2" and len(puts.requests) == 2


async def test_conditional_upload_412_by_someone_else_raises(tmp_path: Path) -> None:
    local = tmp_path / "a.txt"
    local.write_bytes(b"hello")
    puts = Recorder(httpx.ReadError("reset"), error(412, "precondition_failed"))

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "PUT":
            return puts(request)
        return httpx.Response(
            200,
            json={
                "items": [
                    {
                        "file_version_id": "v9",
                        "size": 5,
                        "sha256": "2" * 64,
                        "last_modified": "2024-01-01T00:00:00Z",
                    }
                ],
                "next_page_url": None,
            },
        )

    client = make(handler)
    try:
        with pytest.raises(PreconditionFailed):
            await cc.upload_file(client, "p1", "a.txt", local, if_none_match=True)
    finally:
        await cc.aclose(client)


async def test_upload_aborts_when_file_differs_from_expected_hash(tmp_path: Path) -> None:
    local = tmp_path / "a.txt"
    local.write_bytes(b"changed since hashing")
    rec = Recorder(upload_answer)
    client = make(rec)
    try:
        with pytest.raises(LocalFileChanged):
            await cc.upload_file(
                client,
                "p1",
                "a.txt",
                local,
                if_none_match=True,
                expected_sha256=hashlib.sha256(b"original").hexdigest(),
            )
        ok = await cc.upload_file(
            client,
            "p1",
            "a.txt",
            local,
            if_none_match=True,
            expected_sha256=hashlib.sha256(local.read_bytes()).hexdigest(),
        )
    finally:
        await cc.aclose(client)
    assert ok.file_version_id == "v2"
    assert len(rec.requests) == 1  # the aborted body never reached the handler


# ---------------------------------------------------------------------------------------------
# Downloads
# ---------------------------------------------------------------------------------------------


async def test_download_verifies_and_reports(tmp_path: Path) -> None:
    data = b"x" * 1_000_000
    digest = hashlib.sha256(data).hexdigest()
    rec = Recorder(
        httpx.Response(200, content=data, headers={"ETag": '"ver-7"', "X-Checksum-Sha256": digest})
    )
    client = make(rec)
    dest = tmp_path / "out.bin"
    try:
        result = await cc.download_file(client, "p1", "a.bin", dest, version="ver-7")
    finally:
        await cc.aclose(client)
    assert result == cc.DownloadResult(sha256=digest, size=len(data), file_version_id="ver-7")
    assert dest.read_bytes() == data
    assert rec.requests[0].url.params["version"] == "ver-7"


@pytest.mark.parametrize(
    "headers",
    [{"X-Checksum-Sha256": "0" * 64}, {"Content-Length": "999"}],
)
async def test_download_mismatch_is_invalid_and_removes_dest(
    tmp_path: Path, headers: dict[str, str]
) -> None:
    def handler(request: httpx.Request) -> httpx.Response:
        resp = httpx.Response(200, content=b"some bytes", headers={"ETag": '"v"'})
        resp.headers.update(headers)
        return resp

    client = make(handler)
    dest = tmp_path / "out.bin"
    try:
        with pytest.raises(InvalidCloudResponse):
            await cc.download_file(client, "p1", "a.bin", dest)
    finally:
        await cc.aclose(client)
    assert not dest.exists()


async def test_download_retried_after_503(tmp_path: Path) -> None:
    rec = Recorder(error(503, "unavailable"), httpx.Response(200, content=b"ok"))
    client = make(rec)
    try:
        result = await cc.download_file(client, "p1", "a", tmp_path / "o")
    finally:
        await cc.aclose(client)
    assert result.size == 2 and result.file_version_id is None and len(rec.requests) == 2


async def test_make_cloud_client_validates_base_url() -> None:
    with pytest.raises(ValueError):
        cc.make_cloud_client("ftp://x", KEY)
    with pytest.raises(ValueError):
        cc.RetryPolicy(attempts=0)
