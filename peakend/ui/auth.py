"""The signed-in session in Streamlit: sign-in form, single sign-on, sign-out, expiry,
the account box, and pages a role may not open.

A password sign-in lasts as a session cookie (peakend/auth/sessions.py): the form's run
opens a server-side session and hands the browser a one-time nonce that /peakend/session.js
swaps for an HttpOnly cookie (peakend/web/sessions.py). A reload, a new tab or a shared
link sends the cookie, and the run is signed in while its session is open on the server.
Single sign-on (and AppTest) keep a `Ticket` in the server-side session state instead (no
widget has that key, so a browser can't set it). app.py calls `refresh_session()` at the top of every
run: the user is re-read from the database each time, so a disabled account, a new
password or a new scope takes effect at the next click, and the scope is resolved again
(a hall loaded into a region reaches its regional manager).

Single sign-on (optional): when `.streamlit/secrets.toml` has an `[auth]` section for
Streamlit's OIDC login (`st.login`), the sign-in page offers it; the identity's e-mail
is mapped to the PeakEnd user with that e-mail (`python -m peakend users email NAME
ADDRESS`), whose role and scope then apply. An identity whose provider says the e-mail
is not verified, or that maps to no active user, is refused.
"""

from __future__ import annotations

import html
from pathlib import Path
from typing import cast

import streamlit as st

from peakend import auth
from peakend.auth import Ended, Outcome, Permission, Ticket, User, sessions
from peakend.core.i18n import t
from peakend.core.scope import Scope
from peakend.ui import navigation
from peakend.ui.legacy_pages import enforce_app_navigation
from peakend.ui.navigation import ROOT, PageSpec, page_allowed
from peakend.ui.session import database
from peakend.warehouse.accounts import utcnow

SIGNIN_FILE = ROOT / "pages" / "signin.py"

# The session-state key of the sign-in ticket. Tests that drive pages with AppTest set it
# through tests/conftest.py's `sign_in_apptest`, which is the same as having signed in.
SESSION_KEY = _TICKET = "_peakend_ticket"
_SIGNED_IN = "_peakend_signed_in"  # (User, Scope) checked at the start of this run
_NOTICE = "_peakend_signin_notice"
_NAME_KEY = "_peakend_signin_name"
_PASSWORD_KEY = "_peakend_signin_password"
_RESULT = "_peakend_signin_result"
_KEEP_ON_SIGN_OUT = ("lang",)
# The cookie session (peakend/auth/sessions.py) this Streamlit session runs on: the SHA-256
# of its token, set at sign-in or taken from the cookie the browser sent.
_WEB = "_peakend_web_session"
_DEAD = "_peakend_dead_cookie"  # the hash of a cookie known to have ended: not taken again
_NONCE = "_peakend_cookie_nonce"  # a sign-in's one-time nonce for /peakend/session.js
_FORGET = "_peakend_forget_cookie"  # ask the browser to clear its session cookie

SESSION_SCRIPT_FILE = Path(__file__).with_name("session.js")
SESSION_SCRIPT_URL = "/peakend/session.js"


# -- the session ---------------------------------------------------------------------------
def _client() -> dict:
    try:
        ip = st.context.ip_address
    except Exception:  # not available outside a browser session
        ip = None
    return {"ip": ip} if isinstance(ip, str) and ip else {}  # AppTest's context is a stand-in


def _user_agent() -> str | None:
    try:
        value = st.context.headers.get("User-Agent")
    except Exception:  # not available outside a browser session
        return None
    return value if isinstance(value, str) else None


def _cookie(name: str) -> str | None:
    try:
        value = st.context.cookies.get(name)
    except Exception:  # not available outside a browser session
        return None
    return value if isinstance(value, str) and value else None  # AppTest's context is a stand-in


def _device() -> str | None:
    """The SHA-256 of this browser's device cookie, if it sent one."""
    device = _cookie(sessions.DEVICE_COOKIE)
    return sessions.token_hash(device) if device else None


