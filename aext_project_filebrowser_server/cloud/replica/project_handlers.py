"""Handlers for health, the caller's account, projects and their permissions."""

from __future__ import annotations

from datetime import datetime

from tornado import web

from . import project_store as store
from .base import ReplicaHandler
from .bodies import parse_permissions_change, parse_project_create, parse_project_update
from .cursors import decode_cursor, encode_cursor, next_page_url, parse_limit
from .errors import InvalidRequest
from .serialize import permissions_json, project_json

PROJECTS_DEFAULT_LIMIT = 25
PROJECTS_MAX_LIMIT = 1000


class HealthHandler(ReplicaHandler):
    """`GET /api/projects/healthz`: no auth, never faulted."""

    faultable = False
    needs_auth = False

    def get(self) -> None:
        self.write_json({"status": "ok"})


class AccountHandler(ReplicaHandler):
    """`GET /api/account` in the shape anaconda-auth's live tests show: no `user.name`,
    and the organizations on their own route. The seed has one name per user: it is the
    username; first and last names are empty."""

    def get(self) -> None:
        me = self.principal
        user = {"id": me.user_id, "email": me.email, "username": me.name}
        self.write_json(
            {
                "user": {**user, "first_name": "", "last_name": ""},
                "profile": {},
                "subscriptions": [],
            }
        )


class MyOrganizationsHandler(ReplicaHandler):
    """`GET /api/organizations/my`: the caller's organizations, `[{"id", "name", "title"}]`."""

    def get(self) -> None:
        me, names = self.principal, self.state.directory.org_names
        orgs = [{"id": o, "name": names[o], "title": names[o]} for o in sorted(me.org_ids)]
        self.write_json(orgs)


class ProjectsHandler(ReplicaHandler):
    """`GET /api/projects` (list, filter, paginate) and `POST /api/projects` (create).

    Without `owner` the list holds every visible project, public ones of strangers too."""

    shared_only = False

    def _owner_filter(self) -> tuple[str, str] | None:
        owner = self.get_query_argument("owner", None)
        if not owner:
            return None
        if owner == "me":
            return ("user", self.principal.user_id)
        # Any other value names a user or organization; an unknown name matches nothing.
        return self.state.directory.account_by_name(owner) or ("none", "")

    async def get(self) -> None:
        limit = parse_limit(
            self.get_query_argument("limit", None), PROJECTS_DEFAULT_LIMIT, PROJECTS_MAX_LIMIT
        )
        after = None
        cursor = self.get_query_argument("cursor", None)
        if cursor:
            at, last_id = decode_cursor(cursor, 2)
            try:
                after = (datetime.fromisoformat(at), last_id)
            except ValueError:
                raise InvalidRequest("invalid cursor") from None
        page = await self.state.db.run(
            store.list_projects,
            self.principal,
            owner=self._owner_filter(),
            shared_only=self.shared_only,
            tag=self.get_query_argument("tag", None),
            name=self.get_query_argument("name", None),
            after=after,
            limit=limit,
        )
        next_url = None
        if page.has_more:
            last = page.items[-1]
            next_cursor = encode_cursor([last.created_at.isoformat(), last.id])
            next_url = next_page_url(self.request.full_url(), next_cursor)
        directory = self.state.directory
        self.write_json(
            {
                "items": [project_json(p, directory, self.state.dialect) for p in page.items],
                "num_items": len(page.items) if self.state.dialect == "evidence" else page.total,
                "next_page_url": next_url,
            }
        )

    async def post(self) -> None:
        body = parse_project_create(self.json_body())
        record = await self.state.db.run(
            store.create_project,
            self.principal,
            name=body.name,
            title=body.title,
            metadata=body.metadata,
            owner=body.owner,
        )
        self.set_header("Location", f"/api/projects/{record.id}")
        self.write_json(project_json(record, self.state.directory, self.state.dialect), status=201)


class SharedProjectsHandler(ProjectsHandler):
    """`GET /api/projects/shared-with-me`: projects of other owners with a grant to the
    caller or one of their organizations (not merely public). Our own route: no public
    evidence shows how the real cloud lists them (see `cloud.projects`)."""

    shared_only = True

    async def post(self) -> None:
        raise web.HTTPError(405)


class ProjectHandler(ReplicaHandler):
    """`GET`, `PATCH` (writer) and `DELETE` (owner) of one project."""

    async def get(self, project_id: str) -> None:
        record = await self.state.db.run(store.get_project, self.principal, project_id)
        self.write_json(project_json(record, self.state.directory, self.state.dialect))

    async def patch(self, project_id: str) -> None:
        body = parse_project_update(self.json_body())
        record = await self.state.db.run(
            store.update_project,
            self.principal,
            project_id,
            title=body.title,
            metadata=body.metadata,
        )
        self.write_json(project_json(record, self.state.directory, self.state.dialect))

    async def delete(self, project_id: str) -> None:
        await self.state.db.run(store.delete_project, self.principal, project_id)
        self.set_status(204)
        self.finish()


class PermissionsHandler(ReplicaHandler):
    """`GET`/`POST /api/projects/{id}/permissions`: public flag and grants (owners change)."""

    async def get(self, project_id: str) -> None:
        permissions = await self.state.db.run(store.get_permissions, self.principal, project_id)
        self.write_json(permissions_json(permissions))

    async def post(self, project_id: str) -> None:
        change = parse_permissions_change(self.json_body(), self.state.directory)
        permissions = await self.state.db.run(
            store.set_permissions,
            self.principal,
            project_id,
            is_public=change.is_public,
            grantees=change.grantees,
            role=change.role,
        )
        self.write_json(permissions_json(permissions))
