"""peakend.auth without Streamlit: passwords, users and scopes, sign-in with its slowdown,
session expiry, the audit log, demo users and the `users` command line."""

import io
import shutil
from datetime import datetime, timedelta

import pytest

from peakend import auth
from peakend.auth import Ended, Outcome, Permission, Role
from peakend.auth import cli as users_cli
from peakend.auth.passwords import WeakPassword, hash_password, verify
from peakend.warehouse.db import Database
from peakend.core.scope import EVERYTHING, Scope
from fixture_db import fixture_password

T0 = datetime(2026, 3, 9, 8, 0, 0)


def _audit(db, action=None):
    rows = db.cursor().execute(
        "select username, action, detail from audit_log order by audit_id"
    ).fetchall()
    return [r for r in rows if action is None or r[1] == action]


# -- passwords -----------------------------------------------------------------------------
def test_password_is_stored_only_as_an_argon2id_hash(fixture_db):
    stored = fixture_db.scalar("select password_hash from users where username = 'h1'")
    assert stored.startswith("$argon2id$")
    assert fixture_password("h1") not in stored
    assert verify(stored, fixture_password("h1"))
    assert not verify(stored, fixture_password("h1") + "x")
    assert not verify(None, "anything")  # unknown user: still one (failing) check


def test_production_hashing_parameters():
    # RFC 9106's second recommendation; the test process itself uses cheaper ones (conftest).
    from argon2 import Type

    from peakend.auth.passwords import PARAMETERS

    assert PARAMETERS.type is Type.ID
    assert (PARAMETERS.memory_cost, PARAMETERS.time_cost) >= (65536, 3)


def test_short_passwords_are_refused():
    with pytest.raises(WeakPassword):
        hash_password("short")
    with pytest.raises(WeakPassword):
        hash_password(" leading-space")


# -- users and scope -------------------------------------------------------------------------
def test_fixture_users_have_their_scope(fixture_db):
    # tests/fixture/halls.csv: H1, H2 in North; H3 in South.
    scopes = {u.username: auth.scope_of(fixture_db, u) for u in auth.list_users(fixture_db)}
    assert scopes["h1"] == Scope.halls(["H1"])
    assert scopes["h2h3"] == Scope.halls(["H2", "H3"])
    assert scopes["north"] == Scope.halls(["H1", "H2"])
    assert scopes["south"] == Scope.halls(["H3"])
    assert scopes["hq"] is EVERYTHING and scopes["admin"] is EVERYTHING
    assert auth.scope_of(fixture_db, None) == Scope.halls([])  # nobody: no hall


def test_a_region_gains_a_hall_loaded_later(fixture_db):
    north = auth.get_user(fixture_db, "north")
    with fixture_db.transaction() as cur:
        cur.execute("insert into halls (hall_id, hall_name, region, city) values ('H4', 'Delta Hall', 'North', 'Dalian')")
    assert auth.scope_of(fixture_db, north) == Scope.halls(["H1", "H2", "H4"])


def test_a_disabled_user_sees_nothing(fixture_db):
    auth.set_active(fixture_db, "hq", False)
    assert auth.scope_of(fixture_db, auth.get_user(fixture_db, "hq")) == Scope.halls([])


@pytest.mark.parametrize(
    ("role", "halls", "regions", "message"),
    [
        ("hall_manager", [], [], "one or more halls"),
        ("hall_manager", ["H1"], ["North"], "no regions"),
        ("regional_manager", ["H1"], [], "one or more regions"),
        ("head_office", ["H1"], [], "sees every hall"),
        ("data_admin", [], ["North"], "sees every hall"),
    ],
)
def test_scope_must_fit_the_role(fixture_db, role, halls, regions, message):
    with pytest.raises(auth.UserError, match=message):
        auth.add_user(fixture_db, "new.user", role, password="long-enough-1", halls=halls, regions=regions)


def test_user_names_are_case_insensitive_and_unique(fixture_db):
    with pytest.raises(auth.UserError, match="already a user"):
        auth.add_user(fixture_db, "  H1 ", "head_office", password="long-enough-1")
    with pytest.raises(auth.UserError, match="1-64 characters"):
        auth.add_user(fixture_db, "bad name", "head_office", password="long-enough-1")
    with pytest.raises(auth.UserError, match="already has the e-mail"):
        auth.add_user(fixture_db, "other", "head_office", email="HQ@example.com")


def test_only_data_admins_load_data_and_change_targets(fixture_db):
    allowed = {
        u.username: (u.may(Permission.LOAD_DATA), u.may(Permission.CHANGE_TARGETS))
        for u in auth.list_users(fixture_db)
    }
    assert {name for name, (load, targets) in allowed.items() if load or targets} == {"admin"}
    assert allowed["admin"] == (True, True)


