"""Sign-in and scope in the app, driven by AppTest: the sign-in form, sign-out, expiry,
single sign-on, pages a role may not open, the query cache, and every page scanned for
other halls' data when a hall manager tries to reach it through links.

The app runs from a copy of app.py in a temporary folder with the real pages linked
under p/: AppTest resets Streamlit's legacy `pages/` flag before every run(), so an app
whose folder has a `pages/` directory would run its pages bare from the second run on.
"""

from __future__ import annotations

import shutil
from datetime import timedelta

import pytest
import streamlit as st
from streamlit.testing.v1 import AppTest

from conftest import ROOT, sign_in_apptest
from fixture_db import fixture_password
from peakend import auth
from peakend.warehouse.accounts import utcnow
from peakend.warehouse.db import Database
from peakend.ui import navigation
from peakend.ui.auth import SESSION_KEY

HALL_NAMES = {"H1": "Alpha Hall", "H2": "Beta Hall", "H3": "Gamma Hall"}  # tests/fixture/halls.csv
# Link values that name halls and regions outside a hall manager of H1's scope, under
# every name the pages read (?hall=, ?halls=, ?region=, ?regions=).
ATTACK_LINK = {"hall": "H3", "halls": "H2,H3", "region": "South", "regions": "South"}


@pytest.fixture()
def app(tmp_path, fixture_db_file, monkeypatch):
    """make(user, page=None, **query) -> an AppTest of app.py that has run once."""
    db_path = tmp_path / "app.duckdb"
    shutil.copy(fixture_db_file, db_path)
    monkeypatch.setenv("PEAKEND_DB", str(db_path))
    folder = tmp_path / "app"
    folder.mkdir()
    shutil.copy(ROOT / "app.py", folder / "app.py")
    (folder / "p").symlink_to(ROOT / "pages")
    st.cache_data.clear()
    st.cache_resource.clear()  # a fresh Database for this test's copy

    def make(user: str | None = None, page: str | None = None, lang: str = "en", **query) -> AppTest:
        at = AppTest.from_file(str(folder / "app.py"), default_timeout=90)
        at.query_params["lang"] = lang
        for name, value in query.items():
            at.query_params[name] = value
        if user:
            sign_in_apptest(at, user)
        at.run()
        if page:
            at.switch_page(page).run()
        assert not at.exception, [e.value for e in at.exception]
        return at

    make.db_path = db_path
    make.folder = folder
    yield make
    st.cache_resource.clear()  # closes nothing, but lets the next test open its own copy


def _audit(db_path):
    st.cache_resource.clear()
    db = Database(db_path)
    try:
        return [tuple(r) for r in db.cursor().execute(
            "select username, action from audit_log order by audit_id").fetchall()]
    finally:
        db.close()


def _screen_text(at: AppTest) -> str:
    """Everything the run sent to the browser: text, tables, chart data, widget options."""
    parts = []

    def walk(node):
        proto = getattr(node, "proto", None)
        if proto is not None:
            parts.append(str(proto))
        for child in getattr(node, "children", {}).values():
            walk(child)

    walk(at.main)
    walk(at.sidebar)
    return "\n".join(parts)


def _sign_in_with_form(at: AppTest, username: str, password: str) -> AppTest:
    at.text_input[0].input(username)
    at.text_input[1].input(password)
    return at.button[0].click().run()


# -- the sign-in form -----------------------------------------------------------------------
def test_signed_out_shows_only_the_sign_in_form(app):
    at = app()
    assert [t.value for t in at.title] == ["Sign in to PeakEnd"]
    assert [t.label for t in at.text_input] == ["User name", "Password"]
    assert at.text_input[1].proto.type == at.text_input[1].proto.PASSWORD
    assert not at.metric and not at.dataframe
    text = _screen_text(at)
    assert not any(name in text for name in HALL_NAMES.values())


