"""Sign-in that lasts, without a browser (peakend/auth/sessions.py): the session cookie's
token kept only as a hash, its expiry and revocation, the one-time hand-over nonce, and a
slowdown that a stranger failing on purpose can't turn against a real user."""

from datetime import timedelta

from fixture_db import fixture_password
from peakend import auth
from peakend.auth import Ended, Outcome, sessions
from peakend.core import clock

ATTACKER = {"ip": "203.0.113.66"}
ELSEWHERE = {"ip": "198.51.100.7"}


def _now(db):
    # after the fixture users' passwords were set (a session older than its password is over)
    return max(u.password_changed_at for u in auth.list_users(db)) + timedelta(minutes=1)


def _open(db, name="h1", now=None):
    return sessions.create(db, auth.get_user(db, name), "password", user_agent="UA", ip="10.0.0.7", now=now)


def test_only_a_hash_of_the_token_is_stored(fixture_db):
    now = _now(fixture_db)
    token = _open(fixture_db, now=now)
    row = fixture_db.cursor().execute(
        "select token_sha256, username, method, created_at, last_seen_at, user_agent, ip from web_sessions"
    ).fetchall()
    assert row == [(sessions.token_hash(token), "h1", "password", now, now, "UA", "10.0.0.7")]
    assert len(token) >= 43  # 256 random bits
    # the token itself is in no column of any table
    cur = fixture_db.cursor()
    for (table,) in cur.execute("select table_name from information_schema.tables where table_schema = 'main'").fetchall():
        columns = [c for c, t in cur.execute(f"select column_name, data_type from information_schema.columns "
                                            f"where table_name = '{table}'").fetchall() if t == "VARCHAR"]
        for column in columns:
            hits = cur.execute(f'select count(*) from "{table}" where contains("{column}", ?)', [token]).fetchone()[0]
            assert hits == 0, (table, column)


def test_idle_and_absolute_expiry(fixture_db):
    now = _now(fixture_db)
    digest = sessions.token_hash(_open(fixture_db, now=now))
    assert sessions.check(fixture_db, digest, now + timedelta(minutes=59))[0].username == "h1"
    assert sessions.check(fixture_db, digest, now + timedelta(minutes=59 + 61)) == (None, Ended.IDLE)
    # clicking every half hour keeps it open up to 12 hours after sign-in, not longer
    digest = sessions.token_hash(_open(fixture_db, now=now))
    for minute in range(30, 12 * 60 + 1, 30):
        assert sessions.check(fixture_db, digest, now + timedelta(minutes=minute))[0] is not None, minute
    assert sessions.check(fixture_db, digest, now + timedelta(hours=12, minutes=1)) == (None, Ended.TOO_LONG)


def test_expiry_is_a_setting(fixture_db, monkeypatch):
    monkeypatch.setenv("PEAKEND_SESSION_IDLE_MINUTES", "5")
    monkeypatch.setenv("PEAKEND_SESSION_MAX_HOURS", "1")
    now = _now(fixture_db)
    digest = sessions.token_hash(_open(fixture_db, now=now))
    assert sessions.check(fixture_db, digest, now + timedelta(minutes=4))[0] is not None
    assert sessions.check(fixture_db, digest, now + timedelta(minutes=10)) == (None, Ended.IDLE)
    for minute in range(4, 61, 4):
        sessions.check(fixture_db, digest, now + timedelta(minutes=4 + minute))
    assert sessions.check(fixture_db, digest, now + timedelta(minutes=64)) == (None, Ended.TOO_LONG)
    assert sessions.settings().secure is False
    monkeypatch.setenv("PEAKEND_COOKIE_SECURE", "1")
    assert sessions.settings().secure is True