# -- sign-in -------------------------------------------------------------------------------
def test_right_password_signs_in_and_is_audited(fixture_db):
    result = auth.sign_in(fixture_db, " H1 ", fixture_password("h1"), now=T0, client={"ip": "10.0.0.7"})
    assert result.outcome is Outcome.SIGNED_IN
    assert result.user.username == "h1" and result.user.role is Role.HALL_MANAGER
    assert _audit(fixture_db) == [("h1", "sign_in", '{"ip": "10.0.0.7", "method": "password"}')]


@pytest.mark.parametrize(("name", "password"), [("h1", "wrong-password"), ("nobody", "whatever-1"), ("h1", "")])
def test_wrong_password_and_unknown_name_get_the_same_answer(fixture_db, name, password):
    result = auth.sign_in(fixture_db, name, password, now=T0)
    assert result == auth.SignInResult(Outcome.WRONG)
    assert _audit(fixture_db) == [(name, "sign_in_failed", '{"failures": 1}')]


def test_a_disabled_account_is_refused_even_with_the_right_password(fixture_db):
    auth.set_active(fixture_db, "h1", False)
    assert auth.sign_in(fixture_db, "h1", fixture_password("h1"), now=T0).outcome is Outcome.DISABLED
    assert _audit(fixture_db)[-1][:2] == ("h1", "sign_in_refused")


def test_passwords_never_reach_the_audit_log(fixture_db):
    auth.sign_in(fixture_db, "h1", "Secret-Guess-123", now=T0)
    auth.sign_in(fixture_db, "h1", fixture_password("h1"), now=T0 + timedelta(seconds=1))
    text = repr(_audit(fixture_db))
    assert "Secret-Guess-123" not in text and fixture_password("h1") not in text


def test_brute_force_slowdown(fixture_db):
    """4 wrong passwords in a row are free; the 5th makes the next attempt wait 2 s, the
    6th 4 s, then 8 s...; while waiting even the right password is refused unchecked."""
    password = fixture_password("slowed")
    clock = T0
    for n in range(1, 5):
        r = auth.sign_in(fixture_db, "slowed", f"guess-{n}", now=clock)
        assert (r.outcome, r.wait_seconds) == (Outcome.WRONG, 0), n
        clock += timedelta(milliseconds=100)
    r = auth.sign_in(fixture_db, "slowed", "guess-5", now=clock)  # 5th failure, at T0 + 0.4 s
    assert (r.outcome, r.wait_seconds) == (Outcome.WRONG, 2)
    fifth = clock

    r = auth.sign_in(fixture_db, "slowed", password, now=fifth + timedelta(seconds=1.5))
    assert (r.outcome, r.wait_seconds) == (Outcome.SLOWED, 1)  # 0.5 s left, rounded up
    r = auth.sign_in(fixture_db, "slowed", "guess-6", now=fifth + timedelta(seconds=2))
    assert (r.outcome, r.wait_seconds) == (Outcome.WRONG, 4)  # 6th failure: 4 s
    sixth = fifth + timedelta(seconds=2)
    assert auth.sign_in(fixture_db, "slowed", password, now=sixth + timedelta(seconds=3)).outcome is Outcome.SLOWED
    assert auth.sign_in(fixture_db, "slowed", password, now=sixth + timedelta(seconds=4)).outcome is Outcome.SIGNED_IN
    # Signing in resets the count: the next wrong password is free again.
    assert auth.sign_in(fixture_db, "slowed", "guess-7", now=sixth + timedelta(seconds=5)).wait_seconds == 0
    actions = [a for _, a, _ in _audit(fixture_db)]
    assert actions == ["sign_in_failed"] * 5 + ["sign_in_slowed", "sign_in_failed", "sign_in_slowed",
                                                "sign_in", "sign_in_failed"]


def test_slowdown_schedule_is_capped():
    assert [auth.required_wait(n).total_seconds() for n in range(1, 10)] == [0, 0, 0, 0, 2, 4, 8, 16, 32]
    assert auth.required_wait(30) == timedelta(minutes=5)


def test_unknown_names_are_slowed_down_too(fixture_db):
    for n in range(5):
        auth.sign_in(fixture_db, "nobody", f"guess-{n}", now=T0)
    assert auth.sign_in(fixture_db, "nobody", "guess-6", now=T0 + timedelta(seconds=1)).outcome is Outcome.SLOWED