def test_wrong_password_then_right_one(app):
    at = _sign_in_with_form(app(), "h1", "not-the-password")
    assert [e.value for e in at.error] == ["Wrong user name or password."]
    assert [t.value for t in at.title] == ["Sign in to PeakEnd"]
    assert at.session_state["_peakend_signin_password"] == ""  # never kept in the session
    at = _sign_in_with_form(at, "H1", fixture_password("h1"))
    assert [t.value for t in at.title] == ["Network overview"]
    # Hall manager of H1: 1 hall, 7 visits (tests/fixture/visits.csv V01-V07).
    assert any("Loaded: 1 hall in 1 region and 1 city, 7 visits" in c.value for c in at.caption)  # issue 16, item 13
    assert any(c.value == "Sees: Alpha Hall" for c in at.sidebar.caption)
    assert _audit(app.db_path) == [("h1", "sign_in_failed"), ("h1", "sign_in")]


def test_repeated_failures_slow_down_in_the_form(app):
    at = app()
    for n in range(5):
        at = _sign_in_with_form(at, "slowed", f"guess-{n}")
    # The 5th failure: the next attempt must wait 2 s.
    assert [w.value for w in at.warning] == ["Too many failed sign-ins for this user name. Try again in 2 s."]
    at = _sign_in_with_form(at, "slowed", fixture_password("slowed"))  # right, but too soon
    assert [e.value for e in at.error] == ["Too many failed sign-ins for this user name. Try again in 2 s."] or \
        [e.value for e in at.error] == ["Too many failed sign-ins for this user name. Try again in 1 s."]
    assert [t.value for t in at.title] == ["Sign in to PeakEnd"]
    assert _audit(app.db_path)[-1] == ("slowed", "sign_in_slowed")


def test_sign_in_page_in_chinese(app):
    at = app(lang="zh")
    assert [t.value for t in at.title] == ["登录 PeakEnd"]
    assert [t.label for t in at.text_input] == ["用户名", "密码"]
    at = _sign_in_with_form(at, "h1", "not-the-password")
    assert [e.value for e in at.error] == ["用户名或密码错误。"]


# -- sign-out and expiry ------------------------------------------------------------------
def test_sign_out_forgets_the_session_but_not_the_language(app):
    at = app("north")
    assert any(c.value == "Sees: North (2 halls)" for c in at.sidebar.caption)
    at.button(key="_peakend_sign_out").click().run()
    assert [t.value for t in at.title] == ["Sign in to PeakEnd"]
    assert [s.value for s in at.success] == ["You have signed out."]
    assert SESSION_KEY not in at.session_state and at.session_state["lang"] == "en"
    assert _audit(app.db_path)[-1] == ("north", "sign_out")


def test_idle_session_ends_with_a_message(app):
    at = app("h1")
    stale = utcnow() - timedelta(minutes=61)
    at.session_state[SESSION_KEY] = auth.Ticket("h1", "password", stale, stale)
    at.run()
    assert [t.value for t in at.title] == ["Sign in to PeakEnd"]
    assert [i.value for i in at.info] == ["Your session ended after a while without activity. Please sign in again."]
    assert _audit(app.db_path)[-1] == ("h1", "session_ended")


def test_disabling_a_user_ends_their_session_at_the_next_click(app):
    at = app("h1")
    db = Database(app.db_path)  # the same file, as the CLI would open it
    try:
        auth.set_active(db, "h1", False)
    finally:
        db.close()
    at.run()
    assert [i.value for i in at.info] == ["Your account was disabled and your session ended."]


# -- single sign-on --------------------------------------------------------------------------
SSO_SECRETS = {
    "redirect_uri": "http://localhost:8501/oauth2callback",
    "cookie_secret": "test-cookie-secret",
    "client_id": "peakend-test",
    "client_secret": "test-secret",
    "server_metadata_url": "https://idp.example.com/.well-known/openid-configuration",
}


@pytest.fixture()
def authlib(monkeypatch):
    """Pretend the optional Authlib package is installed (st.login itself is never run)."""
    monkeypatch.setattr("peakend.ui.auth._authlib_installed", lambda: True)


def _sso(app, **identity) -> AppTest:
    at = AppTest.from_file(str(app.folder / "app.py"), default_timeout=90)
    at.query_params["lang"] = "en"
    at.secrets["auth"] = SSO_SECRETS
    at.user = identity
    return at.run()


def test_sso_button_is_offered_only_when_configured(app, authlib):
    assert not [b for b in app().button if "company account" in b.label]
    at = _sso(app, is_logged_in=False)
    assert [b.label for b in at.button if "company account" in b.label] == ["Sign in with your company account"]


