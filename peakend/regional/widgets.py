"""The regional comparison's controls, its league table on screen, the drill-down to the
hall page and the exports. The rules behind the numbers are in peakend/regional/logic.py."""

from __future__ import annotations

import math
from collections.abc import Callable

import pandas as pd
import streamlit as st

from peakend.charts.theme import GREYED, STATUS_COLORS
from peakend.core import formatting, links
from peakend.core.filters import VisitFilter
from peakend.core.i18n import purpose_labels, t
from peakend.core.metrics import METRICS, MIN_RATINGS_DEFAULT, Metric, service_level_definition
from peakend.core.moments import ALL_PEAK_MOMENTS
from peakend.core.safe_text import md
from peakend.regional import logic as regional
from peakend.ui import url_state
from peakend.ui.answers import run
from peakend.ui.navigation import PAGES, ROOT

DETAILS = ("rank", "change", "n")
DEFAULT_DETAILS = ("rank",)
# Fixed column widths (px): the table reads the same on every load, and the browser test
# can find a header on the canvas the grid draws.
WIDTHS = {"hall": 160, "region": 90, "value": 76, "#": 40, "Δ": 76, "n": 56, "trend": 130}
# The order of the metrics on screen: the queue, then how the visit ended and the peak-end
# index, so the exit columns are on a 1440 px screen without scrolling; then every other
# metric metrics.py shows in the league, in its order.
SCREEN_FIRST = ("visits", "wait_median_min", "abandonment_rate", "exit_mean", "peak_end_index")
SCREEN_ORDER = SCREEN_FIRST + tuple(k for k in regional.LEAGUE_METRICS if k not in SCREEN_FIRST)
# the absolute path, as build_pages registers it (app.py may run from elsewhere: the bench)
HALL_PAGE = next((str(ROOT / spec.file) for spec in PAGES if spec.key == "hall"), None)


# -- controls -------------------------------------------------------------------------------
MIN_N_KEY = "min_n"  # the widget key is the URL parameter (bind="query-params")


def region_control(regions: list[str]) -> list[str]:
    """Regions in the user's scope; a first visit opens on the first one. Clearing the
    box means every region, and the URL then names them all, so the link stays exact."""
    url_state.seed("regional_regions", url_state.read_list("region", regions) or regions[:1])
    chosen = st.multiselect(
        t("regional.controls.regions"),
        regions,
        key="regional_regions",
        placeholder=t("regional.controls.all_regions"),
        disabled=len(regions) == 1,
    )
    chosen = chosen or list(regions)
    url_state.write(region=chosen)
    return chosen


def purpose_control(purposes: pd.DataFrame) -> list[str]:
    """Visit purposes (URL ?purpose=, the name the hall page reads too)."""
    labels = purpose_labels(purposes)
    url_state.seed("regional_purposes", url_state.read_list("purpose", labels))
    chosen = st.multiselect(
        t("regional.controls.purposes"),
        list(labels),
        key="regional_purposes",
        format_func=lambda p: labels.get(p, p),
        placeholder=t("regional.controls.all"),
    )
    url_state.write(purpose=chosen)
    return chosen


def peak_moment_control() -> list[str]:
    url_state.seed("regional_moments", url_state.read_list("moment", ALL_PEAK_MOMENTS))
    chosen = st.multiselect(
        t("regional.controls.peak_moments"),
        list(ALL_PEAK_MOMENTS),
        key="regional_moments",
        format_func=lambda m: t(f"regional.moment.{m}"),
        placeholder=t("regional.controls.all"),
    )
    url_state.write(moment=chosen)
    return chosen


def _valid_min_n(raw: str) -> bool:
    return raw.isdigit() and 1 <= int(raw) <= 100_000


def min_n_control() -> int:
    """URL: ?min_n=N (bound to the widget; left out at the default)."""
    url_state.name_if_invalid(MIN_N_KEY, _valid_min_n)
    value = st.number_input(
        t("regional.controls.min_n"),
        min_value=1,
        max_value=100_000,
        value=MIN_RATINGS_DEFAULT,
        step=5,
        key=MIN_N_KEY,
        bind="query-params",
        help=t("regional.controls.min_n_help"),
    )
    return int(value or MIN_RATINGS_DEFAULT)


