"""The request plumbing every replica handler shares: state, faults, auth, JSON in and out.

Errors: handlers and storage raise `ReplicaError`s (and Tornado raises `HTTPError` for
things like 405); `write_error` turns every one of them into the Project API's JSON error
body, and anything unexpected into a plain `500 internal_error` — never a traceback.
"""

from __future__ import annotations

import asyncio
import json
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from types import TracebackType
from typing import Any

from tornado import web
from tornado.http1connection import HTTP1Connection

from .accounts import Directory, Principal, authenticate
from .dialect import Dialect, new_storage_secret
from .errors import InjectedFault, InvalidRequest, NotFound, ReplicaError
from .faults import FaultInjector
from .storage import Database

log = logging.getLogger("aext_project_replica")

_CODE_BY_STATUS = {
    400: "invalid_request",
    401: "auth_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    413: "too_large",
}


@dataclass
class ReplicaState:
    """What the handlers share. Mutable on purpose in two places: `faults` is swapped by the
    admin route, and `active` tracks in-flight requests so shutdown can drain them."""

    data_dir: Path
    db: Database
    directory: Directory
    blob_executor: ThreadPoolExecutor
    faults: FaultInjector
    admin_token: str | None = None
    max_upload_bytes: int = 5 * 1024**3
    active: set[int] = field(default_factory=set)
    dialect: Dialect = "ours"
    storage_secret: bytes = field(default_factory=new_storage_secret, repr=False)


class ReplicaHandler(web.RequestHandler):
    """Base handler: fault injection, then `Authorization: Bearer` authentication."""

    faultable = True
    needs_auth = True
    state: ReplicaState
    principal: Principal

    def initialize(self, state: ReplicaState) -> None:
        self.state = state

    async def prepare(self) -> None:
        self.state.active.add(id(self))
        if self.faultable and await self._inject_fault():
            return
        if self.needs_auth:
            self.principal = authenticate(
                self.state.directory, self.request.headers.get("Authorization")
            )

    async def _inject_fault(self) -> bool:
        """Apply this request's drawn fault; True if the connection was dropped."""
        decision = self.state.faults.decide(self.request.method or "GET")
        if decision.delay_s:
            await asyncio.sleep(decision.delay_s)
        if decision.action == "drop":
            connection = self.request.connection
            if isinstance(connection, HTTP1Connection):
                connection.close()
            self._finished = True  # nothing more may be written on this request
            self._request_done()
            return True
        if decision.action == "rate_limit":
            raise InjectedFault(
                decision.status,
                "rate_limited",
                "rate limited (injected fault)",
                {"Retry-After": str(decision.retry_after_s)},
            )
        if decision.action == "error":
            raise InjectedFault(decision.status)
        return False

    def _request_done(self) -> None:
        self.state.active.discard(id(self))

    def on_finish(self) -> None:
        self._request_done()

    def on_connection_close(self) -> None:
        self._request_done()
        super().on_connection_close()  # fails a streamed body's future, ending the handler

    def decode_argument(self, value: bytes, name: str | None = None) -> str:
        """Path parts (`name` None) never fail here: Tornado decodes them before `prepare`,
        and an error at that point would answer an upload before its body is read. Bad
        UTF-8 survives as surrogates, which path validation refuses and no project id has.
        """
        if name is None:
            return value.decode("utf-8", "surrogateescape")
        try:
            return value.decode("utf-8")
        except UnicodeDecodeError:
            raise InvalidRequest(f"the {name} argument is not valid UTF-8") from None

    def compute_etag(self) -> str | None:
        return None  # ETags are file versions, set explicitly; none for JSON answers.

    def json_body(self) -> dict[str, Any]:
        if not self.request.body:
            raise InvalidRequest("a JSON object body is required")
        try:
            body = json.loads(self.request.body)
        except ValueError:
            raise InvalidRequest("the body is not valid JSON") from None
        if not isinstance(body, dict):
            raise InvalidRequest("the body must be a JSON object")
        return body

    def write_json(self, payload: Any, status: int = 200) -> None:
        self.set_status(status)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps(payload))

    def log_exception(
        self,
        typ: type[BaseException] | None,
        value: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        if isinstance(value, ReplicaError) and value.status < 500:
            return  # an expected client error; the access log has the status
        if isinstance(value, ReplicaError):
            log.warning("%s %s: %s", self.request.method, self.request.uri, value.message)
            return
        super().log_exception(typ, value, tb)

    def write_error(self, status_code: int, **kwargs: Any) -> None:
        exc_info = kwargs.get("exc_info")
        error = exc_info[1] if exc_info else None
        headers: dict[str, str] = {}
        if isinstance(error, ReplicaError):
            status, code, message = error.status, error.code, error.message
            headers.update(error.headers)
        elif isinstance(error, web.HTTPError):
            status = error.status_code
            code = _CODE_BY_STATUS.get(status, "error")
            message = error.log_message or self._reason
        elif status_code < 500:
            status, code, message = status_code, _CODE_BY_STATUS.get(status_code, "error"), ""
        else:
            status, code, message = 500, "internal_error", "internal error"
        if status == 401 and self.state.dialect == "evidence":
            status = 403  # the real cloud's missing login: 403 auth_required (the evidence)
        self.set_status(status)
        for name, value in headers.items():
            self.set_header(name, value)
        self.set_header("Content-Type", "application/json")
        self.finish(json.dumps({"error": {"code": code, "message": message or self._reason}}))


class NoRouteHandler(ReplicaHandler):
    """Every unknown URL: a JSON 404."""

    faultable = False
    needs_auth = False

    async def prepare(self) -> None:
        raise NotFound(f"no route for {self.request.path}")
