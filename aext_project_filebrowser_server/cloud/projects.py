"""Projects in the cloud: list, read, create, update, delete.

Which projects are the user's (`list_user_projects`): the evidence says every public client
lists with `owner=me`, and Anaconda's own "share" makes a project public, so an unfiltered
list could hold any stranger's public project. The refresh therefore reads the user's own
projects, then each of their organizations' (`GET /api/organizations/my`), then the projects
shared with them directly (`list_shared_projects`, the one guess: no public evidence shows
how the real cloud lists them), and keeps from the owner listings only projects whose owner
is the user or one of those organizations, in case a cloud ignores the filter.
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator, Mapping
from typing import Any

from ..schemas.projects import CloudProject, ProjectOwner
from .accounts import get_account, list_my_organizations
from .answers import parse_model
from .errors import CloudError, CloudUnavailable, InvalidRequest, NotFound
from .sending import Replay, RetryLog, json_request, pages, retrying, send_once
from .session import CloudClient, project_url, projects_url

PAGE_LIMIT = 1000
SHARED_ROUTE = "shared-with-me"
log = logging.getLogger(__name__)


async def list_projects(
    client: CloudClient,
    *,
    owner_me: bool = False,
    owner: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    page_size: int = PAGE_LIMIT,
) -> AsyncIterator[CloudProject]:
    """Every project visible to the user (only their own with `owner_me`, only those of
    the user or organization named `owner`), optionally filtered by tag / name, over all
    pages (`page_size` per request). A failing page raises."""
    params: dict[str, str | int] = {"limit": page_size}
    if owner_me:
        params["owner"] = "me"
    elif owner is not None:
        params["owner"] = owner
    if tag is not None:
        params["tag"] = tag
    if name is not None:
        params["name"] = name
    # The trailing slash is the form the public Anaconda clients use.
    async for items in pages(client, projects_url(client, ""), params, CloudProject):
        for project in items:
            yield project


async def list_all_projects(
    client: CloudClient,
    *,
    owner_me: bool = False,
    owner: str | None = None,
    tag: str | None = None,
    name: str | None = None,
    page_size: int = PAGE_LIMIT,
) -> list[CloudProject]:
    """`list_projects` collected into a list (complete, or an exception)."""
    return [
        p
        async for p in list_projects(
            client, owner_me=owner_me, owner=owner, tag=tag, name=name, page_size=page_size
        )
    ]


async def list_shared_projects(client: CloudClient) -> list[CloudProject]:
    """Projects other owners shared with the user or their organizations.

    `GET /api/projects/shared-with-me` is the replica's route and our guess: nothing public
    shows how the real cloud lists them. A cloud without the route answers 404 (or 400 /
    405): that is "none", never a listing of everything visible.
    """
    url = projects_url(client, SHARED_ROUTE)
    try:
        return [
            p
            async for items in pages(client, url, {"limit": PAGE_LIMIT}, CloudProject)
            for p in items
        ]
    except (NotFound, InvalidRequest) as exc:
        log.info("this cloud lists no projects shared with the user (%s)", exc.status)
        return []


async def list_user_projects(client: CloudClient) -> list[CloudProject]:
    """The user's projects, their organizations' and those shared with them (see the
    module docstring), each once. Complete, or an exception."""
    me = (await get_account(client)).user.id
    orgs = await list_my_organizations(client)
    owners = {("user", me)} | {("organization", o.id) for o in orgs}
    found: dict[str, CloudProject] = {}
    listings = [list_all_projects(client, owner_me=True)]
    listings += [list_all_projects(client, owner=o.name or o.id) for o in orgs]
    for listing in listings:
        for project in await listing:
            if (project.owner.type, project.owner.id) in owners:
                found.setdefault(project.id, project)
    for project in await list_shared_projects(client):
        found.setdefault(project.id, project)
    return list(found.values())


async def get_project(client: CloudClient, project_id: str) -> CloudProject:
    return await json_request(client, "GET", project_url(client, project_id), CloudProject)


async def create_project(
    client: CloudClient,
    title: str,
    name: str,
    metadata: Mapping[str, Any] | None = None,
    owner: ProjectOwner | None = None,
) -> CloudProject:
    """Create a project. `name` must be a fresh random slug: it identifies this request.

    Retried only when the failure proves nothing was created (see `cloud.sending`).
    After an ambiguous failure the project is looked up by `name` and returned if the
    create did happen; otherwise `CloudUnavailable` (`outcome_unknown`) is raised.
    """
    body: dict[str, Any] = {"title": title, "name": name, "metadata": dict(metadata or {})}
    if owner is not None:
        body["owner"] = {"type": owner.type, "id": owner.id}
    log_ = RetryLog()

    async def once() -> CloudProject:
        resp = await send_once(client, "POST", projects_url(client), json_body=body)
        return parse_model(client, resp, CloudProject)

    try:
        return await retrying(client, Replay.IF_UNPROCESSED, once, log=log_)
    except CloudUnavailable as exc:
        if not log_.ambiguous:
            raise
        try:
            candidates = await list_all_projects(client, owner_me=owner is None, name=name)
        except CloudError:
            raise exc from None
        found = [
            p
            for p in candidates
            if p.name == name
            and (owner is None or (p.owner.type, p.owner.id) == (owner.type, owner.id))
        ]
        if len(found) == 1:
            return found[0]
        raise


async def update_project(
    client: CloudClient,
    project_id: str,
    *,
    title: str | None = None,
    metadata: Mapping[str, Any] | None = None,
) -> CloudProject:
    """PATCH a project's title and/or metadata keys (the cloud merges the given metadata
    keys into the stored ones). These are absolute values, so repeating the PATCH gives the
    same result and it is retried as idempotent. With neither given, the current project is
    returned."""
    body: dict[str, Any] = {}
    if title is not None:
        body["title"] = title
    if metadata is not None:
        body["metadata"] = dict(metadata)
    if not body:
        return await get_project(client, project_id)
    return await json_request(
        client, "PATCH", project_url(client, project_id), CloudProject, json_body=body
    )


async def delete_project(client: CloudClient, project_id: str) -> None:
    """Delete a project. A 404 after an ambiguous earlier attempt counts as done."""
    log_ = RetryLog()

    async def once() -> None:
        try:
            await send_once(client, "DELETE", project_url(client, project_id))
        except NotFound:
            if not log_.ambiguous:
                raise

    await retrying(client, Replay.ALWAYS, once, log=log_)
