"""Subscriptions and alerts by e-mail (issue 17, point 4), end to end with a real SMTP
server on loopback (aiosmtpd) and a simulated clock: what is due is sent once, to users
whose scope holds the hall, with the numbers of the hall page; a mail server that is down
is tried again later; and the scheduler really runs inside `python -m peakend serve`.

Fixture (tests/fixture): H1's last day of data is 8 March 2026 (V06, V07: 2 visits, one
abandoned); its week 2-8 March has exit scores 5, 2, 4, 4, 1 (mean 3.20, target 4.00). H2's
last two days: 2 March (0 of 2 abandoned), 3 March (1 of 2). The network's time zone is
Asia/Shanghai (UTC+8).
"""

from __future__ import annotations

import email
import socket
import time
from datetime import datetime, timedelta
from email import policy

import pytest
from aiosmtpd.controller import Controller

from conftest import start_server, stop_servers
from fixture_db import build_fixture_db
from peakend.notify.mail import SmtpSettings
from peakend.notify.scheduler import run_once
from peakend.warehouse.accounts import get_user, set_scope
from peakend.warehouse.subscriptions import SubscriptionError, deliveries, subscribe


class Inbox:
    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        msg = email.message_from_bytes(envelope.content, policy=policy.default)
        self.messages.append((tuple(envelope.rcpt_tos), msg))
        return "250 OK"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture()
def smtp():
    inbox, port = Inbox(), _free_port()
    controller = Controller(inbox, hostname="127.0.0.1", port=port)
    controller.start()
    yield inbox, controller, port
    try:
        controller.stop()
    except AssertionError:  # stopped by the test already
        pass


def local(day: int, hh: int, mm: int) -> datetime:
    """A time in Shanghai on `day` March 2026, as the UTC the clock gives."""
    return datetime(2026, 3, day, hh, mm) - timedelta(hours=8)


def _pdf_text(data: bytes, folder) -> str:
    import subprocess

    path = folder / "attached.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


def _body(msg) -> str:
    return msg.get_body(preferencelist=("plain",)).get_content()


def test_due_mail_goes_out_once_to_the_right_people_and_retries(tmp_path, smtp, subtests):
    inbox, controller, port = smtp
    db = build_fixture_db(tmp_path / "fixture.duckdb")
    settings = SmtpSettings("127.0.0.1", port, security="none", public_url="http://peakend.test")
    h1, hq, north = (get_user(db, u) for u in ("h1", "hq", "north"))
    subscribe(db, h1, "brief_daily", "H1", "07:30", "zh")
    subscribe(db, hq, "alert_exit", "H1", "08:00", "en")
    subscribe(db, north, "alert_abandonment", "H2", "07:00", "en")
    with pytest.raises(SubscriptionError, match="not in h1's halls"):
        subscribe(db, h1, "brief_daily", "H3", "07:30", "zh")
    with pytest.raises(SubscriptionError, match="no e-mail address"):
        subscribe(db, get_user(db, "h2h3"), "brief_daily", "H2", "07:30", "zh")

    with subtests.test("before its time, nothing; the abandonment alert does not hold"):
        assert run_once(db, settings, local(9, 7, 29)) == []
        assert inbox.messages == []
    with subtests.test("at 07:31 the brief, in Chinese, with the hall page's numbers and its link"):
        run_once(db, settings, local(9, 7, 31))
        [(to, msg)] = inbox.messages
        assert to == ("h1@example.com",)
        assert msg["Subject"] == "晨会简报：Alpha Hall，2026年3月8日"
        body = _body(msg)
        assert "到访人次: 2" in body and "放弃率: 50.0%" in body
        assert "http://peakend.test/hall?hall=H1&from=2026-03-08&to=2026-03-08&lang=zh" in body
        assert "<html>" in msg.get_body(preferencelist=("html",)).get_content().lower().replace("<!doctype html>", "")
        [pdf] = [part for part in msg.iter_attachments() if part.get_content_type() == "application/pdf"]
        assert pdf.get_filename() == "brief-H1-2026-03-08.pdf"
        text = _pdf_text(pdf.get_content(), tmp_path)
        assert "Alpha Hall" in text and "晨会简报" in text and text.count("\f") == 1  # one page
    with subtests.test("not twice"):
        run_once(db, settings, local(9, 7, 45))
        assert len(inbox.messages) == 1
    with subtests.test("at 08:01 the exit alert: 3.20 against 4.00 this week"):
        run_once(db, settings, local(9, 8, 1))
        to, msg = inbox.messages[-1]
        assert to == ("hq@example.com",) and msg["Subject"] == "Alert: Alpha Hall's exit score is below target this week"
        assert "is 3.20, below its target of 4.00 (5 ratings)" in _body(msg)
        assert len(inbox.messages) == 2
    with subtests.test("a hall no longer in the scope is not sent"):
        set_scope(db, "h1", halls=["H2"])
        run_once(db, settings, local(10, 7, 31))
        assert [to for to, _ in inbox.messages] == [("h1@example.com",), ("hq@example.com",)]
        set_scope(db, "h1", halls=["H1"])
    with subtests.test("the mail server down: tried again after a minute, then sent"):
        controller.stop()
        [(key, to, error)] = run_once(db, settings, local(11, 7, 31))
        assert to == "h1@example.com" and error and "Connection" in error
        assert run_once(db, settings, local(11, 7, 31) + timedelta(seconds=30)) == []  # still waiting
        controller = Controller(inbox, hostname="127.0.0.1", port=port)
        controller.start()
        [(_, _, error)] = run_once(db, settings, local(11, 7, 33))
        assert error is None and len(inbox.messages) == 3
        row = next(d for d in deliveries(db) if d[0] == key)
        assert row[3] == 2 and row[5] is not None  # two attempts, sent
        controller.stop()
    db.close()