def test_an_injected_clock_moves_the_sessions(fixture_db, tmp_path, monkeypatch):
    now = _now(fixture_db)
    clock.set_clock(lambda: now)
    try:
        digest = sessions.token_hash(_open(fixture_db))
        assert sessions.check(fixture_db, digest)[0] is not None
        clock.set_clock(lambda: now + timedelta(minutes=61))
        assert sessions.check(fixture_db, digest) == (None, Ended.IDLE)
    finally:
        clock.set_clock(None)
    offset = tmp_path / "clock"
    offset.write_text("3600")
    monkeypatch.setenv("PEAKEND_CLOCK_FILE", str(offset))
    assert abs(clock.utcnow() - clock._real_utcnow() - timedelta(hours=1)) < timedelta(seconds=5)


def test_sign_out_a_new_password_and_disabling_revoke(fixture_db):
    now = _now(fixture_db)
    one, two = (sessions.token_hash(_open(fixture_db, now=now)) for _ in range(2))
    assert sessions.revoke(fixture_db, one, "signed_out", now) is True
    assert sessions.check(fixture_db, one, now) == (None, Ended.SIGNED_OUT)
    assert sessions.check(fixture_db, two, now)[0] is not None  # the other browser's session stays
    auth.set_password(fixture_db, "h1", "a-new-password", now=now + timedelta(seconds=1))
    assert sessions.check(fixture_db, two, now + timedelta(seconds=2)) == (None, Ended.PASSWORD_CHANGED)
    north = sessions.token_hash(_open(fixture_db, "north", now=now))
    auth.set_active(fixture_db, "north", False)
    assert sessions.check(fixture_db, north, now) == (None, Ended.DISABLED)
    auth.set_active(fixture_db, "north", True)
    assert sessions.check(fixture_db, north, now) == (None, Ended.DISABLED)  # stays revoked
    assert sessions.open_sessions(fixture_db, "north") == []
    assert sessions.check(fixture_db, "0" * 64, now) == (None, None)  # never issued


def test_the_hand_over_nonce_is_one_time_and_bound_to_the_browser():
    nonce = sessions.hand_off("the-token", "Chromium")
    assert sessions.redeem(nonce, "Firefox") is None  # another browser: refused, and used up
    nonce = sessions.hand_off("the-token", "Chromium")
    assert sessions.redeem(nonce, "Chromium") == "the-token"
    assert sessions.redeem(nonce, "Chromium") is None
    assert sessions.redeem("guess", "Chromium") is None


# -- a slowdown that can't be turned against someone else ---------------------------------
def _fail(db, name, n, now, client, device=None):
    for i in range(n):
        auth.sign_in(db, name, f"guess-{i}", now=now + timedelta(milliseconds=i), client=client, device=device)


def test_a_stranger_failing_on_purpose_locks_only_their_own_address(fixture_db):
    now = _now(fixture_db)
    _fail(fixture_db, "h1", 13, now, ATTACKER)
    right = fixture_password("h1")
    # the attacker's address is slowed, even with the right password
    r = auth.sign_in(fixture_db, "h1", right, now=now + timedelta(seconds=1), client=ATTACKER)
    assert (r.outcome, r.slowed_by) == (Outcome.SLOWED, "account")
    # the user from another address gets in, 20 times out of 20 (issue 18)
    for i in range(20):
        at = now + timedelta(seconds=2, minutes=5 * i)
        _fail(fixture_db, "h1", 1, at, ATTACKER)  # the attacker keeps trying
        assert auth.sign_in(fixture_db, "h1", right, now=at + timedelta(seconds=1), client=ELSEWHERE).outcome \
            is Outcome.SIGNED_IN, i


