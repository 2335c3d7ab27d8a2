"""`python -m peakend users ...`: add users, reset passwords, set scopes, list, audit.

Passwords are typed at a hidden prompt (twice) or read from standard input with
--password-stdin; never from the command line, where other users of the machine could
see them in the process list.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from peakend.auth.passwords import WeakPassword, check_strength
from peakend.auth.roles import ROLES, SCOPE_KIND, Role
from peakend.warehouse import accounts as store
from peakend.warehouse import lake
from peakend.warehouse.db import Database


def _names(text: str) -> list[str]:
    return [part.strip() for part in text.split(",") if part.strip()]


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--db",
        "--warehouse",
        default=lake.warehouse_target(),
        help="the warehouse (default: $PEAKEND_WAREHOUSE, else $PEAKEND_DB, else data/demo.duckdb)",
    )
    sub = parser.add_subparsers(dest="users_command", required=True)
    roles = [r.value for r in ROLES]

    def scope_options(p, required_role: bool) -> None:
        p.add_argument("--role", choices=roles, required=required_role)
        p.add_argument("--halls", type=_names, default=[], help="hall ids, comma separated (hall managers)")
        p.add_argument("--regions", type=_names, default=[], help="regions, comma separated (regional managers)")

    def password_option(p) -> None:
        p.add_argument(
            "--password-stdin", action="store_true", help="read the password from the first line of standard input"
        )

    p = sub.add_parser("add", help="add a user")
    p.add_argument("username")
    scope_options(p, required_role=True)
    p.add_argument("--name", help="display name (default: the user name)")
    p.add_argument("--email", help="e-mail address: maps a single sign-on identity to this user")
    password_option(p)
    p.add_argument(
        "--sso-only",
        action="store_true",
        help="no password: the user signs in only through single sign-on (needs --email)",
    )

    p = sub.add_parser("passwd", help="set a new password (ends the user's open sessions)")
    p.add_argument("username")
    password_option(p)

    p = sub.add_parser("scope", help="set a user's halls or regions (and optionally role)")
    p.add_argument("username")
    scope_options(p, required_role=False)

    p = sub.add_parser("email", help="set (or, without an address, clear) a user's e-mail")
    p.add_argument("username")
    p.add_argument("address", nargs="?")

    for name, text in (("disable", "disable a user (ends their sessions)"), ("enable", "enable a user again")):
        p = sub.add_parser(name, help=text)
        p.add_argument("username")

    sub.add_parser("list", help="list users with their role and scope")
    p = sub.add_parser("sessions", help="list a user's open sessions (browsers holding a session cookie)")
    p.add_argument("username")
    p.add_argument("--revoke", action="store_true", help="end them all (every browser signs in again)")
    sub.add_parser("demo", help="add the four demo users (one per role, passwords in the README)")

    p = sub.add_parser("audit", help="show the latest audit entries")
    p.add_argument("--user", help="only this user name")
    p.add_argument("--last", type=int, default=30, help="how many entries (default 30)")


def _read_password(args) -> str:
    if args.password_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
    else:
        password = getpass.getpass("New password: ")
        if getpass.getpass("Repeat it: ") != password:
            raise store.UserError("the two passwords differ")
    check_strength(password)
    return password


def _actor() -> str:
    try:
        return f"cli:{getpass.getuser()}"
    except Exception:  # no user name in this environment
        return "cli"


def _scope_text(user: store.User) -> str:
    if user.halls:
        return "halls " + ",".join(user.halls)
    if user.regions:
        return "regions " + ",".join(user.regions)
    return "all halls"


def _warn_unknown(db: Database, halls: list[str], regions: list[str]) -> None:
    known_halls, known_regions = store.known_halls_and_regions(db)
    for kind, names, known in (("hall", halls, known_halls), ("region", regions, known_regions)):
        for name in names:
            if name not in known:
                print(f"note: no {kind} {name!r} is loaded yet; the user will see it once it is", file=sys.stderr)


def run(args: argparse.Namespace) -> int:
    try:
        return _run(args)
    except (store.UserError, WeakPassword) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


def _run(args: argparse.Namespace) -> int:
    command = args.users_command
    if not Path(args.db).exists():
        print(f"error: no database at {args.db}", file=sys.stderr)
        return 2
    db = Database(args.db)
    try:
        actor = _actor()
        if command == "add":
            if args.sso_only and not args.email:
                raise store.UserError("--sso-only needs --email")
            password = None if args.sso_only else _read_password(args)
            _warn_unknown(db, args.halls, args.regions)
            user = store.add_user(
                db,
                args.username,
                args.role,
                display_name=args.name,
                password=password,
                email=args.email,
                halls=args.halls,
                regions=args.regions,
            )
            store.audit(
                db, actor, "user_added", {"user": user.username, "role": user.role.value, "scope": _scope_text(user)}
            )
            print(f"added {user.username} ({user.role.value}, {_scope_text(user)})")
        elif command == "passwd":
            password = _read_password(args)
            store.set_password(db, args.username, password)
            store.audit(db, actor, "password_set", {"user": store.normalize_username(args.username)})
            print(f"password set for {store.normalize_username(args.username)}; their open sessions end")
        elif command == "scope":
            current = store.get_user(db, args.username)
            if current is None:
                raise store.UserError(f"there is no user {store.normalize_username(args.username)!r}")
            role = Role(args.role) if args.role else current.role
            if SCOPE_KIND[role] and not (args.halls or args.regions):
                raise store.UserError(f"give --{SCOPE_KIND[role]}s for a {role.value}")
            _warn_unknown(db, args.halls, args.regions)
            user = store.set_scope(db, args.username, role, args.halls, args.regions)
            store.audit(
                db, actor, "scope_set", {"user": user.username, "role": user.role.value, "scope": _scope_text(user)}
            )
            print(f"{user.username}: {user.role.value}, {_scope_text(user)}")
        elif command == "email":
            store.set_email(db, args.username, args.address)
            store.audit(
                db, actor, "email_set", {"user": store.normalize_username(args.username), "email": args.address}
            )
            print(f"e-mail of {store.normalize_username(args.username)}: {args.address or '(none)'}")
        elif command in ("disable", "enable"):
            store.set_active(db, args.username, command == "enable")
            store.audit(db, actor, f"user_{command}d", {"user": store.normalize_username(args.username)})
            print(f"{store.normalize_username(args.username)} {command}d")
        elif command == "list":
            users = store.list_users(db)
            rows = [("user", "name", "role", "scope", "e-mail", "sign-in", "active")]
            for u in users:
                rows.append(
                    (
                        u.username,
                        u.display_name,
                        u.role.value,
                        _scope_text(u),
                        u.email or "",
                        "password" if u.has_password else "sso only",
                        "yes" if u.active else "no",
                    )
                )
            widths = [max(len(r[i]) for r in rows) for i in range(len(rows[0]))]
            for r in rows:
                print("  ".join(cell.ljust(w) for cell, w in zip(r, widths)).rstrip())
        elif command == "sessions":
            from peakend.auth import sessions

            name = store.normalize_username(args.username)
            if store.get_user(db, name) is None:
                raise store.UserError(f"there is no user {name!r}")
            open_ = sessions.open_sessions(db, name)
            for created, seen, agent, ip in open_:
                print(
                    f"signed in {created:%Y-%m-%d %H:%M} UTC  last seen {seen:%Y-%m-%d %H:%M}  {ip or '-':<15} {agent or ''}"
                )
            if args.revoke:
                with store._writing(db) as cur:
                    sessions.revoke_user(cur, name, "signed_out", store.utcnow())
                store.audit(db, actor, "sessions_revoked", {"user": name, "sessions": len(open_)})
                print(f"{len(open_)} session(s) of {name} ended")
            elif not open_:
                print(f"{name} has no open session")
        elif command == "demo":
            from peakend.auth.demo import create_demo_users

            for demo in create_demo_users(db):
                scope = ",".join(demo.halls or demo.regions) or "all halls"
                print(f"{demo.username:<16} {demo.password:<16} {demo.role.value:<18} {scope}")
        elif command == "audit":
            for at, who, action, detail in store.audit_entries(db, args.last, args.user):
                print(f"{at:%Y-%m-%d %H:%M:%S} UTC  {who or '-':<20} {action:<16} {detail or ''}")
        return 0
    finally:
        db.close()
