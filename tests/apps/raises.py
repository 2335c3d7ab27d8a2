"""A page that fails: what a user sees when a page raises (tests/test_browser_web_server.py)."""

from peakend.ui.session import init_language

init_language()
raise RuntimeError("a bug nobody caught")