# -- sessions ------------------------------------------------------------------------------
def test_session_expiry(fixture_db):
    h1 = auth.get_user(fixture_db, "h1")
    T0 = h1.password_changed_at + timedelta(minutes=1)  # signed in after the password was set
    ticket = auth.open_session(h1, "password", now=T0)
    assert auth.check_session(fixture_db, ticket, T0 + timedelta(minutes=59))[0] == h1
    assert auth.check_session(fixture_db, ticket, T0 + timedelta(minutes=61)) == (None, Ended.IDLE)
    active = ticket
    for minute in range(30, 12 * 60 + 1, 30):  # clicking every half hour...
        active = active.seen(T0 + timedelta(minutes=minute))
    assert auth.check_session(fixture_db, active, T0 + timedelta(hours=12))[0] == h1
    assert auth.check_session(fixture_db, active.seen(T0 + timedelta(hours=12, minutes=1)),
                              T0 + timedelta(hours=12, minutes=1)) == (None, Ended.TOO_LONG)


def test_new_password_disable_and_removal_end_sessions(fixture_db):
    now = auth.get_user(fixture_db, "h1").password_changed_at + timedelta(minutes=1)
    ticket = auth.open_session(auth.get_user(fixture_db, "h1"), "password", now=now)
    auth.set_password(fixture_db, "h1", "a-new-password", now=now + timedelta(seconds=1))
    assert auth.check_session(fixture_db, ticket, now + timedelta(seconds=2)) == (None, Ended.PASSWORD_CHANGED)
    auth.set_active(fixture_db, "north", False)
    north = auth.open_session(auth.get_user(fixture_db, "north"), "password", now=now)
    assert auth.check_session(fixture_db, north, now) == (None, Ended.DISABLED)
    ghost = auth.Ticket("ghost", "password", now, now)
    assert auth.check_session(fixture_db, ghost, now) == (None, Ended.REMOVED)


def test_a_new_scope_applies_at_the_next_click(fixture_db):
    ticket = auth.open_session(auth.get_user(fixture_db, "h1"), "password")
    auth.set_scope(fixture_db, "h1", halls=["H3"])
    user, _ = auth.check_session(fixture_db, ticket)
    assert auth.scope_of(fixture_db, user) == Scope.halls(["H3"])


# -- single sign-on mapping ----------------------------------------------------------------
def test_sso_email_maps_to_a_user_case_insensitively(fixture_db):
    assert auth.user_by_email(fixture_db, " North@Example.COM ").username == "north"
    assert auth.user_by_email(fixture_db, "stranger@example.com") is None
    assert auth.user_by_email(fixture_db, "") is None


# -- audit ---------------------------------------------------------------------------------
def test_audit_takes_a_user_a_name_or_nobody_and_can_join_a_load_transaction(fixture_db):
    admin = auth.get_user(fixture_db, "admin")
    auth.audit(fixture_db, admin, "target_change", {"hall": "H1", "wait_target_min": 8})
    with pytest.raises(RuntimeError):
        with fixture_db.transaction() as cur:
            auth.audit(cur, admin, "load", {"file": "visits.csv"})
            raise RuntimeError("the load failed")
    auth.audit(fixture_db, None, "undo", "load 2")
    assert _audit(fixture_db) == [
        ("admin", "target_change", '{"hall": "H1", "wait_target_min": 8}'),
        (None, "undo", "load 2"),  # the failed load's audit entry was rolled back with it
    ]


def test_auth_writes_do_not_invalidate_cached_query_results(fixture_db):
    version = fixture_db.data_version()
    auth.sign_in(fixture_db, "h1", "wrong-password", now=T0)
    auth.audit(fixture_db, "h1", "sign_out")
    assert fixture_db.data_version() == version


# -- demo users ----------------------------------------------------------------------------
def test_demo_users_one_per_role(fixture_db):
    demo = auth.create_demo_users(fixture_db)
    assert [(u.username, u.role.value) for u in demo] == [
        ("hall.manager", "hall_manager"), ("region.manager", "regional_manager"),
        ("head.office", "head_office"), ("data.admin", "data_admin"),
    ]
    # The first region alphabetically (North) and its first hall (H1).
    scopes = {u.username: auth.scope_of(fixture_db, auth.get_user(fixture_db, u.username)) for u in demo}
    assert scopes == {"hall.manager": Scope.halls(["H1"]), "region.manager": Scope.halls(["H1", "H2"]),
                      "head.office": EVERYTHING, "data.admin": EVERYTHING}
    for u in demo:
        assert auth.sign_in(fixture_db, u.username, u.password).outcome is Outcome.SIGNED_IN
    assert auth.create_demo_users(fixture_db) == demo  # a second call adds nothing


