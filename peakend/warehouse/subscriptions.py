"""What each user asked to receive by e-mail, and every delivery made or tried.

A subscription is one user, one hall of their scope, one kind (the daily or weekly morning
brief, or an alert rule) and a time of day (the network's time zone) in a language. A
delivery is keyed by the subscription and the day (or the ISO week) it is for, so nothing
is sent twice, and a restart finds what is still due. A failed send is tried again with
a growing wait, up to MAX_ATTEMPTS.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from peakend.warehouse.accounts import User, audit, get_user, scope_of, utcnow
from peakend.warehouse.db import Database

KINDS = ("brief_daily", "brief_weekly", "alert_abandonment", "alert_exit")
CHANNELS = ("email", "wecom", "dingtalk")  # e-mail, or a group chat robot's webhook
WEBHOOK_URL = re.compile(r"^https?://[^\s]+$")
SEND_AT = re.compile(r"^([01][0-9]|2[0-3]):[0-5][0-9]$")
MAX_ATTEMPTS = 8
FIRST_RETRY = timedelta(minutes=1)  # then 2, 4, 8 ... minutes, at most an hour
LONGEST_RETRY = timedelta(hours=1)


class SubscriptionError(ValueError):
    """A subscription can't be made or removed as asked; the message says why."""


@dataclass(frozen=True)
class Subscription:
    subscription_id: int
    username: str
    kind: str
    hall_id: str
    send_at: str
    lang: str
    channel: str = "email"
    webhook_url: str | None = None


def subscribe(
    db: Database,
    user: User,
    kind: str,
    hall_id: str,
    send_at: str,
    lang: str,
    channel: str = "email",
    webhook_url: str | None = None,
) -> int:
    if kind not in KINDS:
        raise SubscriptionError(f"kind {kind!r}: one of {', '.join(KINDS)}")
    if not SEND_AT.match(send_at or ""):
        raise SubscriptionError(f"send at {send_at!r}: a time of day as HH:MM")
    if lang not in ("zh", "en"):
        raise SubscriptionError(f"language {lang!r}: zh or en")
    if channel not in CHANNELS:
        raise SubscriptionError(f"channel {channel!r}: one of {', '.join(CHANNELS)}")
    if channel == "email" and not user.email:
        raise SubscriptionError(f"{user.username} has no e-mail address: ask a data admin to add one")
    if channel != "email" and not WEBHOOK_URL.match(webhook_url or ""):
        raise SubscriptionError(f"a {channel} subscription needs the group robot's webhook URL (http:// or https://)")
    if not scope_of(db, user).allows(hall_id):
        raise SubscriptionError(f"hall {hall_id} is not in {user.username}'s halls")

    def _write(cur):
        cur.execute(
            "delete from subscriptions where username = ? and kind = ? and hall_id = ?", [user.username, kind, hall_id]
        )
        subscription_id = cur.execute(
            "insert into subscriptions (subscription_id, username, kind, hall_id, send_at, lang, created_at, "
            "channel, webhook_url) select (select coalesce(max(subscription_id), 0) + 1 from subscriptions), "
            "?, ?, ?, ?, ?, ?, ?, ? returning subscription_id",
            [
                user.username,
                kind,
                hall_id,
                send_at,
                lang,
                utcnow(),
                channel,
                webhook_url if channel != "email" else None,
            ],
        ).fetchall()[0][0]
        audit(
            cur,
            user,
            "subscribe",
            {"kind": kind, "hall": hall_id, "send_at": send_at, "lang": lang, "channel": channel},
        )
        return int(subscription_id)

    return db.write(_write)


def unsubscribe(db: Database, user: User, subscription_id: int) -> None:
    def _write(cur):
        gone = cur.execute(
            "delete from subscriptions where subscription_id = ? and username = ? returning kind, hall_id",
            [subscription_id, user.username],
        ).fetchall()
        if not gone:
            raise SubscriptionError(f"{user.username} has no subscription {subscription_id}")
        audit(cur, user, "unsubscribe", {"kind": gone[0][0], "hall": gone[0][1]})

    db.write(_write)


def subscriptions_of(db: Database, username: str | None = None) -> list[Subscription]:
    cur = db.cursor()
    try:
        rows = cur.execute(
            "select subscription_id, username, kind, hall_id, send_at, lang, channel, webhook_url from subscriptions "
            "where $username is null or username = $username order by username, hall_id, kind",
            {"username": username},
        ).fetchall()
    finally:
        cur.close()
    return [Subscription(*r) for r in rows]


def recipient(db: Database, sub: Subscription) -> User | None:
    """The user to write to, if they are still active, still have an address and still see
    the hall (scope is asked again at every send: a hall moved away is never sent)."""
    user = get_user(db, sub.username)
    if user is None or not user.active or not scope_of(db, user).allows(sub.hall_id):
        return None
    if sub.channel == "email" and not user.email:
        return None
    return user


def delivery_state(db: Database, key: str) -> tuple[int, datetime | None, datetime | None] | None:
    """(attempts, next_try_at, sent_at) of a delivery, or None if never tried."""
    cur = db.cursor()
    try:
        row = cur.execute(
            "select attempts, next_try_at, sent_at from deliveries where delivery_key = ?", [key]
        ).fetchone()
    finally:
        cur.close()
    return (int(row[0]), row[1], row[2]) if row else None


def record_delivery(
    db: Database, key: str, sub: Subscription, to: str, subject: str, error: str | None, now: datetime | None = None
) -> None:
    """A send tried: sent (error None), or failed and due again after a growing wait."""
    now = now or utcnow()
    state = delivery_state(db, key)
    attempts = (state[0] if state else 0) + 1
    if error is None:
        next_try, sent = None, now
    else:
        wait = min(FIRST_RETRY * 2 ** (attempts - 1), LONGEST_RETRY)
        next_try, sent = (now + wait if attempts < MAX_ATTEMPTS else None), None

    def _write(cur):
        cur.execute("delete from deliveries where delivery_key = ?", [key])  # replaced (a lake has no key)
        cur.execute(
            "insert into deliveries values (?, ?, ?, ?, ?, ?, ?, ?)",
            [key, sub.subscription_id, to, subject, attempts, next_try, sent, error],
        )

    db.write(_write)


def deliveries(db: Database) -> list[tuple]:
    """Every delivery: (key, recipient, subject, attempts, next_try_at, sent_at, last_error)."""
    cur = db.cursor()
    try:
        return cur.execute(
            "select delivery_key, recipient, subject, attempts, next_try_at, sent_at, last_error "
            "from deliveries order by delivery_key"
        ).fetchall()
    finally:
        cur.close()
