import os
import re
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent

# One DuckDB thread per test process and per server a test starts
# (peakend/warehouse/duckdb_settings.py): `make test` runs two workers on two cores, and a
# second thread each on tiny queries cost ~15% more CPU in all, for nothing. The write paths
# at scale run at DuckDB's default (tests/test_write_paths_at_scale.py).
os.environ.setdefault("PEAKEND_DUCKDB_THREADS", "1")
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests"))

from fixture_db import build_fixture_db, fixture_password  # noqa: E402
from peakend.warehouse.db import Database  # noqa: E402

# Each new AppTest has Streamlit scan every installed package's metadata for components
# (streamlit.components.v2.manifest_scanner): ~0.25 s of CPU each, a few hundred times a
# run. The packages installed don't change during a run, so this process scans once.
import functools  # noqa: E402

from streamlit.components.v2 import manifest_scanner as _manifest_scanner  # noqa: E402

_manifest_scanner.scan_component_manifests = functools.cache(_manifest_scanner.scan_component_manifests)

# argon2 is slow on purpose (64 MiB, 3 passes: ~0.1-0.5 s a hash on a busy machine). Tests
# hash and check many passwords, so in the test process only, use the cheapest parameters;
# the servers the browser tests start use the real ones (tests/test_auth_core.py checks
# them). Hashes record their parameters, so either side verifies the other's.
import peakend.auth.passwords as _passwords  # noqa: E402
from argon2 import PasswordHasher as _PasswordHasher  # noqa: E402

_passwords._HASHER = _PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)
_passwords._DUMMY_HASH = _passwords._HASHER.hash("not a password of anyone")


@pytest.fixture(scope="session")
def _fixture_db_template(tmp_path_factory) -> Path:
    """The fixture built once per test process, into a file nothing ever opens again: a
    copy of it is the hand-checked fixture (building it takes ~0.5 s, copying ~0.05 s)."""
    path = tmp_path_factory.mktemp("template") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path


@pytest.fixture()
def fixture_db(_fixture_db_template, tmp_path_factory):
    """A fresh copy of the hand-checked fixture for each test (its own file, removed after)."""
    import shutil

    path = tmp_path_factory.mktemp("fixture_db", numbered=True) / "fixture.duckdb"
    shutil.copyfile(_fixture_db_template, path)
    db = Database(path)
    yield db
    db.close()
    for leftover in path.parent.iterdir():
        leftover.unlink()


@pytest.fixture(scope="session")
def fixture_db_file(tmp_path_factory) -> Path:
    """The fixture as a database file, for apps started by AppTest or a real server."""
    path = tmp_path_factory.mktemp("db") / "fixture.duckdb"
    build_fixture_db(path).close()
    return path


# --- a real server and a real browser (marker: browser) ------------------------------------
import socket  # noqa: E402
import subprocess  # noqa: E402
import tempfile  # noqa: E402
import time  # noqa: E402
import urllib.request  # noqa: E402

CHROMIUM = os.environ.get("PEAKEND_CHROMIUM", "/usr/bin/chromium")  # Debian's
CHROMIUM_ARGS = [
    "--no-sandbox", "--headless", "--disable-gpu", "--disable-quic", "--no-first-run",
    "--disable-background-networking", "--disable-component-update", "--disable-sync",
    # Each new context's window preloads the omnibox popup's WebUI (a renderer of its own,
    # chrome://omnibox-popup.top-chrome): without it a context and its first page cost
    # ~0.35 s less Chromium CPU (0.55-0.60 s against 0.83-0.97, 8 contexts each, paired).
    "--disable-features=WebUIOmniboxPopup,OmniboxAimPopup,WebUIOmniboxAimPopup",
]
ARTIFACTS = ROOT / "test-artifacts"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_server(db_path: Path | str, extra_env: dict | None = None):
    """Start `python -m peakend serve` (as make run does) on a free port against db_path; return (process, url)."""
    [(proc, url)] = start_servers([db_path], extra_env)
    return proc, url