def refresh_session() -> User | None:
    """Check this session's sign-in once per run (app.py) and return the user, or None.

    A session cookie (a reload, a new tab, a shared link) signs the run in while its
    session is open on the server; else the session's own ticket (AppTest, single sign-on)."""
    st.session_state.pop(_SIGNED_IN, None)
    db = database()
    now = utcnow()
    digest: str | None = st.session_state.get(_WEB)
    taken_from_cookie = False
    if digest is None:
        token = _cookie(sessions.SESSION_COOKIE)
        if token and sessions.token_hash(token) != st.session_state.get(_DEAD):
            digest, taken_from_cookie = sessions.token_hash(token), True
    ticket: Ticket | None = st.session_state.get(_TICKET)
    user = None
    if digest is not None:
        user, ended = sessions.check(db, digest, now)
        if user is None:
            _end_cookie_session(digest, ended, taken_from_cookie)
            return None
        st.session_state[_WEB] = digest
    elif ticket is not None:
        user, ended = auth.check_session(db, ticket, now)
        if user is None:
            assert ended is not None  # check_session says why when there is no user
            _end_session(ticket, ended)
            return None
        st.session_state[_TICKET] = ticket.seen(now)
    elif sso_configured() and st.user.get("is_logged_in"):
        user = _sso_sign_in(now)
    if user is not None:
        st.session_state[_SIGNED_IN] = (user, auth.scope_of(db, user))
    return user


def _signed_in() -> tuple[User, Scope] | None:
    # A page run by Streamlit's legacy pages/ mode (several first visits of a page URL at
    # once on a fresh server) reruns through app.py before it shows anything.
    enforce_app_navigation()
    got = st.session_state.get(_SIGNED_IN)
    if got is None and (_TICKET in st.session_state or _WEB in st.session_state):
        refresh_session()  # a page run without app.py (AppTest on a page file)
        got = st.session_state.get(_SIGNED_IN)
    return got


def current_user() -> User | None:
    """The signed-in user (role, display name, halls or regions), or None."""
    got = _signed_in()
    return got[0] if got else None


def signed_in_scope() -> Scope:
    """The halls the signed-in user may see; with nobody signed in, none at all."""
    got = _signed_in()
    return got[1] if got else Scope.halls(())


def current_scope() -> Scope:
    """The halls the signed-in user may see, decided on the server (signed_in_scope below).

    Nobody signed in sees no hall at all; pages never pass a scope themselves.
    """
    return signed_in_scope()


def _end_session(ticket: Ticket, ended: Ended) -> None:
    auth.audit(database(), ticket.username, "session_ended", {"reason": ended.value})
    _clear_session_state()
    st.session_state[_NOTICE] = f"ended_{ended.value}"
    if ticket.method == "sso" and sso_configured():
        st.logout()  # else the identity cookie would sign the session straight back in


def _end_cookie_session(digest: str, ended: Ended | None, taken_from_cookie: bool) -> None:
    """The cookie's session is over: sign this run out, say why (once), and have the
    browser drop the cookie. A cookie left over from a sign-out says nothing."""
    _clear_session_state()
    st.session_state[_DEAD] = digest
    st.session_state[_FORGET] = True
    if ended is None or (taken_from_cookie and ended is Ended.SIGNED_OUT):
        return
    if not taken_from_cookie:  # this session was signed in: its end is news
        auth.audit(database(), sessions.session_user(database(), digest), "session_ended", {"reason": ended.value})
    st.session_state[_NOTICE] = f"ended_{ended.value}"


def session_cookie_script() -> None:
    """Put /peakend/session.js on the page when the browser's cookie has to change: after a
    sign-in (swap the nonce for the cookie) or a sign-out (clear it). Call once per run."""
    orders = {}
    nonce = st.session_state.pop(_NONCE, None)
    if nonce:
        orders["data-nonce"] = nonce
    if st.session_state.pop(_FORGET, False):
        orders["data-forget"] = "1"
    if orders:
        attributes = " ".join(f'{k}="{html.escape(v, quote=True)}"' for k, v in orders.items())
        st.html(f'<script src="{SESSION_SCRIPT_URL}" {attributes}></script>', unsafe_allow_javascript=True)


def _clear_session_state() -> None:
    """Forget everything of the session but the language, so the next person to sign in
    at this browser starts clean."""
    for key in list(st.session_state.keys()):
        if key not in _KEEP_ON_SIGN_OUT:
            del st.session_state[key]