def test_a_known_device_signs_in_even_from_the_attackers_address(fixture_db):
    now = _now(fixture_db)
    device = sessions.token_hash(sessions.new_token())
    sessions.remember_device(fixture_db, device, "h1", now)
    # many addresses (a botnet) past the account's own count (50 free), and the attacker's
    for i in range(60):
        _fail(fixture_db, "h1", 1, now + timedelta(milliseconds=i), {"ip": f"192.0.2.{i}"})
    _fail(fixture_db, "h1", 6, now, ATTACKER)
    right = fixture_password("h1")
    at = now + timedelta(seconds=1)
    assert auth.sign_in(fixture_db, "h1", right, now=at, client=ELSEWHERE).outcome is Outcome.SLOWED
    r = auth.sign_in(fixture_db, "h1", right, now=at, client=ATTACKER, device=device)
    assert r.outcome is Outcome.SIGNED_IN
    # a device cookie of another user's browser is no key to h1
    other = sessions.token_hash(sessions.new_token())
    sessions.remember_device(fixture_db, other, "north", now)
    assert auth.sign_in(fixture_db, "h1", right, now=at, client=ATTACKER, device=other).outcome is Outcome.SLOWED
    # a known device guessing is slowed on its own key
    _fail(fixture_db, "h1", 5, at, ATTACKER, device=device)
    assert auth.sign_in(fixture_db, "h1", right, now=at + timedelta(seconds=1), client=ATTACKER,
                        device=device).outcome is Outcome.SLOWED


def test_one_address_trying_many_names_is_slowed_as_an_address(fixture_db):
    now = _now(fixture_db)
    for i in range(31):
        auth.sign_in(fixture_db, f"user{i}", "guess", now=now + timedelta(milliseconds=i), client=ATTACKER)
    r = auth.sign_in(fixture_db, "north", fixture_password("north"), now=now + timedelta(seconds=1), client=ATTACKER)
    assert (r.outcome, r.slowed_by) == (Outcome.SLOWED, "address")
    assert auth.sign_in(fixture_db, "north", fixture_password("north"), now=now + timedelta(seconds=1),
                        client=ELSEWHERE).outcome is Outcome.SIGNED_IN
    # an hour without failures and the address's count is forgotten
    assert auth.sign_in(fixture_db, "north", fixture_password("north"), now=now + timedelta(hours=1, minutes=1),
                        client=ATTACKER).outcome is Outcome.SIGNED_IN


def test_a_new_password_clears_the_accounts_counts_not_the_addresses(fixture_db):
    now = _now(fixture_db)
    _fail(fixture_db, "h1", 8, now, ATTACKER)
    auth.set_password(fixture_db, "h1", "a-new-password-1", now=now)
    keys = {k for (k,) in fixture_db.cursor().execute("select key from sign_in_throttle").fetchall()}
    assert keys == {"address:203.0.113.66"}


def test_cli_lists_and_revokes_a_users_sessions(tmp_path, fixture_db_file, capsys, monkeypatch):
    import shutil

    from peakend.warehouse.db import Database
    from test_auth_core import _cli

    path = tmp_path / "users.duckdb"
    shutil.copy(fixture_db_file, path)
    db = Database(path)
    digest = sessions.token_hash(_open(db, now=_now(db)))
    db.close()
    code, out, _ = _cli(path, capsys, monkeypatch, "sessions", "h1")
    assert code == 0 and "10.0.0.7" in out and "UA" in out
    code, out, _ = _cli(path, capsys, monkeypatch, "sessions", "h1", "--revoke")
    assert out.endswith("1 session(s) of h1 ended\n")
    assert _cli(path, capsys, monkeypatch, "sessions", "h1")[1] == "h1 has no open session\n"
    assert _cli(path, capsys, monkeypatch, "sessions", "ghost")[0] == 2
    db = Database(path)
    try:
        assert sessions.check(db, digest)[1] is Ended.SIGNED_OUT
    finally:
        db.close()


def test_the_cookie_is_secure_when_a_setting_says_https(monkeypatch):
    from starlette.responses import Response

    from peakend.web.sessions import _cookie

    for secure in ("", "1"):
        monkeypatch.setenv("PEAKEND_COOKIE_SECURE", secure)
        response = Response()
        _cookie(response, sessions.SESSION_COOKIE, "token", 3600)
        header = response.headers["set-cookie"]
        assert "HttpOnly" in header and "SameSite=lax" in header and "Path=/" in header and "Max-Age=3600" in header
        assert ("Secure" in header) == bool(secure)