def test_sso_configured_without_authlib_says_what_is_missing(app, monkeypatch):
    monkeypatch.setattr("peakend.ui.auth._authlib_installed", lambda: False)
    at = _sso(app, is_logged_in=False)
    assert not [b for b in at.button if "company account" in b.label]
    assert any("lacks the Authlib package" in w.value for w in at.warning)
    assert [t.label for t in at.text_input] == ["User name", "Password"]  # passwords still work


def test_sso_identity_maps_to_the_user_with_that_email(app):
    at = _sso(app, is_logged_in=True, email="North@Example.com", email_verified=True, name="N")
    assert [t.value for t in at.title] == ["Network overview"]
    assert any(c.value == "Sees: North (2 halls)" for c in at.sidebar.caption)
    assert _audit(app.db_path) == [("north", "sign_in")]


@pytest.mark.parametrize(
    ("identity", "message"),
    [
        ({"email": "stranger@example.com"}, "The company account stranger@example.com has no PeakEnd user."),
        ({"email": "hq@example.com", "email_verified": False}, "The identity provider has not verified"),
    ],
)
def test_sso_identity_without_an_active_user_is_refused(app, authlib, identity, message):
    at = _sso(app, is_logged_in=True, **identity)
    assert [t.value for t in at.title] == ["Sign in to PeakEnd"]
    assert any(message in w.value for w in at.warning), [w.value for w in at.warning]
    assert [b.label for b in at.button if "Leave" in b.label] == ["Leave this company account to use another"]
    assert not at.metric
    assert _audit(app.db_path)[-1][1] == "sign_in_failed"


# -- roles and pages -----------------------------------------------------------------------
@pytest.fixture()
def admin_only_page(app):
    """An extra page only data admins may open (the data page will be one)."""
    page = app.folder / "admin_probe.py"
    page.write_text("import streamlit as st\nst.write('ADMIN-ONLY CONTENT')\n")
    spec = navigation.PageSpec("admin_probe", str(page), ":material/lock:", roles=("data_admin",))
    navigation.PAGES.append(spec)
    yield "admin_probe.py"
    navigation.PAGES.remove(spec)


def test_a_page_for_another_role_is_hidden_and_its_url_refused(app, admin_only_page, monkeypatch):
    from peakend.core.i18n import catalog

    monkeypatch.setitem(catalog(), "nav.admin_probe", {"zh": "测试", "en": "Admin probe"})
    at = app("h1", page=admin_only_page)
    assert [e.value for e in at.error] == [
        "This page is open to: Data admin. You are signed in as Hall manager, so it can't be opened."
    ]
    assert "ADMIN-ONLY CONTENT" not in _screen_text(at)
    assert _audit(app.db_path)[-1] == ("h1", "page_refused")
    at = app("admin", page=admin_only_page)
    assert "ADMIN-ONLY CONTENT" in _screen_text(at) and not at.error


def test_menu_offers_each_role_only_its_pages(admin_only_page):
    def script():
        import streamlit as st

        from peakend.ui.navigation import build_pages

        for role in ("hall_manager", "regional_manager", "head_office", "data_admin"):
            shown = [p.url_path or "(home)" for p in build_pages(role) if p.visibility == "visible"]
            st.write(f"{role}: {' '.join(shown)}")

    at = AppTest.from_function(script, default_timeout=60).run()
    menus = {role: shown.split(" ") for role, shown in (m.value.split(": ") for m in at.markdown)}
    for role, shown in menus.items():
        expected = ["(home)" if s.default else s.key for s in navigation.PAGES if s.roles is None or role in s.roles]
        assert shown == expected, role
    assert [role for role, shown in menus.items() if "admin_probe" in shown] == ["data_admin"]


def test_only_data_admins_pass_require_permission(app):
    def script():
        import streamlit as st

        from peakend.auth import Permission
        from peakend.ui.auth import require_permission

        from peakend.core.i18n import set_language

        set_language("en")
        require_permission(Permission.LOAD_DATA)
        st.write("LOAD FORM")

    for user, allowed in (("h1", False), ("north", False), ("hq", False), ("admin", True)):
        at = sign_in_apptest(AppTest.from_function(script, default_timeout=60), user).run()
        assert ("LOAD FORM" in _screen_text(at)) is allowed, user
        if not allowed:
            assert at.error[0].value.startswith("Your role (")


