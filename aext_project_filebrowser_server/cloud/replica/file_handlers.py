"""Handlers for project files: listing, streamed upload and download, deletion, versions.

URL ambiguity: `GET /api/projects/{id}/files/{path}/versions` is the version listing of
`{path}` if the project has or ever had a file at `{path}`; otherwise it is a plain read of
a file whose path ends in `/versions` (404 if that does not exist either). A single trailing
slash after a file path is ignored, like on every other route.

Uploads are `@stream_request_body`: the body goes chunk by chunk through the multipart
parser into a temp file (see `upload`), so memory does not grow with the file. A refused
upload (auth, role, precondition, bad form) is answered only after its body has been read:
answering early would close the connection under a client that is still sending, and most
clients then report a broken pipe instead of the JSON error. Only an announced
`Content-Length` above the cap is refused at once (413).
"""

from __future__ import annotations

import asyncio
from pathlib import Path
from urllib.parse import quote

from tornado import httputil, web
from tornado.http1connection import HTTP1Connection

from . import file_store as store
from .base import ReplicaHandler
from .blobs import store_blob, tmp_dir
from .cursors import decode_cursor, encode_cursor, next_page_url, parse_limit
from .dialect import (
    EVIDENCE_PAGE_MAX,
    Dialect,
    file_model_json,
    sign_storage_link,
    with_directories,
)
from .downloads import parse_etags, send_revision
from .errors import InvalidPath, ReplicaError, TooLarge
from .paths import normalize_path, normalize_prefix
from .serialize import file_json, version_json
from .upload import MultipartFileReceiver, multipart_boundary

FILES_DEFAULT_LIMIT = 1000
FILES_MAX_LIMIT = 10000
MULTIPART_OVERHEAD = 1024 * 1024
PRECHECK_ABOVE_BYTES = 1024 * 1024
VERSIONS_SUFFIX = "/versions"


def parse_conditions(headers: httputil.HTTPHeaders, dialect: Dialect) -> store.Conditions:
    if dialect == "evidence":  # nothing shows the real cloud honours them: it drops them
        return store.Conditions(if_match=None, if_none_match=None)
    return store.Conditions(
        if_match=parse_etags(headers.get("If-Match")),
        if_none_match=parse_etags(headers.get("If-None-Match")),
    )


def _store_file(data_dir: Path, tmp_path: Path, sha256: str) -> None:
    """Put a spooled upload in the blob store (blocking: runs on a blob worker thread)."""
    try:
        store_blob(data_dir, tmp_path, sha256)
    except BaseException:
        tmp_path.unlink(missing_ok=True)
        raise


def _strip_slash(raw_path: str) -> str:
    return raw_path[:-1] if raw_path.endswith("/") else raw_path


class FileListHandler(ReplicaHandler):
    """`GET /api/projects/{id}/files?prefix=&limit=&cursor=`: current files by path."""

    async def get(self, project_id: str) -> None:
        evidence = self.state.dialect == "evidence"
        maximum = EVIDENCE_PAGE_MAX if evidence else FILES_MAX_LIMIT
        limit = parse_limit(self.get_query_argument("limit", None), FILES_DEFAULT_LIMIT, maximum)
        cursor = self.get_query_argument("cursor", None)
        after = decode_cursor(cursor, 1)[0] if cursor else None
        page = await self.state.db.run_sqlite(
            store.list_files,
            self.principal,
            project_id,
            prefix=normalize_prefix(self.get_query_argument("prefix", "") or ""),
            after=after,
            limit=limit,
        )
        next_url = None
        if page.has_more:
            next_url = next_page_url(self.request.full_url(), encode_cursor([page.items[-1].path]))
        if evidence:
            entries = [file_model_json(project_id, r.path, r.version_id) for r in page.items]
            items = with_directories(project_id, entries)
            self.write_json({"items": items, "num_items": len(items), "next_page_url": next_url})
            return
        self.write_json(
            {
                "items": [file_json(r) for r in page.items],
                "num_items": page.total,
                "next_page_url": next_url,
            }
        )


