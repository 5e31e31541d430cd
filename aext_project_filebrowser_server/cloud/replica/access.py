"""Who may do what to a project: roles reader < writer < owner.

A caller's role on a project is the highest of: owner if they own it, or if it is owned by
an organization they belong to (every member of an owning organization counts as an owner —
deliberately simple); the role of any grant to them or to one of their organizations; and
reader if the project is public. No role means the project is invisible: that is a 404, not
a 403, so private projects do not leak their existence. A visible project with too low a
role is `403 forbidden`.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Literal

from .accounts import Principal
from .errors import Forbidden, NotFound

Role = Literal["reader", "writer", "owner"]
ROLES: tuple[Role, ...] = ("reader", "writer", "owner")
_RANK = {role: rank for rank, role in enumerate(ROLES, start=1)}


def effective_role(
    principal: Principal,
    owner_type: str,
    owner_id: str,
    is_public: bool,
    grants: Iterable[tuple[str, str, str]],
) -> Role | None:
    """The caller's role given the project's owner, visibility and (type, id, role) grants."""
    if (owner_type == "user" and owner_id == principal.user_id) or (
        owner_type == "organization" and owner_id in principal.org_ids
    ):
        return "owner"
    best: Role | None = "reader" if is_public else None
    for grantee_type, grantee_id, role in grants:
        mine = (grantee_type == "user" and grantee_id == principal.user_id) or (
            grantee_type == "organization" and grantee_id in principal.org_ids
        )
        if mine and role in _RANK and (best is None or _RANK[role] > _RANK[best]):
            best = role
    return best


def require_role(role: Role | None, needed: Role, what: str = "project") -> Role:
    """`role` if it is at least `needed`; `NotFound` if invisible, `Forbidden` if too low."""
    if role is None:
        raise NotFound(f"{what} not found")
    if _RANK[role] < _RANK[needed]:
        raise Forbidden(f"this needs the {needed} role on the {what}; you are a {role}")
    return role