def start_servers(warehouses: list[Path | str], extra_env: dict | None = None) -> list[tuple]:
    """Start one `python -m peakend serve` per warehouse (a database file, or a DuckLake
    target: several servers on one lake are app processes behind one load balancer), all at
    once (their start-ups overlap), and return [(process, url)] once every one is healthy.
    `extra_env` goes to each (a lake's data path and S3 keys, the poll times)."""
    started = []
    try:
        for warehouse in warehouses:
            port = _free_port()
            env = {**os.environ, "PEAKEND_WAREHOUSE": str(warehouse), "PEAKEND_DB": str(warehouse),
                   "STREAMLIT_SERVER_FILE_WATCHER_TYPE": "none", **(extra_env or {})}
            # The server's output goes to a file: a pipe nobody reads fills up (64 KB) and
            # then blocks the server on its next log line.
            log = open(Path(tempfile.mkdtemp(prefix="peakend-server-")) / "server.log", "w+b")  # noqa: SIM115
            proc = subprocess.Popen(
                [sys.executable, "-m", "peakend", "serve", "--host", "127.0.0.1", "--port", str(port)],
                cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT,
            )
            proc.log = log
            started.append((proc, f"http://127.0.0.1:{port}"))
        deadline = time.time() + 60 + 15 * (len(started) - 1)
        for proc, url in started:
            _wait_healthy(proc, url, deadline)
    except BaseException:
        stop_servers(started)
        raise
    return started


def _wait_healthy(proc, url: str, deadline: float) -> None:
    while time.time() < deadline:
        try:
            with urllib.request.urlopen(url + "/_stcore/health", timeout=1) as resp:
                if resp.status == 200:
                    return
        except OSError:
            time.sleep(0.2)
        if proc.poll() is not None:
            proc.log.seek(0)
            raise RuntimeError(proc.log.read().decode(errors="replace"))
    raise RuntimeError(f"streamlit did not become healthy in time ({url})")


def stop_servers(started: list[tuple]) -> None:
    for proc, _ in started:
        if proc.poll() is None:
            proc.terminate()
    for proc, url in started:
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        # the server's last words, shown by pytest with a test that failed (teardown output)
        proc.log.seek(0)
        tail = proc.log.read().decode(errors="replace").splitlines()[-40:]
        if tail:
            print(f"--- last lines of the server at {url} ---", *tail, sep="\n")
        proc.log.close()
        Path(proc.log.name).unlink(missing_ok=True)


@pytest.fixture(scope="session")
def app_url(fixture_db_file, tmp_path_factory):
    """A running app on a copy of the fixture database (shared by the browser tests).

    A copy of its own: DuckDB lets one process open a file, and AppTest tests in this
    process open fixture_db_file itself."""
    import shutil

    path = tmp_path_factory.mktemp("app_url") / "fixture.duckdb"
    shutil.copyfile(fixture_db_file, path)
    proc, url = start_server(path)
    yield url
    stop_servers([(proc, url)])


# --- how `make test` (pytest -n 2) spreads the tests over its workers ---------------------
# xdist's default (--dist load) hands out tests in collection order and chunks, which put
# most browser tests on one worker at the end while the other sat idle (~230 of 390 s).
# Here the browser tests form two chains that start first, one per worker; every other
# test is handed out one by one to whichever worker runs low. (--dist loadgroup would do
# this with xdist_group marks, but with pytest 9.2 it silently stops grouping:
# pytest-dev/pytest-xdist#1386.)
BROWSER_OWN_SERVERS = {"test_browser_data", "test_browser_navigation", "test_browser_first_visits", "test_browser_hostile"}
# Browser modules on generated networks of their own (hundreds of thousands of visits): a
# second chain, so the two chains of servers run side by side.
BROWSER_BIG_NETWORKS = {"test_browser_demo", "test_browser_advice"}
# The DuckLake modules build their lakes once per worker (module fixtures) and start
# Postgres and the S3 server once per worker (session fixtures): one worker runs them all.
DUCKLAKE_MODULES = {"test_ducklake", "test_ducklake_postgres", "test_lake_upkeep", "test_write_turns"}


def pytest_xdist_make_scheduler(config, log):
    if config.getvalue("dist") != "load":
        return None  # an explicit --dist keeps xdist's own scheduler
    from xdist.scheduler import LoadScopeScheduling

    class BrowserChainsFirst(LoadScopeScheduling):
        """Work units: the browser modules that start servers of their own; every other
        browser test (they share one server, app_url, and one Chromium); each other test
        on its own. Units with more tests go first (xdist's loadscope reorder)."""

        def _split_scope(self, nodeid: str) -> str:
            module = nodeid.split("::")[0].rsplit("/", 1)[-1].removesuffix(".py")
            if module in DUCKLAKE_MODULES:
                return "DuckLake tests on their lakes and services"
            if module in BROWSER_OWN_SERVERS:
                return "browser tests with servers of their own"
            if module in BROWSER_BIG_NETWORKS:
                return "browser tests on big networks of their own"
            if module.startswith("test_browser_"):
                return "browser tests on the shared server"
            return nodeid

    config.option.loadscopereorder = True
    return BrowserChainsFirst(config, log)


