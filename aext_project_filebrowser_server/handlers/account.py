"""GET account: the cloud user behind the configured API key (the panel shows it)."""

from __future__ import annotations

from jupyter_server.auth.decorator import authorized
from tornado import web

from ..services.account import current_account
from ..services.errors import ServiceError
from .base import ApiError, ProjectsAPIHandler


class AccountHandler(ProjectsAPIHandler):
    @web.authenticated
    @authorized
    async def get(self) -> None:
        try:
            account = await current_account(self.context)
        except ServiceError as exc:
            raise ApiError(exc.status, exc.code, exc.message) from None
        self.write_json(account.model_dump(mode="json"))


default_handlers = [(r"/aext_project_filebrowser_server/account/?", AccountHandler)]
