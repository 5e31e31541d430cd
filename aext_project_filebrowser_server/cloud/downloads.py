"""Downloading a file's bytes: streamed to a temp path, hashed, checked, made durable.

The cloud may answer with a redirect to presigned storage (Anaconda's own clients use
`requests`, which follows redirects). Redirects are followed here by hand, never sending the
credential to the storage: httpx keeps `Authorization` on a same-origin redirect, and a
presigned URL must not receive the user's key. The storage's `ETag` says nothing about the
Project API's revisions, so the version id of a download is never read from it.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import httpx

from . import pacing
from .answers import read_capped, redact, status_error, transport_error
from .errors import FileNotFound, InvalidCloudResponse
from .sending import Replay, auth_headers, retrying
from .session import CloudClient, file_url
from .transfer import DownloadSink

MAX_REDIRECTS = 5
_REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class DownloadResult:
    """What `download_file` wrote: its sha256 (computed on the way), size, and the
    revision's id when known (the `version` asked for, or the API's own `ETag` when it
    answered without a redirect)."""

    sha256: str
    size: int
    file_version_id: str | None


def _unquote_etag(etag: str | None) -> str | None:
    if etag is None:
        return None
    v = etag.strip()
    if v.startswith("W/"):
        v = v[2:]
    if len(v) >= 2 and v[0] == v[-1] == '"':
        v = v[1:-1]
    return v or None


async def download_file(
    client: CloudClient,
    project_id: str,
    path: str,
    dest: Path,
    *,
    version: str | None = None,
    durable: bool = True,
) -> DownloadResult:
    """Stream a file (its current revision, or `version`) to `dest`, a temporary path the
    caller then moves into place. The sha256 is computed on the way and checked against
    `X-Checksum-Sha256` and the length against `Content-Length` when sent; a mismatch raises
    `InvalidCloudResponse`. On any failure the partial `dest` is deleted; on success it is
    fsynced before returning, unless `durable=False` (the caller fsyncs it later, or only
    reads it). Interrupted downloads are restarted (GET is idempotent)."""
    url = file_url(client, project_id, path)
    params = {"version": version} if version is not None else None
    headers = auth_headers(client, {"Accept-Encoding": "identity", "Accept": "*/*"})
    plain = {"Accept-Encoding": "identity", "Accept": "*/*"}

    async def once() -> DownloadResult:
        target: httpx.URL = client.http.build_request("GET", url, params=params).url
        sent_headers = headers
        for hop in range(MAX_REDIRECTS + 1):
            try:
                with pacing.waiting_on_cloud():
                    async with client.http.stream("GET", target, headers=sent_headers) as resp:
                        location = resp.headers.get("Location")
                        if resp.status_code in _REDIRECTS and location and hop < MAX_REDIRECTS:
                            target = target.join(location)
                            sent_headers = plain  # never the credential to the storage
                            continue
                        if resp.status_code >= 300:
                            content = await read_capped(resp)
                            raise status_error(
                                client,
                                "GET",
                                resp.request.url,
                                resp.status_code,
                                resp.headers,
                                content,
                                FileNotFound,
                            )
                        api_etag = _unquote_etag(resp.headers.get("ETag")) if hop == 0 else None
                        return await _receive(client, resp, dest, durable, version or api_etag)
            except httpx.TransportError as exc:
                raise transport_error(client, "GET", url, exc) from None
        raise AssertionError("unreachable")  # pragma: no cover

    return await retrying(client, Replay.ALWAYS, once)


async def _receive(
    client: CloudClient,
    resp: httpx.Response,
    dest: Path,
    durable: bool,
    version_id: str | None,
) -> DownloadResult:
    where = f"GET {resp.request.url.path}"
    encoded = resp.headers.get("Content-Encoding", "identity").lower() not in ("", "identity")
    expected_size: int | None = None
    if not encoded and (length := resp.headers.get("Content-Length")) is not None:
        try:
            expected_size = int(length)
        except ValueError:
            raise InvalidCloudResponse(
                f"{where}: bad Content-Length {length[:40]!r}", status=resp.status_code
            ) from None
    expected_sha = resp.headers.get("X-Checksum-Sha256")
    async with DownloadSink(dest, durable=durable) as sink:
        # Content-Encoding is decoded (we ask for identity; a server may still compress).
        # Pieces come as received (no re-chunking copy): the sink batches them.
        async for chunk in resp.aiter_bytes():
            await sink.write(chunk)
        await sink.close()
        if expected_size is not None and sink.size != expected_size:
            raise InvalidCloudResponse(
                redact(
                    client,
                    f"{where}: received {sink.size} bytes, Content-Length said {expected_size}",
                ),
                status=resp.status_code,
            )
        if expected_sha is not None and sink.sha256 != expected_sha.strip().lower():
            raise InvalidCloudResponse(
                redact(
                    client,
                    f"{where}: downloaded bytes hash to {sink.sha256}, the cloud announced "
                    f"{expected_sha[:80]}",
                ),
                status=resp.status_code,
            )
        sink.keep()
    return DownloadResult(sha256=sink.sha256, size=sink.size, file_version_id=version_id)