# -- the cache -------------------------------------------------------------------------------
def test_a_cached_result_never_serves_another_scope(app, monkeypatch):
    """Same query, same filter, same data version: h1 and north each get their own answer
    from the cache, in either order."""
    calls = []
    original = Database.query

    def counting(self, name, *args, **kwargs):
        calls.append(name)
        return original(self, name, *args, **kwargs)

    monkeypatch.setattr(Database, "query", counting)

    def script():
        import streamlit as st

        from peakend.ui.answers import run

        st.write("halls: " + (",".join(run("metrics_by_group", None, group_1="hall", group_2=None)["group_1"]) or "none"))

    def halls_seen(user):
        at = sign_in_apptest(AppTest.from_function(script, default_timeout=60), user).run()
        return next(m.value for m in at.markdown if m.value.startswith("halls: "))

    assert halls_seen("h1") == "halls: H1"
    assert halls_seen("north") == "halls: H1,H2"
    assert calls == ["metrics_by_group", "metrics_by_group"]
    assert halls_seen("h1") == "halls: H1"  # served from the cache: no new query...
    assert halls_seen("north") == "halls: H1,H2"
    assert halls_seen("hq") == "halls: H1,H2,H3"
    assert calls == ["metrics_by_group"] * 3  # ...until a new scope asks
    assert halls_seen("h2h3") == "halls: H2,H3"
    # Nobody signed in: no hall, and still its own cache entry.
    at = AppTest.from_function(script, default_timeout=60).run()
    assert next(m.value for m in at.markdown if m.value.startswith("halls: ")) == "halls: none"


# -- every page, reached through a link naming other halls ------------------------------
# The managers whose scope is limited, and the halls they must never see.
MANAGERS = {"h1": ("hall_manager", ("Beta Hall", "Gamma Hall")), "north": ("regional_manager", ("Gamma Hall",))}


def _manager_pages():
    """Every page each manager's role may open (pages added later are included)."""
    return [
        pytest.param(user, others, spec, id=f"{user}-{spec.key}")
        for user, (role, others) in MANAGERS.items()
        for spec in navigation.PAGES
        if navigation.page_allowed(spec, role)
    ]


@pytest.mark.parametrize(("user", "others", "spec"), _manager_pages())
def test_managers_see_no_other_hall_on_any_page(app, user, others, spec):
    at = app(user, page=f"p/{spec.file.removeprefix('pages/')}", **ATTACK_LINK)
    text = _screen_text(at)
    for other in others:
        assert other not in text, f"{spec.key} shows {other} to {user}"
    if spec.key == "hall" and user == "h1":
        assert [s.options for s in at.selectbox if s.label == "Hall"] == [["Alpha Hall · North"]]
        assert any("hall=H3" in w.value for w in at.warning)


def test_regional_manager_picks_only_the_halls_of_the_region(app):
    at = app("north", page="p/hall.py", hall="H3")
    assert [s.options for s in at.selectbox if s.label == "Hall"] == [["Alpha Hall · North", "Beta Hall · North"]]
    assert "Gamma Hall" not in _screen_text(at)
    assert any("hall=H3" in w.value for w in at.warning)


def test_the_page_scan_would_see_another_hall(app):
    """The scan itself: head office's hall picker names all three halls."""
    text = _screen_text(app("hq", page="p/hall.py"))
    assert all(name in text for name in HALL_NAMES.values())


def test_debug_routes_names_the_query_that_answered_each_question(app):
    """?debug=routes lists, under the page, which query answered what and why
    (Database.explain); without it there is nothing of the kind."""
    plain = app("hq")
    assert not [e for e in plain.expander if "computed" in e.label]
    at = app("hq", debug="routes")
    [routes] = [e for e in at.expander if e.label.startswith("How these numbers were computed")]
    shown = " ".join(m.value for m in routes.markdown) + " ".join(c.value for c in routes.caption)
    # the home page's network headline comes from the network rollups, its summary from hall_rollup
    assert "metrics_by_group_network" in shown and "dataset_summary_rollup" in shown
    assert "Why:" in shown and routes.code, "each route says why and shows its SQL"
    network = next(c.value for c in routes.code if "at the network_days grain" in c.value)
    # the period is bound, never written in: the fixture's days appear in no SQL
    assert "$date_from" in network and not any("2026-03-0" in c.value for c in routes.code)