@pytest.fixture(scope="session")
def browser():
    if not Path(CHROMIUM).exists():
        pytest.skip("Debian's chromium is not installed (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture()
def page(browser):
    context = browser.new_context(viewport={"width": 1400, "height": 1000}, locale="en-US")
    pg = context.new_page()
    yield pg
    context.close()


def wait_for_app(pg, timeout: float = 90_000) -> None:
    """Wait until the script has finished running (Streamlit's own e2e idiom)."""
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)
    pg.wait_for_timeout(300)
    pg.wait_for_selector("[data-testid='stApp'][data-test-script-state='notRunning']", timeout=timeout)


_CHARTS_DRAWN = """() => [...document.querySelectorAll('[data-testid=stPlotlyChart]')]
  .every(c => c.querySelector('.main-svg') && c.getBoundingClientRect().height > 0)"""


def wait_for_charts(pg, timeout: float = 30_000) -> None:
    """Until every Plotly chart on the page has drawn its SVG, then two frames for the
    layout to settle (a chart draws a moment after the script run ends)."""
    pg.wait_for_function(_CHARTS_DRAWN, timeout=timeout)
    pg.evaluate("() => new Promise(r => requestAnimationFrame(() => requestAnimationFrame(r)))")


def screenshot(pg, name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    path = ARTIFACTS / f"{name}.png"
    pg.screenshot(path=str(path), full_page=True)
    return path


# --- signed in (every page needs a signed-in user; nobody signed in sees no hall) --------
# Fixture users (tests/fixture/users.csv), one per role:
#   h1     hall manager of H1            north  regional manager of North (H1, H2)
#   h2h3   hall manager of H2 and H3     south  regional manager of South (H3)
#   hq     head office (every hall)      admin  data admin (every hall; loads, targets)
#   slowed hall manager of H3, kept for the brute-force test (don't sign in with it)


def sign_in_apptest(at, username: str = "hq"):
    """Make an AppTest run signed in as a fixture user; returns `at` for chaining.

    Sets the same server-side session ticket the sign-in form sets (no widget can set it
    from a browser). The user is still re-read from the database on each run, so the
    scope comes from tests/fixture/users.csv like in production.
    """
    from peakend.auth import Ticket
    from peakend.warehouse.accounts import utcnow
    from peakend.ui.auth import SESSION_KEY

    now = utcnow()
    at.session_state[SESSION_KEY] = Ticket(username, "password", now, now)
    return at


def run_signed_in(at, user: str = "hq", lang: str = "en", opened=(), query: dict | None = None):
    """Run an AppTest page signed in as `user` in `lang`, with the lazy sections `opened`
    (drawn only while open) and the URL's `query`; it must run without an exception."""
    sign_in_apptest(at, user)
    at.session_state["lang"] = lang
    for key in opened:
        at.session_state[key] = True
    for name, value in (query or {}).items():
        at.query_params[name] = value
    at.run()
    assert not at.exception, [e.value for e in at.exception]
    return at


def sign_in(pg, url: str, username: str = "hq", password: str | None = None) -> None:
    """Open `url` in the browser and sign in through the real sign-in form as a fixture
    user. The app keeps the URL's page and query, so the page opens signed in.

    A page.goto() keeps the sign-in (the session cookie): to sign in as someone else, this
    first drops the session cookie, as signing out would (the device cookie stays).
    """
    pg.context.clear_cookies(name="peakend_session")
    pg.goto(url)
    wait_for_app(pg)
    submit_sign_in(pg, username, password)
    wait_signed_in(pg)


def submit_sign_in(pg, username: str = "hq", password: str | None = None) -> None:
    """Fill in the sign-in form shown and submit it (without waiting for the page)."""
    pg.locator("[data-testid='stForm'] input[type='text']").first.fill(username)
    pg.locator("[data-testid='stForm'] input[type='password']").fill(
        password if password is not None else fixture_password(username)
    )
    pg.locator("[data-testid='stFormSubmitButton'] button").click()


def wait_signed_in(pg) -> None:
    """Wait for the page asked for to have run after a sign-in."""
    # The page asked for runs right after: heavy pages on a busy machine take a while.
    pg.wait_for_selector(".st-key-_peakend_sign_out", timeout=90_000)
    wait_for_app(pg, timeout=90_000)


# --- a skipped browser test fails the run (make test); make test-fast leaves them out ------
_skipped_browser_tests: list[str] = []


# The one skip a browser test may take: the real data beside the project (../shared) is not
# in this checkout, so there is no file to drive the page with. Any other skip (no Chromium,
# no fonts, a fixture that could not start) fails the run.
WITHOUT_SHARED_DATA = "(no ../shared)"


def pytest_runtest_logreport(report):
    reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
    if report.skipped and "browser" in report.keywords:
        if WITHOUT_SHARED_DATA not in reason:
            _skipped_browser_tests.append(report.nodeid)
    if "services" in report.keywords:  # a test's worst outcome (its subtests report too)
        was = _service_tests.get(report.nodeid)
        if report.skipped and was != "failed":
            _service_tests[report.nodeid] = "skipped"
            _service_skips[report.nodeid] = reason.removeprefix("Skipped: ")
        elif report.failed:
            _service_tests[report.nodeid] = "failed"
        elif report.when == "call" and was is None:
            _service_tests[report.nodeid] = "passed"


def pytest_sessionfinish(session, exitstatus):
    if hasattr(session.config, "workerinput"):
        return
    if _skipped_browser_tests and not os.environ.get("PEAKEND_TEST_FAST"):
        session.exitstatus = pytest.ExitCode.TESTS_FAILED
    if _service_skips and services_required():
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


def pytest_terminal_summary(terminalreporter):
    _summarize_services(terminalreporter)
    if _skipped_browser_tests and not os.environ.get("PEAKEND_TEST_FAST"):
        terminalreporter.section("browser tests skipped: the run fails", red=True)
        terminalreporter.write_line(
            f"{len(_skipped_browser_tests)} browser tests were skipped (first: {_skipped_browser_tests[0]}). "
            "make test never passes without looking at the pages: install Chromium and CJK fonts "
            "(sudo apt-get install -y chromium fonts-noto-cjk), or run make test-fast for the suite "
            "without the browser tests.")


def open_all_numbers(pg) -> None:
    """Open the hall page's "All numbers" expander (the cards beyond the first five tiles
    sit in it, closed at first, and a closed expander's text reads as empty)."""
    summary = pg.locator("[data-testid='stExpander'] details:not([open]) summary",
                         has_text=re.compile("All numbers|全部指标"))
    if summary.count():
        summary.first.click()
        pg.wait_for_timeout(500)


# --- the real services of the DuckLake tests (marker: services) ---------------------------
# A temporary Postgres cluster (the catalog) and moto's S3 server (the data files), one each
# per test process, on free loopback ports (tests/services.py). A test marked `services`
# that can't have them skips with the reason; under CI (CI or PEAKEND_REQUIRE_SERVICES set,
# as .ci/run does) such a skip fails the run. The summary says which ran or skipped.
import services as _services  # noqa: E402

_service_tests: dict[str, str] = {}  # node id -> passed, failed or skipped
_service_skips: dict[str, str] = {}  # node id -> why


def services_required() -> bool:
    return bool(os.environ.get("PEAKEND_REQUIRE_SERVICES") or os.environ.get("CI"))


def _running(start, name: str):
    """A service started for the session and stopped after it; its tests skip, saying why,
    when it can't start (a failure under CI: pytest_runtest_logreport)."""
    try:
        service = start()
    except _services.ServiceUnavailable as e:
        pytest.skip(f"service unavailable: {name}: {e}")
    yield service
    service.stop()


@pytest.fixture(scope="session")
def postgres():
    """A temporary Postgres cluster (services.Postgres), stopped at the end of the session."""
    yield from _running(_services.start_postgres, "Postgres")


@pytest.fixture(scope="session")
def s3_server():
    """moto's S3 server with one bucket (services.BUCKET); `.env()` is the AWS environment
    a PeakEnd process reads it with. Stopped at the end of the session."""
    yield from _running(_services.start_s3, "S3")


def _summarize_services(terminalreporter) -> None:
    if not _service_tests:
        return
    ran, failed, skipped = ([n for n, v in _service_tests.items() if v == k] for k in ("passed", "failed", "skipped"))
    required = services_required()
    bad = bool(skipped and required)
    colour = "red" if bad or failed else "yellow" if skipped else "green"
    terminalreporter.section("DuckLake on Postgres and S3 (tests marked services)", **{colour: True})
    terminalreporter.write_line(
        f"{len(ran)} passed, {len(failed)} failed, {len(skipped)} skipped "
        "(a temporary Postgres cluster for the catalog, moto's S3 server for the data files)"
    )
    for nodeid in skipped[:5]:
        terminalreporter.write_line(f"  skipped {nodeid}: {_service_skips.get(nodeid, '')}")
    if bad:
        terminalreporter.write_line(
            "CI needs these services, so the skips fail the run: install Postgres (make services-deps, or "
            "sudo apt-get install -y postgresql) and moto (pip install -r requirements-dev.txt)."
        )
    elif skipped:
        terminalreporter.write_line("(they fail the run under CI: PEAKEND_REQUIRE_SERVICES=1 or CI set)")
