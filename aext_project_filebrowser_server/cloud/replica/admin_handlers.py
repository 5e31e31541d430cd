"""`/_replica/faults`: lets a test change fault injection while the server runs.

Authorised by `Authorization: Bearer <admin token>` (`--admin-token`); without an admin
token the route answers 404, as if it did not exist. Never faulted itself.
"""

from __future__ import annotations

import hmac

from .base import ReplicaHandler
from .errors import AuthRequired, InvalidRequest, NotFound
from .faults import FaultInjector, parse_faults


class FaultsAdminHandler(ReplicaHandler):
    """`GET` the current spec; `PUT {"spec": "..."}` replaces it (and re-seeds the draws)."""

    faultable = False
    needs_auth = False

    async def prepare(self) -> None:
        await super().prepare()
        token = self.state.admin_token
        if not token:
            raise NotFound(f"no route for {self.request.path}")
        scheme, _, given = (self.request.headers.get("Authorization") or "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip(), token):
            raise AuthRequired("the admin token is required")

    def get(self) -> None:
        self.write_json({"spec": str(self.state.faults.spec)})

    def put(self) -> None:
        spec_text = self.json_body().get("spec", "")
        if not isinstance(spec_text, str):
            raise InvalidRequest("spec must be a string")
        try:
            spec = parse_faults(spec_text)
        except ValueError as e:
            raise InvalidRequest(str(e)) from None
        self.state.faults = FaultInjector(spec)
        self.write_json({"spec": str(spec)})
