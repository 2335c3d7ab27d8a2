"""Page links: the names of the URL query parameters pages share, the one way a value is
written to and read from a URL, and the links from one page to another.

No Streamlit here. peakend.ui.url_state reads and writes `st.query_params` with these
functions, the explore view (peakend.explore.logic) round-trips through them, and the
regional, data and home pages build their hall links here.

Reading never raises: a value that doesn't parse is None (the caller drops and names it),
so a stale or hand-edited link still opens.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from datetime import date
from urllib.parse import parse_qs, urlencode

from peakend.core.periods import as_date

# Names more than one page reads (the hall page reads what the regional, data, home and
# insights pages link with).
HALL = "hall"
DATE_FROM = "from"
DATE_TO = "to"
PERIOD = "period"
COMPARE = "compare"
PURPOSE = "purpose"
MOMENT = "moment"
REGION = "region"
LANG = "lang"

LIST_SEP = ","  # ?hall=H1,H2: a list in one value (repeated names are read too)


# -- writing ---------------------------------------------------------------------------------


def encode(value) -> str | None:
    """A value as a URL holds it, or None for nothing (None or an empty list): a list or
    set as a,b,c, a date as YYYY-MM-DD, anything else as its text."""
    if value is None or value == [] or value == ():
        return None
    if isinstance(value, (list, tuple, set)):
        return LIST_SEP.join(str(v) for v in value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def query_string(params: Mapping[str, Sequence[str]]) -> str:
    """name -> values as a query string (a name repeated for each of its values)."""
    return urlencode(params, doseq=True)


# -- reading ---------------------------------------------------------------------------------


def parse_query_string(text: str) -> dict[str, list[str]]:
    """A query string (with or without its leading ?) as name -> every value given."""
    return parse_qs(text.lstrip("?"), keep_blank_values=True)


def last(params: Mapping[str, Sequence[str]], name: str) -> str | None:
    """The last value given for a name (a link may repeat it), or None."""
    values = [v for v in params.get(name, ()) if v is not None]
    return values[-1] if values else None


def decode_int(raw: str, low: int, high: int) -> int | None:
    try:
        value = int(raw.strip())
    except (ValueError, AttributeError):
        return None
    return value if low <= value <= high else None


def decode_date(raw: str) -> date | None:
    try:
        return date.fromisoformat(raw.strip())
    except (ValueError, AttributeError):
        return None


def decode_list(raws: Sequence[str], allowed: Iterable[str]) -> tuple[list[str], list[str]]:
    """The known values of a list parameter, given as repeated names (?hall=H1&hall=H2) or
    in one value (?hall=H1,H2), each once; and the unknown ones, to be named as dropped."""
    allowed = set(allowed)
    good: list[str] = []
    bad: list[str] = []
    for raw in raws:
        items = [raw] if raw in allowed else [item for item in raw.split(LIST_SEP) if item]
        for item in items:
            if item not in allowed:
                bad.append(item)
            elif item not in good:
                good.append(item)
    return good, bad


# -- links to a page -------------------------------------------------------------------------


def hall_link(hall_id: str, first_day=None, last_day=None) -> dict[str, str]:
    """The hall page's link for a hall, over the days from first_day to last_day when given
    (dates as the hall page reads them: YYYY-MM-DD)."""
    params = {HALL: hall_id}
    if first_day is not None and last_day is not None:
        params[DATE_FROM] = as_date(first_day).isoformat()
        params[DATE_TO] = as_date(last_day).isoformat()
    return params


def hall_link_like(hall_id: str, query_params: Mapping[str, str]) -> dict[str, str]:
    """The hall page's link for one hall, the same period and the same purpose filter as a
    page whose URL is query_params: ?hall=ID, then ?period=PRESET or ?from=&to= (whichever
    the period control wrote), its ?compare=, and ?purpose= / ?moment= when set (the hall
    page reads the same names)."""
    params = {HALL: hall_id}
    if query_params.get(DATE_FROM) and query_params.get(DATE_TO):
        params[DATE_FROM] = query_params[DATE_FROM]
        params[DATE_TO] = query_params[DATE_TO]
    elif query_params.get(PERIOD):
        params[PERIOD] = query_params[PERIOD]
    for name in (COMPARE, PURPOSE, MOMENT):
        if query_params.get(name):
            params[name] = query_params[name]
    return params


def share_link(base_url: str, params: Mapping[str, Sequence[str]]) -> str:
    """A page's address with its state: what a user copies to share a view."""
    return f"{base_url}?{query_string(params)}"


def period_link(first_day, last_day) -> dict[str, str]:
    """A page's link over the days from first_day to last_day (?from=&to=, YYYY-MM-DD)."""
    return {DATE_FROM: as_date(first_day).isoformat(), DATE_TO: as_date(last_day).isoformat()}
