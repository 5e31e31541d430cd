"""The API base handler: authentication, authorization and JSON errors with stable codes."""

from __future__ import annotations

import json
import logging
from typing import Any

from jupyter_server.base.handlers import APIHandler
from jupyter_server.extension.handler import ExtensionHandlerMixin
from tornado import web

from ..context import AppContext

AUTH_RESOURCE = "aext_project_filebrowser_server"
log = logging.getLogger(__name__)


class ApiError(web.HTTPError):
    """An HTTP error with a stable machine-readable `code` for the JSON body."""

    def __init__(self, status: int, code: str, message: str) -> None:
        super().__init__(status, reason=None)
        self.code = code
        self.message = message


_DEFAULT_CODES = {
    400: "invalid_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    412: "version_conflict",
    413: "too_large",
    415: "unsupported_media_type",
    503: "unavailable",
}


class ProjectsAPIHandler(ExtensionHandlerMixin, APIHandler):
    """Base of every REST handler of this extension."""

    auth_resource = AUTH_RESOURCE

    @property
    def context(self) -> AppContext:
        value: AppContext = self.settings["pfb_context"]
        return value

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        """Render every error as `{"message", "code"}`; never a traceback."""
        self.set_header("Content-Type", "application/json")
        exc = kwargs.get("exc_info", (None, None, None))[1]
        if isinstance(exc, ApiError):
            code, message = exc.code, exc.message
        elif isinstance(exc, web.HTTPError):
            code = _DEFAULT_CODES.get(status_code, "error")
            message = exc.log_message or self._reason
        else:
            code, message = "internal_error", "Unexpected server error; see the server log."
        self.finish(json.dumps({"message": message, "code": code}))

    def write_json(self, value: Any, status: int = 200) -> None:
        self.write_json_body(json.dumps(value, default=str), status)

    def write_json_body(self, body: str | bytes, status: int = 200) -> None:
        """Answer with JSON that is already serialized."""
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(body)
