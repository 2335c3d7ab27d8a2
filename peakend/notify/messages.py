"""What one subscription's mail says: the morning brief of a hall's last day of data (its
week on a weekly brief), or an alert when its rule holds. Numbers come from the metric
layer (metrics_by_group, as the hall page asks it) in the recipient's scope; every text from
data is escaped for HTML.
"""

from __future__ import annotations

import functools
import html
from dataclasses import dataclass, field
from datetime import date, timedelta
from email.message import EmailMessage
from urllib.parse import urlencode

import pandas as pd

from peakend.brief.documents import brief_pdf
from peakend.core import formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import set_language, t
from peakend.core.metrics import METRICS, target_status
from peakend.core.scope import Scope
from peakend.warehouse.accounts import User, scope_of
from peakend.warehouse.db import Database
from peakend.warehouse.subscriptions import Subscription

# The brief's tiles, in this order (each judged against the hall's own target where it has one)
BRIEF_TILES = ("visits", "wait_median_min", "abandonment_rate", "peak_end_index", "exit_mean")
STATUS_MARK = {"green": "●", "amber": "▲", "red": "■", None: "–"}


@dataclass
class Letter:
    subject: str
    html: str
    text: str
    attachments: list[tuple[str, bytes, str]] = field(default_factory=list)  # (file name, bytes, mime type)
    chat_lines: list[str] = field(default_factory=list)  # what a group robot's message says
    link: str = ""

    def message(self, to: str) -> EmailMessage:
        msg = EmailMessage()
        msg["To"] = to
        msg["Subject"] = self.subject
        msg.set_content(self.text)
        msg.add_alternative(self.html, subtype="html")
        for name, data, mime in self.attachments:
            main, sub = mime.split("/", 1)
            msg.add_attachment(data, maintype=main, subtype=sub, filename=name)
        return msg


def _hall(halls: pd.DataFrame, hall_id: str) -> pd.Series | None:
    rows = halls[halls["hall_id"] == hall_id]
    if rows.empty or pd.isna(rows.iloc[0]["last_day"]):
        return None
    return rows.iloc[0]


def _numbers(db: Database, scope: Scope, hall_id: str, first: date, last: date) -> pd.Series | None:
    f = VisitFilter(date_from=first, date_to=last, halls=(hall_id,))
    rows = db.query("metrics_by_group", f, scope, group_1=None, group_2=None)
    return rows.iloc[0] if len(rows) and rows.iloc[0]["visits"] else None


def _link(base: str, hall_id: str, first: date, last: date, lang: str) -> str:
    query = urlencode({"hall": hall_id, "from": first.isoformat(), "to": last.isoformat(), "lang": lang})
    return f"{base}/hall?{query}"


def _tile_rows(now: pd.Series, hall: pd.Series) -> list[tuple[str, str, str]]:
    out = []
    for key in BRIEF_TILES:
        metric = METRICS[key]
        target = hall.get(metric.target) if metric.target else None
        value = now.get(key)
        status = target_status(metric, value, target)
        out.append((metric.label, metric.format(value), STATUS_MARK[status]))
    return out


def _page(title: str, lines: list[str], rows: list[tuple[str, str, str]], link: str, link_text: str) -> str:
    cells = "".join(
        f"<tr><td>{html.escape(label)}</td><td style='text-align:right'><b>{html.escape(value)}</b></td>"
        f"<td>{mark}</td></tr>"
        for label, value, mark in rows
    )
    paragraphs = "".join(f"<p>{html.escape(line)}</p>" for line in lines)
    return (
        "<!doctype html><html><body style='font-family:sans-serif'>"
        f"<h2>{html.escape(title)}</h2>{paragraphs}<table cellpadding='4'>{cells}</table>"
        f"<p><a href='{html.escape(link, quote=True)}'>{html.escape(link_text)}</a></p></body></html>"
    )


def compose(db: Database, sub: Subscription, user: User, public_url: str) -> Letter | None:
    """The mail of `sub` now, or None when there is nothing to send (no data, an alert
    whose rule does not hold)."""
    set_language(sub.lang)
    scope = scope_of(db, user)  # asked once: every query below is the recipient's
    halls = db.query("halls_in_scope", None, scope)
    hall = _hall(halls, sub.hall_id)
    if hall is None:
        return None
    last = pd.Timestamp(hall["last_day"]).date()
    name = str(hall["hall_name"])
    weekly = sub.kind in ("brief_weekly", "alert_exit")
    first = last - timedelta(days=6) if weekly else last
    now = _numbers(db, scope, sub.hall_id, first, last)
    if now is None:
        return None
    link = _link(public_url, sub.hall_id, first, last, sub.lang)
    period = formatting.day(last) if first == last else f"{formatting.day(first)} – {formatting.day(last)}"
    if sub.kind.startswith("brief"):
        subject = t(f"notify.{sub.kind}.subject", hall=name, period=period)
        lines = [t("notify.brief.intro", hall=name, period=period)]
    elif sub.kind == "alert_exit":
        target = float(hall["exit_target"])
        if pd.isna(now["exit_mean"]) or now["exit_mean"] >= target:
            return None
        subject = t("notify.alert_exit.subject", hall=name)
        lines = [
            t(
                "notify.alert_exit.says",
                hall=name,
                period=period,
                value=formatting.score(now["exit_mean"]),
                target=formatting.score(target),
                n=formatting.number(now["exit_n"]),
            )
        ]
    else:  # alert_abandonment: over the hall's target on each of its last two days of data
        target = float(hall["max_abandonment"])
        days = [(last - timedelta(days=k)) for k in (1, 0)]
        rates = [_numbers(db, scope, sub.hall_id, d, d) for d in days]
        if any(r is None or r["abandonment_rate"] <= target for r in rates):
            return None
        subject = t("notify.alert_abandonment.subject", hall=name)
        lines = [
            t(
                "notify.alert_abandonment.says",
                hall=name,
                target=formatting.percent(target),
                days="; ".join(
                    f"{formatting.day(d)} {formatting.percent(r['abandonment_rate'])}"
                    for d, r in zip(days, rates)
                    if r is not None
                ),
            )
        ]
    rows = _tile_rows(now, hall)
    text = "\n".join([subject, "", *lines, "", *(f"{a}: {b} {c}" for a, b, c in rows), "", link])
    letter = Letter(
        subject,
        _page(subject, lines, rows, link, t("notify.open_hall")),
        text,
        chat_lines=[*lines, *(f"{a}: {b} {c}" for a, b, c in rows)],
        link=link,
    )
    if sub.kind.startswith("brief") and sub.channel == "email":  # the one-page brief to print for the morning meeting
        pdf = brief_pdf(
            functools.partial(db.query, scope=scope),
            halls,
            sub.hall_id,
            last,
            "week" if weekly else "day",
        )
        letter.attachments.append((f"brief-{sub.hall_id}-{last.isoformat()}.pdf", pdf, "application/pdf"))
    return letter
