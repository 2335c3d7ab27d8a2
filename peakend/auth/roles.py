"""Roles and permissions live in peakend/core/roles.py (the warehouse needs them without
loading the sign-in package); this name stays for the callers that import it from here."""

from peakend.core.roles import (  # noqa: F401
    PERMISSIONS,
    ROLES,
    SCOPE_KIND,
    Permission,
    PermissionDenied,
    Role,
    role_may,
)
