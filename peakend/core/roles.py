"""Roles, what each may do, and which halls each sees.

| role             | sees                         | may also                       |
|------------------|------------------------------|--------------------------------|
| hall_manager     | the halls listed for them    |                                |
| regional_manager | every hall of their regions  |                                |
| head_office      | every hall                   |                                |
| data_admin       | every hall                   | load and undo data, set targets|
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    HALL_MANAGER = "hall_manager"
    REGIONAL_MANAGER = "regional_manager"
    HEAD_OFFICE = "head_office"
    DATA_ADMIN = "data_admin"


ROLES = tuple(Role)

# The kind of scope entry each role is given (None: the role sees every hall).
SCOPE_KIND: dict[Role, str | None] = {
    Role.HALL_MANAGER: "hall",
    Role.REGIONAL_MANAGER: "region",
    Role.HEAD_OFFICE: None,
    Role.DATA_ADMIN: None,
}


class Permission(StrEnum):
    LOAD_DATA = "load_data"  # load files, undo loads
    CHANGE_TARGETS = "change_targets"


PERMISSIONS: dict[Permission, frozenset[Role]] = {
    Permission.LOAD_DATA: frozenset({Role.DATA_ADMIN}),
    Permission.CHANGE_TARGETS: frozenset({Role.DATA_ADMIN}),
}


class PermissionDenied(RuntimeError):
    """The signed-in user's role may not do this."""


def role_may(role: str, permission: Permission) -> bool:
    return role in PERMISSIONS[permission]