def test_the_scheduler_runs_inside_the_server(tmp_path, smtp):
    inbox, _, port = smtp
    db = build_fixture_db(tmp_path / "fixture.duckdb")
    subscribe(db, get_user(db, "hq"), "brief_daily", "H1", "00:00", "en")  # due at any time of day
    db.close()
    proc, url = start_server(tmp_path / "fixture.duckdb", {
        "PEAKEND_SMTP_HOST": "127.0.0.1", "PEAKEND_SMTP_PORT": str(port), "PEAKEND_SMTP_SECURITY": "none",
        "PEAKEND_SCHEDULER_TICK_S": "1",
    })
    try:
        deadline = time.time() + 30
        while not inbox.messages and time.time() < deadline:
            time.sleep(0.2)
        [(to, msg)] = inbox.messages
        assert to == ("hq@example.com",) and msg["Subject"] == "Morning brief: Alpha Hall, Mar 8, 2026"
        time.sleep(2.5)  # two more ticks: nothing twice
        assert len(inbox.messages) == 1
    finally:
        stop_servers([(proc, url)])


def test_a_manager_subscribes_on_the_hall_page(tmp_path, monkeypatch):
    import streamlit as st
    from streamlit.testing.v1 import AppTest

    from conftest import sign_in_apptest
    from peakend.core.i18n import set_language
    from peakend.warehouse.db import Database
    from peakend.warehouse.subscriptions import subscriptions_of
    from test_hall_page import hall_app

    path = tmp_path / "fixture.duckdb"
    build_fixture_db(path).close()
    monkeypatch.setenv("PEAKEND_DB", str(path))
    monkeypatch.delenv("PEAKEND_SMTP_HOST", raising=False)
    st.cache_data.clear()
    st.cache_resource.clear()
    try:
        set_language("zh")
        at = AppTest.from_function(hall_app, default_timeout=90)
        sign_in_apptest(at, "h1")
        at.session_state["lang"] = "zh"
        at.query_params["hall"] = "H1"
        at.run()
        assert "邮件：简报与提醒" in [e.label for e in at.expander]
        assert any("未配置邮件服务器" in c.value for c in at.caption)  # said, not silently dropped
        at.selectbox(key="subscribe_kind").set_value("alert_exit")
        next(b for b in at.button if b.label == "订阅").click().run()
        assert not at.exception, at.exception
        st.cache_resource.clear()  # the page's database handle: read the file ourselves
        db = Database(path)
        [sub] = subscriptions_of(db, "h1")
        assert (sub.kind, sub.hall_id, sub.send_at, sub.lang) == ("alert_exit", "H1", "07:30", "zh")
        db.close()
    finally:
        st.cache_data.clear()
        st.cache_resource.clear()
        set_language("zh")


def test_a_group_robot_gets_the_alert_as_markdown(tmp_path, subtests):
    """WeCom and DingTalk group robots take a Markdown message by webhook: tried against a
    local HTTP server that answers as they do ({"errcode": 0}), then as one refusing."""
    import json
    import threading
    from http.server import BaseHTTPRequestHandler, HTTPServer

    got, answer = [], {"errcode": 0, "errmsg": "ok"}

    class Robot(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 (http.server's hook name)
            got.append((self.path, json.loads(self.rfile.read(int(self.headers["Content-Length"])))))
            body = json.dumps(answer).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args):
            pass

    server = HTTPServer(("127.0.0.1", 0), Robot)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    base = f"http://127.0.0.1:{server.server_port}"
    db = build_fixture_db(tmp_path / "fixture.duckdb")
    try:
        h2h3 = get_user(db, "h2h3")  # no e-mail address: a group robot needs none
        subscribe(db, h2h3, "alert_exit", "H2", "08:00", "zh", "wecom", f"{base}/wecom?key=k1")
        subscribe(db, get_user(db, "hq"), "alert_exit", "H1", "08:00", "en", "dingtalk", f"{base}/ding?token=t2")
        with pytest.raises(SubscriptionError, match="webhook URL"):
            subscribe(db, h2h3, "alert_exit", "H3", "08:00", "zh", "wecom", "ftp://nowhere")
        with subtests.test("without a mail server the robots still get theirs"):
            tried = run_once(db, None, local(9, 8, 1))
            assert sorted(error is None for _, _, error in tried) == [True]  # H2's exit 4.00 meets 4.00: no alert
            [(path, message)] = got
            assert path == "/ding?token=t2" and message["msgtype"] == "markdown"
            text = message["markdown"]["text"]
            assert message["markdown"]["title"] == "Alert: Alpha Hall's exit score is below target this week"
            assert "is 3.20, below its target of 4.00 (5 ratings)" in text and "/hall?hall=H1" in text
        with subtests.test("a robot that refuses: tried again later"):
            answer.update(errcode=93000, errmsg="invalid webhook url")
            subscribe(db, get_user(db, "hq"), "alert_exit", "H1", "08:00", "en", "wecom", f"{base}/wecom?key=k3")
            [(_, to, error)] = run_once(db, None, local(10, 8, 1))
            assert to == f"wecom:127.0.0.1:{server.server_port}" and "refused" in error
            assert got[-1][1]["msgtype"] == "markdown" and "content" in got[-1][1]["markdown"]
    finally:
        server.shutdown()
        db.close()
