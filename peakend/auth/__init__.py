"""Sign-in and access scope: who may see which halls, and what they did.

Roles (peakend.auth.roles): a hall manager sees the halls listed for them, a regional
manager every hall of their regions, head office and data admins every hall; only data
admins load or undo data and change targets. Users, their halls or regions, the audit log
and the failed-sign-in counters live in the warehouse; passwords are stored only as
argon2id hashes.

The scope is decided here on the server from the signed-in user (`scope_of`), and the
query layer binds it into every named query; no widget, URL or saved view can widen it.

A sign-in lasts through reloads and new tabs as a session cookie (peakend.auth.sessions):
a random token the server keeps only as a SHA-256 hash, revoked by a sign-out, a new
password or a disabled account.

No Streamlit in this package; peakend/ui/auth.py keeps the signed-in session and
draws the sign-in form. Administration is on the command line:

    python -m peakend users add NAME --role hall_manager --halls H001,H002
    python -m peakend users passwd NAME
    python -m peakend users scope NAME --regions North
    python -m peakend users list
"""

from peakend.auth import sessions
from peakend.auth.demo import DemoUser, create_demo_users
from peakend.auth.roles import ROLES, Permission, PermissionDenied, Role, role_may
from peakend.auth.signin import (
    IDLE_TIMEOUT,
    MAX_SESSION,
    Ended,
    Outcome,
    SignInResult,
    Ticket,
    check_session,
    open_session,
    required_wait,
    sign_in,
)
from peakend.warehouse.accounts import (
    User,
    UserError,
    add_user,
    audit,
    audit_entries,
    get_user,
    list_users,
    scope_of,
    set_active,
    set_email,
    set_password,
    set_scope,
    user_by_email,
)

__all__ = [
    "IDLE_TIMEOUT",
    "MAX_SESSION",
    "ROLES",
    "DemoUser",
    "Ended",
    "Outcome",
    "Permission",
    "PermissionDenied",
    "Role",
    "SignInResult",
    "Ticket",
    "User",
    "UserError",
    "add_user",
    "audit",
    "audit_entries",
    "check_session",
    "create_demo_users",
    "get_user",
    "list_users",
    "open_session",
    "required_wait",
    "role_may",
    "scope_of",
    "sessions",
    "set_active",
    "set_email",
    "set_password",
    "set_scope",
    "sign_in",
    "user_by_email",
]