def sign_out() -> None:
    """Sign out: the cookie's session is revoked on the server (every tab holding it is
    signed out at its next click) and the browser is asked to drop the cookie."""
    ticket: Ticket | None = st.session_state.get(_TICKET)
    digest: str | None = st.session_state.get(_WEB)
    if digest is not None:
        sessions.revoke(database(), digest, "signed_out")
        auth.audit(database(), sessions.session_user(database(), digest), "sign_out", _client())
    elif ticket is not None:
        auth.audit(database(), ticket.username, "sign_out", _client())
    _clear_session_state()
    st.session_state[_NOTICE] = "signed_out"
    if digest is not None:
        st.session_state[_DEAD] = digest
        st.session_state[_FORGET] = True
    if ticket is not None and ticket.method == "sso" and sso_configured():
        st.logout()
    else:
        st.rerun()


def audit_action(action: str, detail=None) -> None:
    """Record an action of the signed-in user (a load, an undo, a target change)."""
    auth.audit(database(), current_user(), action, detail)


def require_permission(permission: Permission) -> User:
    """Stop the page with a plain message unless the signed-in user may do this."""
    user = current_user()
    if user is None or not user.may(permission):
        st.error(t("auth.not_permitted", role=role_label(user.role) if user else "–"))
        st.stop()
    return user


# -- single sign-on ------------------------------------------------------------------------
def sso_providers() -> list[str | None]:
    """The OIDC providers configured in secrets [auth]: None for the default one."""
    try:
        section = st.secrets.get("auth", None)
    except Exception:  # no secrets file at all
        return []
    if not section:
        return []
    providers: list[str | None] = [None] if "client_id" in section else []
    providers += sorted(k for k, v in section.items() if hasattr(v, "keys") and "client_id" in v)
    return providers


def _authlib_installed() -> bool:
    """st.login needs the Authlib package (not a default dependency of PeakEnd)."""
    try:
        from streamlit.auth_util import is_authlib_installed
    except ImportError:  # a Streamlit without OIDC support
        return False
    return is_authlib_installed()


def sso_configured() -> bool:
    return bool(sso_providers())


def _sso_sign_in(now) -> User | None:
    db = database()
    email = (cast("str | None", st.user.get("email")) or "").strip().lower()
    verified = st.user.get("email_verified")
    user = auth.user_by_email(db, email) if email and verified is not False else None
    if user is None or not user.active:
        reason = "unverified" if verified is False else ("disabled" if user else "no_account")
        auth.audit(db, email or None, "sign_in_failed", {**_client(), "method": "sso", "reason": reason})
        st.session_state[_NOTICE] = f"sso_{reason}"
        st.session_state["_peakend_sso_email"] = email
        return None
    st.session_state[_TICKET] = auth.open_session(user, "sso", now)
    auth.audit(db, user, "sign_in", {**_client(), "method": "sso"})
    return user


# -- pages -------------------------------------------------------------------------------
def role_label(role: str) -> str:
    return t(f"auth.role.{role}")


def signin_pages() -> list:
    """With nobody signed in, every page URL shows the sign-in form and keeps its path and
    query, so after signing in the user lands on the page (and hall, period...) asked for."""
    return [
        st.Page(
            SIGNIN_FILE,
            title=t("auth.title"),
            icon=":material/login:",
            url_path=spec.key,
            default=spec.default,  # same page hash as build_pages()
        )
        for spec in navigation.PAGES
    ]


def spec_of(page) -> PageSpec:
    """The PageSpec of the page st.navigation resolved."""
    for spec in navigation.PAGES:
        if (spec.default and page.url_path == "") or spec.key == page.url_path:
            return spec
    raise LookupError(page.url_path)


def run_page_if_allowed(page, user: User) -> None:
    """Run the page, or say plainly that this role may not open it."""
    spec = spec_of(page)
    if page_allowed(spec, user.role):
        page.run()
        return
    auth.audit(database(), user, "page_refused", {"page": spec.key})
    st.title(t(f"nav.{spec.key}"))
    st.error(
        t(
            "auth.page_refused",
            roles=t("auth.list_sep").join(role_label(r) for r in spec.roles or ()),
            role=role_label(user.role),
        )
    )
    home = next(s for s in navigation.PAGES if s.default)
    st.page_link(str(ROOT / home.file), label=t(f"nav.{home.key}"), icon=home.icon)