# -- the command line ------------------------------------------------------------------------
@pytest.fixture()
def db_file(tmp_path, fixture_db_file):
    path = tmp_path / "users.duckdb"
    shutil.copy(fixture_db_file, path)  # a private copy: these tests write to it
    return path


def _cli(db_file, capsys, monkeypatch, *argv, stdin=""):
    import argparse

    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    parser = argparse.ArgumentParser()
    users_cli.add_arguments(parser)
    code = users_cli.run(parser.parse_args(["--db", str(db_file), *argv]))
    out = capsys.readouterr()
    return code, out.out, out.err


def test_cli_add_passwd_scope_disable_list_audit(db_file, capsys, monkeypatch):
    code, out, err = _cli(db_file, capsys, monkeypatch, "add", "Li.Na", "--role", "hall_manager",
                          "--halls", "H2,H9", "--name", "Li Na", "--password-stdin", stdin="first-password\n")
    assert code == 0 and out == "added li.na (hall_manager, halls H2,H9)\n"
    assert "no hall 'H9' is loaded yet" in err
    assert _cli(db_file, capsys, monkeypatch, "passwd", "li.na", "--password-stdin", stdin="second-password\n")[0] == 0
    code, out, _ = _cli(db_file, capsys, monkeypatch, "scope", "li.na", "--role", "regional_manager", "--regions", "South")
    assert out == "li.na: regional_manager, regions South\n"
    assert _cli(db_file, capsys, monkeypatch, "disable", "li.na")[1] == "li.na disabled\n"
    code, out, _ = _cli(db_file, capsys, monkeypatch, "list")
    line = next(x for x in out.splitlines() if x.startswith("li.na"))
    assert line.split() == ["li.na", "Li", "Na", "regional_manager", "regions", "South", "password", "no"]
    code, out, _ = _cli(db_file, capsys, monkeypatch, "audit", "--last", "4")
    assert [x.split()[4] for x in out.splitlines()] == ["user_disabled", "scope_set", "password_set", "user_added"]
    assert "first-password" not in out and "second-password" not in out

    db = Database(db_file)
    try:
        user = auth.get_user(db, "li.na")
        assert (user.role, user.regions, user.active) == (Role.REGIONAL_MANAGER, ("South",), False)
        assert verify(db.scalar("select password_hash from users where username = 'li.na'"), "second-password")
    finally:
        db.close()


@pytest.mark.parametrize(
    ("argv", "stdin", "message"),
    [
        (["add", "x1", "--role", "hall_manager", "--password-stdin"], "long-enough-1\n", "one or more halls"),
        (["add", "x2", "--role", "head_office", "--password-stdin"], "short\n", "at least 8 characters"),
        (["add", "h1", "--role", "head_office", "--password-stdin"], "long-enough-1\n", "already a user"),
        (["add", "x3", "--role", "head_office", "--sso-only"], "", "--sso-only needs --email"),
        (["passwd", "ghost", "--password-stdin"], "long-enough-1\n", "no user 'ghost'"),
        (["scope", "h1"], "", "give --halls for a hall_manager"),
    ],
)
def test_cli_refuses_with_a_plain_message(db_file, capsys, monkeypatch, argv, stdin, message):
    code, out, err = _cli(db_file, capsys, monkeypatch, *argv, stdin=stdin)
    assert code == 2 and message in err and out == ""


def test_cli_sso_only_user_cannot_sign_in_with_a_password(db_file, capsys, monkeypatch):
    code, out, _ = _cli(db_file, capsys, monkeypatch, "add", "zhao", "--role", "head_office",
                        "--email", "Zhao@Example.com", "--sso-only")
    assert code == 0
    db = Database(db_file)
    try:
        assert auth.user_by_email(db, "zhao@example.com").username == "zhao"
        assert auth.sign_in(db, "zhao", "any-password-at-all").outcome is Outcome.WRONG
    finally:
        db.close()


def test_python_m_peakend_users(db_file):
    """The real command line, as a data admin types it."""
    import subprocess
    import sys

    from conftest import ROOT

    def users(*argv, stdin=""):
        return subprocess.run([sys.executable, "-m", "peakend", "users", "--db", str(db_file), *argv],
                              input=stdin, capture_output=True, text=True, cwd=ROOT, timeout=120)

    added = users("add", "zhou", "--role", "regional_manager", "--regions", "South", "--password-stdin",
                  stdin="zhou-password-1\n")
    assert (added.returncode, added.stdout) == (0, "added zhou (regional_manager, regions South)\n")
    listed = users("list")
    assert listed.returncode == 0
    assert [line.split()[0] for line in listed.stdout.splitlines()] == [
        "user", "admin", "h1", "h2h3", "slowed", "hq", "north", "south", "zhou"]
