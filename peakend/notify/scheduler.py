"""The scheduler: once a minute, every subscription whose time of day has come (in the
network's time zone) and whose mail for today (this ISO week, for weekly ones) is not out
yet is composed and sent.

It runs inside the app server (peakend/web/asgi.py starts it; mail needs PEAKEND_SMTP_HOST),
not as a process of its own: DuckDB lets one process write a database file at a time, and
the app already holds it; the deliveries it records are that file's. State lives in the
`deliveries` table, so a restart sends what is still due and nothing twice; a failed send
waits 1, 2, 4 ... minutes (at most an hour) before the next try, up to 8 tries.

On a DuckLake every app process runs a scheduler, and one tick at a time does the work: a
tick takes the warehouse's scheduler turn if it is free (write_turns) and skips otherwise,
so a brief is sent once however many processes serve the pages, and still sent when the
process that sent it yesterday is gone.
"""

from __future__ import annotations

import logging
import os
import threading
from datetime import datetime
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from peakend.core.clock import utcnow
from peakend.notify import webhook
from peakend.notify.mail import SmtpSettings, public_url, send
from peakend.notify.messages import compose
from peakend.warehouse import write_turns
from peakend.warehouse.db import Database
from peakend.warehouse.ingest import settings as load_settings
from peakend.warehouse.subscriptions import (
    Subscription,
    delivery_state,
    recipient,
    record_delivery,
    subscriptions_of,
)

log = logging.getLogger("peakend.scheduler")
TICK_SECONDS = float(os.environ.get("PEAKEND_SCHEDULER_TICK_S") or 60)  # tests tick faster


def _local_now(db: Database, now_utc: datetime) -> datetime:
    cur = db.cursor()
    try:
        zone = load_settings.read(cur).time_zone
    finally:
        cur.close()
    return now_utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(ZoneInfo(zone)).replace(tzinfo=None)


def delivery_key(sub: Subscription, local: datetime) -> str:
    if sub.kind == "brief_weekly":
        year, week, _ = local.isocalendar()
        return f"{sub.subscription_id}:{year}-W{week:02d}"
    return f"{sub.subscription_id}:{local.date().isoformat()}"


def _due(sub: Subscription, local: datetime) -> bool:
    if sub.kind == "brief_weekly" and local.isoweekday() != 1:  # weekly briefs go out on Mondays
        return False
    return local.strftime("%H:%M") >= sub.send_at


_TURNS: dict[str, write_turns.Turns] = {}  # the scheduler turn of each warehouse, one per process
_TURNS_LOCK = threading.Lock()


def run_once(
    db: Database, settings: SmtpSettings | None, now: datetime | None = None
) -> list[tuple[str, str, str | None]]:
    """One tick: (delivery key, recipient, error or None) of every send tried. Without a
    mail server (settings None) only the group robot subscriptions go out. Nothing, when
    another process's scheduler is in its tick (a DuckLake served by several)."""
    with _TURNS_LOCK:
        turns = _TURNS.setdefault(db.path, write_turns.Turns(db.path, "scheduler"))
    with turns.turn_if_free() as mine:
        return _tick(db, settings, now or utcnow()) if mine else []


def _tick(db: Database, settings: SmtpSettings | None, now: datetime) -> list[tuple[str, str, str | None]]:
    local = _local_now(db, now)
    tried = []
    for sub in subscriptions_of(db):
        if not _due(sub, local):
            continue
        key = delivery_key(sub, local)
        state = delivery_state(db, key)
        if state is not None and (state[2] is not None or state[1] is None or state[1] > now):
            continue  # sent, given up, or waiting for its next try
        if sub.channel == "email" and settings is None:
            continue  # no mail server set: kept for when one is
        user = recipient(db, sub)
        if user is None:
            continue  # no longer theirs to receive: nothing is sent, nothing recorded
        to = user.email if sub.channel == "email" else f"{sub.channel}:{urlsplit(sub.webhook_url or '').netloc}"
        letter = compose(db, sub, user, settings.public_url if settings else public_url())
        if letter is None:  # nothing to say today (an alert that does not hold): checked
            record_delivery(db, key, sub, str(to), "(nothing to send)", None, now)
            continue
        try:
            if sub.channel == "email" and settings is not None:
                send(settings, letter.message(str(user.email)))
            else:
                webhook.post(
                    str(sub.webhook_url), webhook.payload(sub.channel, letter.subject, letter.chat_lines, letter.link)
                )
            error = None
        except Exception as exc:  # the server down, refusing, timing out: tried again later
            error = f"{type(exc).__name__}: {exc}"
            log.warning("sending to %s failed (%s); will retry", to, error)
        record_delivery(db, key, sub, str(to), letter.subject, error, now)
        tried.append((key, str(to), error))
    return tried


def start_in_background(db: Database, settings: SmtpSettings | None) -> threading.Event:
    """Tick every minute in a daemon thread until the returned event is set."""
    stop = threading.Event()

    def loop() -> None:
        while not stop.is_set():
            try:
                run_once(db, settings)
            except Exception:  # one bad tick must not end the scheduler
                log.exception("scheduler tick failed")
            stop.wait(TICK_SECONDS)

    threading.Thread(target=loop, name="peakend-scheduler", daemon=True).start()
    return stop
