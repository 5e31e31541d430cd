"""Users, organizations and API keys, loaded once into memory.

Accounts only come from the seed (the API has no route that creates users, organizations or
keys), so they cannot change while the server runs. Loading them at start-up lets every
request authenticate and name owners without a DB round trip.
"""

from __future__ import annotations

import hashlib
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from .errors import AuthRequired
from .models import ApiKey, Membership, Organization, User


@dataclass(frozen=True)
class Principal:
    """The authenticated caller."""

    user_id: str
    name: str
    email: str
    org_ids: frozenset[str] = field(default_factory=frozenset)


@dataclass(frozen=True)
class Directory:
    users: Mapping[str, Principal]
    org_names: Mapping[str, str]
    user_by_key_sha256: Mapping[str, str]

    def owner_name(self, owner_type: str, owner_id: str) -> str:
        if owner_type == "organization":
            return self.org_names.get(owner_id, owner_id)
        user = self.users.get(owner_id)
        return user.name if user else owner_id

    def account_by_name(self, name: str) -> tuple[str, str] | None:
        """(owner_type, owner_id) of the user or organization called `name`."""
        for user in self.users.values():
            if user.name == name:
                return ("user", user.user_id)
        for org_id, org_name in self.org_names.items():
            if org_name == name:
                return ("organization", org_id)
        return None


def key_sha256(api_key: str) -> str:
    return hashlib.sha256(api_key.encode("utf-8")).hexdigest()


def load_directory(session: Session) -> Directory:
    orgs_of: dict[str, set[str]] = {}
    for m in session.scalars(select(Membership)):
        orgs_of.setdefault(m.user_id, set()).add(m.org_id)
    users = {
        u.id: Principal(u.id, u.name, u.email, frozenset(orgs_of.get(u.id, ())))
        for u in session.scalars(select(User))
    }
    org_names = {o.id: o.name for o in session.scalars(select(Organization))}
    keys = {k.key_sha256: k.user_id for k in session.scalars(select(ApiKey))}
    return Directory(users, org_names, keys)


def authenticate(directory: Directory, authorization: str | None) -> Principal:
    """The caller named by an `Authorization: Bearer <api key>` header, or `AuthRequired`."""
    headers = {"WWW-Authenticate": 'Bearer realm="projects"'}
    if not authorization:
        raise AuthRequired("an API key is required (Authorization: Bearer <key>)", headers)
    scheme, _, token = authorization.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip():
        raise AuthRequired("the Authorization header must be 'Bearer <api key>'", headers)
    user_id = directory.user_by_key_sha256.get(key_sha256(token.strip()))
    user = directory.users.get(user_id) if user_id else None
    if user is None:
        raise AuthRequired("unknown API key", headers)
    return user
