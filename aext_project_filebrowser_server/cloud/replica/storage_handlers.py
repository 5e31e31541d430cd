"""The evidence dialect's object storage: `GET /_storage/{token}` serves the revision a
signed, short-lived token names (see `dialect.sign_storage_link`).

Like presigned object storage, it refuses a request that also carries an `Authorization`
header (S3 answers 400 "only one auth mechanism allowed"), so a client that forwards the
user's API key on a redirect fails here as it would against the real storage.
"""

from __future__ import annotations

from . import file_store as store
from .base import ReplicaHandler
from .dialect import read_storage_link
from .downloads import send_revision
from .errors import InvalidRequest, NotFound


class StorageHandler(ReplicaHandler):
    needs_auth = False

    async def get(self, token: str) -> None:
        await self._serve(token, send_body=True)

    async def head(self, token: str) -> None:
        await self._serve(token, send_body=False)

    async def _serve(self, token: str, *, send_body: bool) -> None:
        if self.request.headers.get("Authorization"):
            raise InvalidRequest("only one auth mechanism allowed: the link is presigned")
        claims = read_storage_link(self.state.storage_secret, token)
        user = self.state.directory.users.get(claims[0]) if claims else None
        if claims is None or user is None:
            raise NotFound("no such object, or the link expired")
        _, project_id, path, version_id = claims
        revision, content = await self.state.db.run_sqlite(
            store.find_revision, user, project_id, path, version_id
        )
        await send_revision(self, revision, content, path, send_body=send_body, storage=True)
