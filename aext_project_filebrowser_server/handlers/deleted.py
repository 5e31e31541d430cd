"""REST handlers for recently deleted files and for one revision's bytes.

- `GET projects/{id}/deleted?limit=N`: the project trash and this server's cloud deletes,
  newest first (default 100, 1-1000).
- `POST projects/{id}/deleted/restore` `{"trash_path"}`: a trash file back to its path, or
  next to it under a new name; never overwrites.
- `GET projects/{id}/files/{path}/versions/{version}/content`: the raw bytes of a cloud
  revision (at most 50 MiB), read-only.
"""

from __future__ import annotations

import re
from urllib.parse import quote

from jupyter_server.auth.decorator import authorized
from tornado import web
from tornado.iostream import StreamClosedError

from ..schemas.deleted import RestoreDeletedBody
from ..services import deleted_files, version_content
from .base import ApiError
from .projects import PROJECT, ProjectsRESTHandler


class DeletedFilesHandler(ProjectsRESTHandler):
    @web.authenticated
    @authorized
    async def get(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        raw = self.get_query_argument("limit", None) or str(deleted_files.DEFAULT_LIMIT)
        if not re.fullmatch(r"[0-9]{1,6}", raw):
            raise ApiError(400, "invalid_query", f"limit must be 1-{deleted_files.MAX_LIMIT}")
        self.send(await self.run(deleted_files.deleted_files(self.context, pid, int(raw))))


class RestoreDeletedHandler(ProjectsRESTHandler):
    @web.authenticated
    @authorized
    async def post(self, project_id: str) -> None:
        pid = self.project_id(project_id)
        body = self.body(RestoreDeletedBody)
        self.send(await self.run(deleted_files.restore_deleted(self.context, pid, body.trash_path)))


class VersionContentHandler(ProjectsRESTHandler):
    @property
    def content_security_policy(self) -> str:
        # Served from Jupyter's origin: a revision that is HTML or SVG must not run script
        # (with `X-Content-Type-Options: nosniff`, which every Jupyter handler sends).
        return super().content_security_policy + "; sandbox"

    @web.authenticated
    @authorized
    async def get(self, project_id: str, path: str, version: str) -> None:
        pid = self.project_id(project_id)
        path = self.file_path(path)
        fetch = version_content.fetch_revision(self.context, pid, path, version)
        revision = await self.run(fetch)
        try:
            self.set_header("Content-Type", revision.media_type)
            self.set_header("Content-Length", str(revision.size))
            self.set_header("Cache-Control", "no-store")
            name = quote(path.rpartition("/")[2])
            self.set_header("Content-Disposition", f"inline; filename*=UTF-8''{name}")
            async for piece in version_content.chunks(revision):
                self.write(piece)
                await self.flush()
            self.finish(set_content_type=revision.media_type)
        except StreamClosedError:
            pass  # the client went away; nothing to answer
        finally:
            await version_content.discard(revision)


default_handlers: list[tuple[str, type[web.RequestHandler]]] = [
    (PROJECT + r"/deleted/?", DeletedFilesHandler),
    (PROJECT + r"/deleted/restore/?", RestoreDeletedHandler),
    (PROJECT + r"/files/(?P<path>.+)/versions/(?P<version>[^/]+)/content/?", VersionContentHandler),
]