# -- drawing -------------------------------------------------------------------------------
def show_notice() -> None:
    notice = st.session_state.pop(_NOTICE, None)
    if notice is None:
        return
    if notice.startswith("sso_"):
        email = st.session_state.get("_peakend_sso_email") or "–"
        st.warning(t(f"auth.notice.{notice}", email=email))
    elif notice == "signed_out":
        st.success(t("auth.notice.signed_out"))
    else:
        st.info(t(f"auth.notice.{notice}"))


def _submit_password() -> None:
    """The form's callback: runs before the next script run, so a successful sign-in is
    seen by app.py at once, and the password can be wiped from the widget state."""
    username = st.session_state.get(_NAME_KEY, "") or ""
    password = st.session_state.get(_PASSWORD_KEY, "") or ""
    st.session_state[_PASSWORD_KEY] = ""  # never kept in the session
    if not username.strip() or not password:
        st.session_state[_RESULT] = ("missing", 0, "account")
        return
    client = _client()
    result = auth.sign_in(database(), username, password, client=client, device=_device())
    if result.outcome is Outcome.SIGNED_IN:
        assert result.user is not None  # a sign-in names its user
        agent = _user_agent()
        token = sessions.create(database(), result.user, "password", user_agent=agent, ip=client.get("ip"))
        st.session_state.pop(_TICKET, None)
        st.session_state[_WEB] = sessions.token_hash(token)
        st.session_state[_NONCE] = sessions.hand_off(token, agent)  # session_cookie_script()
    else:
        st.session_state[_RESULT] = (result.outcome.value, result.wait_seconds, result.slowed_by)


def password_form() -> None:
    """User name and password, and what came of the last attempt."""
    enforce_app_navigation()  # /signin opened directly on a fresh server: see _signed_in()
    with st.form("signin", enter_to_submit=True):
        st.text_input(t("auth.username"), key=_NAME_KEY, autocomplete="username", max_chars=64)
        st.text_input(
            t("auth.password"), key=_PASSWORD_KEY, type="password", autocomplete="current-password", max_chars=256
        )
        st.form_submit_button(t("auth.sign_in"), type="primary", width="stretch", on_click=_submit_password)
    outcome, wait, slowed_by = st.session_state.pop(_RESULT, (None, 0, "account"))
    slowed = "auth.slowed_address" if slowed_by == "address" else "auth.slowed"
    if outcome == "missing":
        st.error(t("auth.missing"))
    elif outcome == Outcome.WRONG:
        st.error(t("auth.wrong"))
        if wait:
            st.warning(t(slowed, seconds=wait))
    elif outcome == Outcome.SLOWED:
        st.error(t(slowed, seconds=wait))
    elif outcome == Outcome.DISABLED:
        st.error(t("auth.disabled"))


def single_sign_on() -> None:
    """A button per configured OIDC provider (nothing when none is configured)."""
    providers = sso_providers()
    if not providers:
        return
    st.divider()
    if not _authlib_installed():
        st.warning(t("auth.sso_needs_authlib"))
        return
    for provider in providers:
        label = t("auth.sso_button") if provider is None else t("auth.sso_button_named", provider=provider)
        if st.button(label, key=f"sso_{provider or 'default'}", icon=":material/badge:", width="stretch"):
            st.login(provider) if provider else st.login()
    if st.user.get("is_logged_in"):
        # An identity that maps to no PeakEnd user: let them leave it to try another.
        if st.button(t("auth.sso_leave"), key="sso_leave", width="stretch"):
            st.logout()


__all__ = [
    "SIGNIN_FILE",
    "audit_action",
    "current_scope",
    "current_user",
    "password_form",
    "refresh_session",
    "require_permission",
    "role_label",
    "run_page_if_allowed",
    "session_cookie_script",
    "show_notice",
    "sign_out",
    "signed_in_scope",
    "signin_pages",
    "single_sign_on",
    "spec_of",
    "sso_configured",
]