def _seed_details() -> None:
    raw = url_state.read_list("show", DETAILS + ("none",))
    url_state.seed("regional_show", list(DEFAULT_DETAILS) if raw is None else [d for d in raw if d != "none"])


def detail_value() -> list[str]:
    """The columns chosen, where the control isn't drawn (the regions' table, further down)."""
    _seed_details()
    return list(st.session_state["regional_show"])


def detail_control() -> list[str]:
    """Which columns sit beside each value: rank, change, n (URL ?show=; "none" = values only).

    Ranks only at first: eleven metrics with four columns each run far off the screen, and
    the marks and ranks are what name the hall that needs help."""
    _seed_details()
    chosen = st.pills(
        t("regional.league.details"),
        DETAILS,
        key="regional_show",
        selection_mode="multi",
        format_func=lambda d: t(f"regional.details.{d}"),
    )
    url_state.write(show=None if list(chosen) == list(DEFAULT_DETAILS) else (chosen or ["none"]))
    return list(chosen)


def _seed_trend_metric() -> list[str]:
    options = list(regional.LEAGUE_METRICS)
    url_state.seed("regional_metric", url_state.read("metric", str, lambda v: v in options) or "wait_median_min")
    return options


def trend_metric_value() -> str:
    """The trend metric chosen, before its control is drawn (beside the table, further
    down): the page asks for every section's data first."""
    _seed_trend_metric()
    return st.session_state["regional_metric"]


def trend_metric_control() -> str:
    options = _seed_trend_metric()
    choice = st.selectbox(
        t("regional.controls.trend_metric"),
        options,
        key="regional_metric",
        format_func=lambda k: METRICS[k].label,
    )
    url_state.write(metric=None if choice == "wait_median_min" else choice)
    return choice


def period_caption(current: VisitFilter, comparison: VisitFilter | None) -> None:
    first, last = formatting.day(current.date_from), formatting.day(current.date_to)
    if comparison is None:
        st.caption(t("regional.period_alone", first=first, last=last))
    else:
        st.caption(
            t(
                "regional.period_against",
                first=first,
                last=last,
                cmp_first=formatting.day(comparison.date_from),
                cmp_last=formatting.day(comparison.date_to),
            )
        )


# -- who needs help -------------------------------------------------------------------------
def worst_summary(worst: list[regional.Worst]) -> None:
    """Last place on the queue, each peak moment and the exit, in one line of small boxes."""
    if not worst:
        return
    with st.container(border=True):
        st.markdown(f"**{t('regional.worst.title')}**")
        for column, item in zip(st.columns(len(worst)), worst):
            metric = METRICS[item.key]
            with column:
                st.caption(metric.label)
                if item.hall_id is not None and HALL_PAGE is not None:
                    st.page_link(
                        HALL_PAGE,
                        label=md(item.label),
                        icon=":material/storefront:",
                        query_params=links.hall_link_like(item.hall_id, dict(st.query_params)),
                    )
                else:
                    st.markdown(f"**{md(item.label)}**")
                st.markdown(
                    t(
                        "regional.worst.detail",
                        value=metric.format(item.value),
                        rank=formatting.number(item.rank),
                        ranked=formatting.number(item.ranked),
                    )
                )


# -- the league table on screen -------------------------------------------------------------
def _plain(metric: Metric, value) -> str:
    """A value without its unit (the unit is in the column header)."""
    if _missing(value):
        return formatting.MISSING
    if metric.kind == "minutes":
        return formatting.number(value, 1)
    return metric.format(value)


def _change(metric: Metric, value) -> str:
    if _missing(value):
        return formatting.MISSING
    if metric.kind == "share":
        return formatting.points(value * 100, 1) + " " + t("unit.pp")
    decimals = {"score": 2, "minutes": 1, "points": 0, "count": 0}[metric.kind]
    return formatting.points(value, decimals)