@web.stream_request_body
class FileHandler(ReplicaHandler):
    """`GET`/`HEAD`/`PUT`/`DELETE /api/projects/{id}/files/{path}`."""

    _receiver: MultipartFileReceiver | None = None
    _deferred: ReplicaError | None = None

    async def prepare(self) -> None:
        connection = self.request.connection
        if self.request.method == "PUT" and isinstance(connection, HTTP1Connection):
            # Raise Tornado's body cap for uploads only (JSON routes keep the small default).
            connection.set_max_body_size(self.state.max_upload_bytes + MULTIPART_OVERHEAD)
        try:
            await super().prepare()
            if self.request.method == "PUT" and not self._finished:
                await self._prepare_upload()
        except ReplicaError as e:
            if self.request.method != "PUT" or isinstance(e, TooLarge):
                raise
            self._deferred = e

    async def _prepare_upload(self) -> None:
        project_id, raw_path = self.path_args
        path = normalize_path(_strip_slash(raw_path))
        cap = self.state.max_upload_bytes + MULTIPART_OVERHEAD
        length = self.request.headers.get("Content-Length")
        if length and length.isdigit() and int(length) > cap:
            raise TooLarge(f"uploads are limited to {self.state.max_upload_bytes} bytes")
        boundary = multipart_boundary(self.request.headers.get("Content-Type"))
        if not (length and length.isdigit() and int(length) <= PRECHECK_ABOVE_BYTES):
            # Worth a DB round trip to refuse before reading a large body; small bodies are
            # checked only at commit (which re-checks everything anyway), keeping PUT cheap.
            await self.state.db.run_sqlite(
                store.check_write,
                self.principal,
                project_id,
                path,
                parse_conditions(self.request.headers, self.state.dialect),
            )
        self._receiver = MultipartFileReceiver(boundary, tmp_dir(self.state.data_dir))

    def data_received(self, chunk: bytes) -> None:
        if self._receiver is not None:
            self._receiver.feed(chunk)

    def on_finish(self) -> None:
        self._discard_upload()
        super().on_finish()

    def on_connection_close(self) -> None:
        self._discard_upload()
        super().on_connection_close()

    def _discard_upload(self) -> None:
        if self._receiver is not None:
            self._receiver.discard()
            self._receiver = None

    # -- upload ------------------------------------------------------------------------
    async def put(self, project_id: str, raw_path: str) -> None:
        if self._deferred is not None:
            raise self._deferred
        assert self._receiver is not None
        path = normalize_path(_strip_slash(raw_path))
        received = self._receiver.finish()
        self._receiver = None
        if received.tmp_path is not None:
            await asyncio.get_running_loop().run_in_executor(
                self.state.blob_executor,
                _store_file,
                self.state.data_dir,
                received.tmp_path,
                received.sha256,
            )
        record, created = await self.state.db.run_sqlite(
            store.add_revision,
            self.principal,
            project_id,
            path,
            sha256=received.sha256,
            size=received.size,
            conditions=parse_conditions(self.request.headers, self.state.dialect),
            content=None if received.tmp_path is not None else received.content,
        )
        url = (
            f"{self.request.protocol}://{self.request.host}"
            f"/api/projects/{project_id}/files/{quote(path)}"
        )
        self.set_header("ETag", f'"{record.version_id}"')
        self.write_json(
            {
                "url": url,
                "project_id": project_id,
                "name": path,
                "file_version_id": record.version_id,
            },
            status=201 if created else 200,
        )

    # -- delete ------------------------------------------------------------------------
    async def delete(self, project_id: str, raw_path: str) -> None:
        path = normalize_path(_strip_slash(raw_path))
        await self.state.db.run_sqlite(
            store.delete_file,
            self.principal,
            project_id,
            path,
            parse_conditions(self.request.headers, self.state.dialect),
        )
        self.set_status(204)
        self.finish()

    # -- read --------------------------------------------------------------------------
    async def get(self, project_id: str, raw_path: str) -> None:
        await self._read(project_id, _strip_slash(raw_path), send_body=True)

    async def head(self, project_id: str, raw_path: str) -> None:
        await self._read(project_id, _strip_slash(raw_path), send_body=False)

    async def _read(self, project_id: str, raw_path: str, *, send_body: bool) -> None:
        if await self._maybe_versions(project_id, raw_path):
            return
        path = normalize_path(raw_path)
        revision, content = await self.state.db.run_sqlite(
            store.find_revision,
            self.principal,
            project_id,
            path,
            self.get_query_argument("version", None),
        )
        if self.state.dialect == "evidence":  # presigned storage, as a real cloud may do
            token = sign_storage_link(
                self.state.storage_secret,
                self.principal.user_id,
                project_id,
                path,
                revision.version_id,
            )
            self.redirect(f"/_storage/{token}", status=302)
            return
        await send_revision(self, revision, content, path, send_body=send_body)

    async def _maybe_versions(self, project_id: str, raw_path: str) -> bool:
        """Answer a version listing if this URL is one (see the module docstring)."""
        if not raw_path.endswith(VERSIONS_SUFFIX):
            return False
        try:
            path = normalize_path(raw_path[: -len(VERSIONS_SUFFIX)])
        except InvalidPath:
            return False
        versions = await self.state.db.run_sqlite(
            store.list_versions, self.principal, project_id, path
        )
        if versions is None:
            return False
        directory = self.state.directory
        self.write_json(
            {
                "items": [version_json(r, directory) for r in versions],
                "num_items": len(versions),
                "next_page_url": None,
            }
        )
        return True
