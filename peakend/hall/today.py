"""The hall page's "today" panel: what day and time it is in the hall, how old its newest
data is, whether its feed has gone quiet, and the usual arrivals by this time. The numbers
come from queries/hall_today_*.sql, metrics_by_group and hall_exit_comments; nothing here
computes a metric.

"Now" is the app's clock (peakend.core.clock, UTC) in the hall's time zone (its own, else
the network's), so a hall in Urumqi and one in Dalian each get their own day; or the newest
data of today, when that is later (panel_now)."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

import pandas as pd

from peakend.core import clock, formatting
from peakend.core.filters import VisitFilter
from peakend.core.i18n import t

REFRESH_S = 15  # the panel's refresh (st.fragment run_every): a posted visit shows within 35 s under load
QUIET_MIN = 15  # an open hall with no new event for this long: its feed has gone quiet
USUAL_WEEKS = 8  # the usual curve: the same weekday of this many weeks before today
LATEST_COMMENTS = 5
SCORE_TILES = ("peak_mean", "exit_mean")


def local_now(time_zone: str | None, utc_now: datetime | None = None) -> datetime:
    """The app's clock in the hall's time zone, naive (as the visits are stored), to the second."""
    utc = (utc_now or clock.utcnow()).replace(microsecond=0)
    try:
        zone = ZoneInfo(time_zone or "UTC")
    except (ZoneInfoNotFoundError, ValueError):
        zone = ZoneInfo("UTC")
    return utc.replace(tzinfo=ZoneInfo("UTC")).astimezone(zone).replace(tzinfo=None)


def panel_now(clock_now: datetime, newest, loaded_ago: timedelta | None = None) -> tuple[datetime, str | None]:
    """(the time the panel is as of, None or why it is not the clock: "ahead" or "replay").

    - Newest data later today than the clock (a hall system whose clock runs fast, or the
      demo feed playing the day faster than real time): counted at the clock, those visits
      would be left out as not having happened yet, and the queue would stand still.
    - Newest data of today over QUIET_MIN behind the clock, but written by a load in the last
      QUIET_MIN (`loaded_ago`): the feed is sending now what happened earlier (a hall system
      catching up after an outage, or the demo feed playing the day from its first ticket).
      Counted at the clock, every visit not yet called would have waited for hours and the
      feed would be warned as gone quiet while it sends.

    Either way the panel moves to the newest data and says so (hall.today.ahead, .replay)."""
    if _missing(newest):
        return clock_now, None
    newest_at = pd.Timestamp(newest).to_pydatetime().replace(microsecond=0)
    if newest_at.date() != clock_now.date():
        return clock_now, None
    if newest_at > clock_now:
        return newest_at, "ahead"
    quiet = timedelta(minutes=QUIET_MIN)
    if clock_now - newest_at > quiet and loaded_ago is not None and loaded_ago <= quiet:
        return newest_at, "replay"
    return clock_now, None


def loaded_ago(loaded_at, utc_now: datetime | None = None) -> timedelta | None:
    """How long ago a load was written (loads.loaded_at is the server's local time, naive)."""
    if _missing(loaded_at):
        return None
    written = pd.Timestamp(loaded_at).to_pydatetime().astimezone(UTC).replace(tzinfo=None)
    return (utc_now or clock.utcnow()) - written


def today_filter(hall_id: str, day: date) -> VisitFilter:
    return VisitFilter(date_from=day, date_to=day, halls=(hall_id,))


def usual_filter(hall_id: str, day: date, weeks: int = USUAL_WEEKS) -> VisitFilter:
    """Today and the `weeks` weeks before it (hall_today_arrivals keeps today's weekday)."""
    return VisitFilter(date_from=day - timedelta(weeks=weeks), date_to=day, halls=(hall_id,))


def _missing(value) -> bool:
    """None, NaN or NaT of any kind (a hall without opening hours reads back NaT)."""
    if value is None:
        return True
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def age(newest, now: datetime) -> timedelta | None:
    """How old the newest data is (None: the hall has none)."""
    if _missing(newest):
        return None
    return max(timedelta(0), now - pd.Timestamp(newest).to_pydatetime())


def age_text(delta: timedelta | None) -> str:
    """'just now', '4 min', '2 h 5 min', '3 days' (in the current language)."""
    if delta is None:
        return formatting.MISSING
    minutes = int(delta.total_seconds() // 60)
    if minutes < 1:
        return t("hall.today.age.now")
    if minutes < 60:
        return t("hall.today.age.min", n=minutes)
    if minutes < 24 * 60:
        return t("hall.today.age.hours", h=minutes // 60, m=minutes % 60)
    return t("hall.today.age.days", n=minutes // (24 * 60), h=minutes % (24 * 60) // 60)


def wait_text(seconds) -> str:
    """The longest current wait: '45 s', '12 min', '1 h 20 min'."""
    if _missing(seconds):
        return formatting.MISSING
    s = max(0, int(seconds))
    if s == 0:
        return formatting.minutes(0, 0)
    if s < 60:
        return formatting.seconds(s)
    if s < 3600:
        return formatting.minutes(s / 60, 0)
    return t("hall.today.age.hours", h=s // 3600, m=(s % 3600) // 60)


def _clock_time(value) -> time | None:
    if _missing(value):
        return None
    if isinstance(value, time):
        return value
    if isinstance(value, str):
        hh, mm = value.split(":")[:2]
        return time(int(hh), int(mm))
    return pd.Timestamp(value).time()


def is_open(hall, now: datetime) -> bool | None:
    """Whether the hall is open at `now` (None: its hours aren't known)."""
    opens, closes = _clock_time(hall.get("opens_at")), _clock_time(hall.get("closes_at"))
    if opens is None or closes is None:
        return None
    return opens <= now.time() < closes


def feed_quiet(hall, now: datetime, newest, quiet_min: int = QUIET_MIN) -> bool:
    """An open hall (or one of unknown hours) whose newest event is over `quiet_min` old
    (a hall with data earlier today only: before it, nothing was expected yet)."""
    if is_open(hall, now) is False:
        return False
    gone = age(newest, now)
    return gone is not None and gone > timedelta(minutes=quiet_min)


def usual_by_now(curve: pd.DataFrame, now: datetime) -> float | None:
    """The usual arrivals by this time of day: the usual days' cumulative count through the
    hours before this one, plus this hour's usual share by the minute (hall_today_arrivals).
    None when there is no usual day."""
    if curve.empty or _missing(curve["usual_days"].iloc[0]) or not curve["usual_days"].iloc[0]:
        return None
    before = curve.loc[curve["hour"] < now.hour, "usual_arrivals"].fillna(0).sum()
    this = curve.loc[curve["hour"] == now.hour, "usual_arrivals"].fillna(0).sum()
    return float(before + this * (now.minute * 60 + now.second) / 3600)


def arrivals_sentence(so_far: int, usual: float | None, usual_days: int) -> str:
    if usual is None:
        return t("hall.today.sentence.no_usual", n=formatting.number(so_far))
    if usual < 1:
        return t("hall.today.sentence.usual_none", n=formatting.number(so_far), days=usual_days)
    ratio = so_far / usual
    return t(
        "hall.today.sentence.vs_usual",
        n=formatting.number(so_far),
        usual=formatting.number(usual),
        share=formatting.percent(ratio, 0),
        days=usual_days,
    )


def curve_frame(curve: pd.DataFrame, now: datetime) -> pd.DataFrame:
    """hall_today_arrivals as the chart draws it: a point at the end of each hour (`label`
    "10:00" is "by 10:00"), and one at `now` itself with today's count so far and the usual
    count by this time (usual_by_now). Today has no point after now (not zero)."""
    # the day starts at zero at the start of its first hour with arrivals
    rows: list[dict] = []
    if not curve.empty and int(curve["hour"].iloc[0]) <= now.hour:
        rows.append({"label": f"{int(curve['hour'].iloc[0]):02d}:00", "today_cumulative": 0.0, "usual_cumulative": 0.0})
    now_label = f"{now:%H:%M}"
    placed_now = False
    for r in curve.itertuples(index=False):
        hour = int(r.hour)
        end = f"{hour + 1:02d}:00"
        if hour >= now.hour and not placed_now:
            placed_now = True
            so_far = curve.loc[curve["hour"] <= now.hour, "today_arrivals"].sum()
            rows.append(
                {"label": now_label, "today_cumulative": float(so_far), "usual_cumulative": usual_by_now(curve, now)}
            )
        if hour < now.hour:
            rows.append(
                {"label": end, "today_cumulative": float(r.today_cumulative), "usual_cumulative": r.usual_cumulative}
            )
        elif end != now_label:
            rows.append({"label": end, "today_cumulative": None, "usual_cumulative": r.usual_cumulative})
    if not placed_now:
        rows.append(
            {
                "label": now_label,
                "today_cumulative": float(curve["today_arrivals"].sum()),
                "usual_cumulative": usual_by_now(curve, now),
            }
        )
    frame = pd.DataFrame(rows, columns=["label", "today_cumulative", "usual_cumulative"])
    # on the hour, "now" is that hour's end: one point, now's (it counts up to the second)
    return frame.drop_duplicates("label", keep="last").reset_index(drop=True)