def _missing(value) -> bool:
    return value is None or value is pd.NA or (isinstance(value, float) and math.isnan(value))


def _tint(hex_colour: str, alpha: float = 0.22) -> str:
    r, g, b = (int(hex_colour[i : i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r}, {g}, {b}, {alpha})"


def table_view(
    league: pd.DataFrame,
    details: list[str],
    trend: list[list[float]] | None,
    trend_metric: str | None,
    min_n: int,
    comparison: VisitFilter | None,
    key: str,
    entity: str = "hall",
) -> int | None:
    """The league table (halls, or regions with entity="region"): grouped headers per
    metric (value, #, Δ, n), marks from the target status, thin cells greyed, sortable by
    any column. Returns the position of the selected row, if any."""
    columns: list[tuple[str, str]] = []
    data: dict[tuple[str, str], pd.Series] = {}
    css: dict[tuple[str, str], list[str]] = {}
    config: dict[tuple[str, str], dict] = {}
    shown: dict[tuple[str, str], Callable[..., str]] = {}

    def add(col, values, fmt=None, styles=None, width="value", **cfg):
        columns.append(col)
        data[col] = values.reset_index(drop=True)
        css[col] = styles or [""] * len(league)
        if fmt is not None:
            shown[col] = fmt
        config[col] = {"width": WIDTHS[width], **cfg}

    if entity == "hall":
        add(("", t("regional.col.hall")), league["hall_name"], width="hall", pinned=True)
    add(("", t("regional.col.region")), league["region"], width="region", pinned=True)

    for key_ in SCREEN_ORDER:
        metric = METRICS[key_]
        thin = league[f"{key_}_thin"].tolist()
        status = league[f"{key_}_status"].tolist() if f"{key_}_status" in league else [None] * len(league)
        value_css = [
            f"color: {GREYED}"
            if is_thin
            else (f"background-color: {_tint(STATUS_COLORS[s])}" if isinstance(s, str) else "")
            for is_thin, s in zip(thin, status)
        ]
        help_lines = [t(f"metric_help.{key_}")]
        if key_ == "service_level":
            rule = run("service_level_definition").iloc[0]
            help_lines.append(service_level_definition(rule["rule"], rule["short_abandon_s"]))
        if metric.target and entity == "hall":
            help_lines.append(t("regional.help.target"))
        add(
            (metric.label, metric.unit),
            league[key_],
            lambda v, m=metric: _plain(m, v),
            value_css,
            help="\n\n".join(help_lines),
        )
        if "rank" in details and f"{key_}_rank" in league:
            help_key = "regional.help.rank_shrunk" if metric.rating else "regional.help.rank"
            add(
                (metric.label, "#"),
                league[f"{key_}_rank"],
                lambda v: formatting.MISSING if _missing(v) else str(int(v)),
                width="#",
                help=t(help_key, min_n=formatting.number(min_n), m=formatting.number(regional.PRIOR_WEIGHT)),
            )
        if "change" in details and f"{key_}_change" in league:
            change_css = []
            for is_thin, delta in zip(thin, league[f"{key_}_change"]):
                if is_thin:
                    change_css.append(f"color: {GREYED}")
                elif _missing(delta) or delta == 0 or metric.higher_is_better is None:
                    change_css.append("")
                else:
                    good = (delta > 0) == metric.higher_is_better
                    change_css.append(f"color: {STATUS_COLORS['green' if good else 'red']}")
            add(
                (metric.label, "Δ"),
                league[f"{key_}_change"],
                lambda v, m=metric: _change(m, v),
                change_css,
                width="Δ",
                help=t(
                    "regional.help.change",
                    first=formatting.day(comparison.date_from),
                    last=formatting.day(comparison.date_to),
                )
                if comparison is not None
                else None,
            )
        if "n" in details and metric.n_column:
            add(
                (metric.label, "n"),
                league[f"{key_}_n"],
                formatting.number,
                [f"color: {GREYED}" if is_thin else "" for is_thin in thin],
                width="n",
                help=t("regional.help.n", min_n=formatting.number(min_n)),
            )
    if trend is not None and trend_metric is not None:
        add(
            ("", t("regional.col.trend", metric=METRICS[trend_metric].label)),
            pd.Series(trend, dtype="object"),
            width="trend",
            chart=True,
        )

    frame = pd.DataFrame({c: data[c] for c in columns})
    frame.columns = pd.MultiIndex.from_tuples(columns)
    styler = frame.style.apply(
        lambda _: pd.DataFrame({c: css[c] for c in columns}).set_axis(frame.columns, axis=1), axis=None
    )
    styler = styler.format(shown, na_rep=formatting.MISSING)  # one call: cheap on a MultiIndex

    # Streamlit keys the settings of a column with grouped headers by position ("_pos:N"),
    # counting the (hidden) index as position 0.
    column_config = {}
    for position, col in enumerate(columns, start=1):
        cfg = config[col]
        if cfg.get("chart"):
            column_config[position] = st.column_config.LineChartColumn(
                col[1],
                help=t("regional.help.trend"),
                width=cfg["width"],
            )
        else:
            column_config[position] = st.column_config.Column(
                help=cfg.get("help"),
                pinned=cfg.get("pinned"),
                width=cfg["width"],
            )
    event = st.dataframe(  # type: ignore[call-overload]  # Streamlit takes int column positions as keys; its stub says str
        styler,
        hide_index=True,
        column_config=column_config,
        key=key,
        on_select="rerun" if entity == "hall" and HALL_PAGE else "ignore",
        selection_mode="single-row",
        placeholder=formatting.MISSING,
        height=min(35 * (len(frame) + 2) + 3, 740),  # two header rows, no empty row below
    )
    rows = event.selection.rows if entity == "hall" and HALL_PAGE else []
    return rows[0] if rows else None


def drill_down(league: pd.DataFrame, position: int | None) -> None:
    """The chosen hall's page, for the same period and purpose filter."""
    if HALL_PAGE is None:
        return
    if position is None or position >= len(league):
        st.caption(t("regional.drill.hint"))
        return
    hall = league.iloc[position]
    params = links.hall_link_like(hall["hall_id"], dict(st.query_params))
    st.page_link(
        HALL_PAGE,
        label=t("regional.drill.open", hall=md(hall["hall_name"])),
        icon=":material/storefront:",
        query_params=params,
    )


def export_buttons(league: pd.DataFrame, current: VisitFilter) -> None:
    frame = regional.export_frame(league)
    name = f"peakend_regional_{current.date_from:%Y%m%d}_{current.date_to:%Y%m%d}"
    sheet = t("regional.export.sheet")
    row = st.container(horizontal=True)
    with row:
        # callables: each file is made when its button is clicked, not on every rerun
        # (the Excel file of a large region took a tenth of the page's render)
        st.download_button(
            t("regional.export.csv"),
            lambda: regional.to_csv(frame),
            file_name=f"{name}.csv",
            mime="text/csv",
            icon=":material/download:",
            on_click="ignore",
            key="regional_csv",
        )
        st.download_button(
            t("regional.export.excel"),
            lambda: regional.to_excel(frame, league, sheet),
            file_name=f"{name}.xlsx",
            mime="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
            icon=":material/table_view:",
            on_click="ignore",
            key="regional_xlsx",
        )


def key_moments_table(table: pd.DataFrame, helps: dict[str, str]) -> None:
    """peakend.regional.key_moments.by_hall: the hall pinned on the left, a mean per moment
    (each heading's full label as its help)."""
    hall = table.columns[0]
    config = {hall: st.column_config.TextColumn(hall, pinned=True, width="medium")}
    for column in table.columns[1:]:
        config[column] = st.column_config.NumberColumn(column, format="%.2f", help=helps.get(column))
    st.dataframe(table, hide_index=True, column_config=config, placeholder="–", key="regional_moments_table")
