"""The explore page's controls and their link: widgets are seeded from the URL (parsed by
peakend.explore.logic.parse_view), and the view they describe is written back to the URL after
every run, so the address bar is always a link to exactly this view."""

from __future__ import annotations

import functools
from datetime import date
from typing import Any

import pandas as pd
import streamlit as st

from peakend.core import formatting, links
from peakend.core.filters import DIMENSIONS, VisitFilter
from peakend.core.i18n import get_language, t
from peakend.core.metrics import METRICS
from peakend.core.moments import ALL_PEAK_MOMENTS, moment_label
from peakend.core.safe_text import md
from peakend.explore import export as explore_export
from peakend.explore import saved_views as explore_views
from peakend.explore.logic import (
    ALL_TIME,
    CUSTOM,
    PAGE_SIZE,
    PARAM_NAMES,
    PERIODS,
    WEEKDAYS,
    ExploreView,
    FilterOptions,
    ResultTable,
    dimension_label,
    drill_total,
    group_key_label,
    group_rows,
    parse_query_string,
    parse_view,
    query_string,
    style_result,
    view_params,
)
from peakend.ui.answers import run
from peakend.ui.session import database

# widget key -> (VisitFilter field) for the list filters
LIST_KEYS = {
    "xp_region": ("regions", "region"),
    "xp_city": ("cities", "city"),
    "xp_hall": ("halls", "hall"),
    "xp_purpose": ("purposes", "purpose"),
    "xp_moment": ("peak_moments", None),
    "xp_weekday": ("weekdays", None),
    "xp_staff": ("staff", "staff"),
    "xp_segment": ("segments", "segment"),
}
# widget key -> (low field, high field, full range)
RANGE_KEYS = {
    "xp_hours": ("hour_from", "hour_to", (0, 23)),
    "xp_peak": ("peak_min", "peak_max", (1, 5)),
    "xp_exit": ("exit_min", "exit_max", (1, 5)),
    "xp_overall": ("overall_min", "overall_max", (0, 10)),
}
FLAG_KEYS = {"xp_abandoned": "abandoned", "xp_comment": "has_comment"}
FLAG_CHOICES = ("all", "yes", "no")
_DROPPED = "xp_dropped"
_TABLE_ROUND = "xp_table_round"  # bumped to clear the result table's selection


def filter_options() -> FilterOptions:
    return FilterOptions.from_frame(run("explore_filter_options", VisitFilter()))


def _widget_values(view: ExploreView) -> dict:
    f = view.filters
    values: dict = {
        "xp_period": view.period,
        "xp_range": (view.date_from, view.date_to) if view.period == CUSTOM else None,
        "xp_q": f.comment_contains or "",
        "xp_by": view.group_1 or "none",
        "xp_by2": view.group_2 or "none",
        "xp_m": list(view.measures),
        "xp_chart": view.chart_measure,
        "xp_min_n": view.min_n,
        "xp_drill": view.drill,
        "xp_page": view.page,
        "xp_visit": view.visit,
    }
    for key, (attr, _source) in LIST_KEYS.items():
        values[key] = list(getattr(f, attr) or [])
    for key, (low, high, full) in RANGE_KEYS.items():
        lo, hi = getattr(f, low), getattr(f, high)
        values[key] = (full[0] if lo is None else lo, full[1] if hi is None else hi)
    for key, attr in FLAG_KEYS.items():
        value = getattr(f, attr)
        values[key] = "all" if value is None else ("yes" if value else "no")
    return values


def seed(view: ExploreView, force: bool = False) -> None:
    """Give every control its value from `view` (only those the session lacks, unless force)."""
    for key, value in _widget_values(view).items():
        if key == "xp_range" and value is None:
            if force:
                st.session_state.pop(key, None)
            continue
        if force or key not in st.session_state:
            st.session_state[key] = value


def url_params() -> dict[str, list[str]]:
    return {name: st.query_params.get_all(name) for name in st.query_params}


def load_from_url(options: FilterOptions) -> None:
    """Seed the controls from the link (bad values are noted, never raised)."""
    view, dropped = parse_view(url_params(), options)
    seed(view)
    if dropped:
        st.session_state[_DROPPED] = (dropped, None)  # the view is pinned when first shown


def open_saved(text: str, options: FilterOptions) -> None:
    view, dropped = parse_query_string(text, options)
    seed(view, force=True)
    st.session_state[_TABLE_ROUND] = st.session_state.get(_TABLE_ROUND, 0) + 1
    st.session_state[_DROPPED] = (dropped, None) if dropped else None


def reset() -> None:
    seed(ExploreView(), force=True)
    st.session_state[_TABLE_ROUND] = st.session_state.get(_TABLE_ROUND, 0) + 1


def show_dropped(view: ExploreView) -> None:
    """Name the link values that were ignored, until the user changes the view."""
    stored = st.session_state.get(_DROPPED)
    if not stored:
        return
    dropped, for_view = stored
    if for_view is None:
        st.session_state[_DROPPED] = (dropped, query_string(view))
    elif for_view != query_string(view):
        st.session_state[_DROPPED] = None
        return
    for name, raw in dropped.items():
        st.warning(t("controls.url_dropped", name=md(name), value=md(raw)), icon=":material/link_off:")


# -- controls -----------------------------------------------------------------------------


def filter_controls(options: FilterOptions, first_day: date, last_day: date) -> None:
    """Every filter of VisitFilter, in the sidebar."""
    language = get_language()
    st.header(t("explore.filters"))
    st.button(t("explore.reset"), on_click=reset, icon=":material/restart_alt:", key="xp_reset")
    period = st.selectbox(
        t("controls.period"),
        PERIODS,
        key="xp_period",
        format_func=lambda p: t("explore.all_time") if p == ALL_TIME else t(f"period.{p}"),
    )
    if period == CUSTOM:
        picked = tuple(st.session_state.get("xp_range") or ())
        if not picked:
            st.session_state["xp_range"] = (max(first_day, last_day.replace(day=1)), last_day)
        elif None in picked:  # a link with one open end: the data's first or last day closes it
            st.session_state["xp_range"] = (picked[0] or first_day, picked[-1] or last_day)
        st.date_input(t("controls.custom_range"), key="xp_range", format="YYYY-MM-DD")
    hall_names = lambda v: options.label("hall", v, language)  # noqa: E731
    purpose_names = lambda v: options.label("purpose", v, language)  # noqa: E731
    st.multiselect(t("explore.dim.region"), options.valid("region"), key="xp_region", placeholder=t("explore.any"))
    st.multiselect(t("explore.dim.city"), options.valid("city"), key="xp_city", placeholder=t("explore.any"))
    st.multiselect(
        t("explore.dim.hall"),
        options.valid("hall"),
        key="xp_hall",
        placeholder=t("explore.any"),
        format_func=hall_names,
    )
    st.multiselect(
        t("explore.dim.purpose"),
        options.valid("purpose"),
        key="xp_purpose",
        placeholder=t("explore.any"),
        format_func=purpose_names,
    )
    st.multiselect(
        t("explore.dim.peak_moment"),
        ALL_PEAK_MOMENTS,
        key="xp_moment",
        placeholder=t("explore.any"),
        format_func=lambda m: t(f"explore.moment.{m}"),
    )
    st.slider(t("explore.hours"), 0, 23, key="xp_hours", help=t("explore.hours_help"))
    st.pills(
        t("explore.dim.weekday"),
        WEEKDAYS,
        key="xp_weekday",
        selection_mode="multi",
        format_func=lambda d: t(f"explore.weekday_short.{d}"),
    )
    st.multiselect(
        t("explore.dim.staff"),
        options.valid("staff"),
        key="xp_staff",
        placeholder=t("explore.any"),
        format_func=lambda s: options.label("staff", s, language),
    )
    st.multiselect(t("explore.dim.segment"), options.valid("segment"), key="xp_segment", placeholder=t("explore.any"))
    st.slider(t("explore.peak_range"), 1, 5, key="xp_peak", help=t("explore.score_range_help"))
    st.slider(t("explore.exit_range"), 1, 5, key="xp_exit", help=t("explore.score_range_help"))
    st.slider(t("explore.overall_range"), 0, 10, key="xp_overall", help=t("explore.score_range_help"))
    st.radio(
        t("explore.abandoned"),
        FLAG_CHOICES,
        key="xp_abandoned",
        horizontal=True,
        format_func=lambda c: t(f"explore.abandoned_{c}"),
    )
    st.radio(
        t("explore.has_comment"),
        FLAG_CHOICES,
        key="xp_comment",
        horizontal=True,
        format_func=lambda c: t(f"explore.comment_{c}"),
    )
    st.text_input(
        t("explore.comment_contains"), key="xp_q", max_chars=200, placeholder=t("explore.comment_placeholder")
    )


def group_controls() -> None:
    dims = ["none", *DIMENSIONS]
    label = lambda d: t("explore.no_grouping") if d == "none" else dimension_label(d)  # noqa: E731
    by_col, by2_col, m_col, n_col = st.columns([2, 2, 6, 2])
    with by_col:
        st.selectbox(t("explore.group_by"), dims, key="xp_by", format_func=label)
    if st.session_state.get("xp_by") in (None, "none") or st.session_state.get("xp_by2") == st.session_state.get(
        "xp_by"
    ):
        st.session_state["xp_by2"] = "none"
    with by2_col:
        st.selectbox(
            t("explore.then_by"),
            dims,
            key="xp_by2",
            format_func=label,
            disabled=st.session_state.get("xp_by") in (None, "none"),
        )
    with m_col:
        st.multiselect(
            t("explore.measures"),
            list(METRICS),
            key="xp_m",
            format_func=lambda k: METRICS[k].label,
            placeholder=t("explore.measures_placeholder"),
        )
    with n_col:
        st.number_input(
            t("explore.min_n"), min_value=0, max_value=100_000, step=5, key="xp_min_n", help=t("explore.min_n_help")
        )


def chart_measure_picker(view: ExploreView) -> None:
    column, _rest = st.columns([1, 2])
    with column:
        st.selectbox(t("explore.chart_measure"), view.measures, key="xp_chart", format_func=lambda k: METRICS[k].label)


def current_view() -> ExploreView:
    """The view the controls describe now."""
    s = st.session_state
    period = s.get("xp_period", ExploreView.period)
    date_from = date_to = None
    if period == CUSTOM:
        picked = tuple(s.get("xp_range") or ())
        date_from = picked[0] if len(picked) >= 1 else None
        date_to = picked[1] if len(picked) >= 2 else date_from  # only the first day clicked so far
    values: dict = {}
    for key, (attr, _source) in LIST_KEYS.items():
        values[attr] = tuple(s.get(key) or ()) or None
    for key, (low, high, full) in RANGE_KEYS.items():
        lo, hi = s.get(key, full)
        values[low] = None if lo == full[0] else lo
        values[high] = None if hi == full[1] else hi
    for key, attr in FLAG_KEYS.items():
        choice = s.get(key, "all")
        values[attr] = None if choice == "all" else choice == "yes"
    values["comment_contains"] = (s.get("xp_q") or "").strip() or None
    measures = tuple(s.get("xp_m") or ()) or ExploreView.measures
    group_1 = None if s.get("xp_by", "none") == "none" else s["xp_by"]
    group_2 = None if group_1 is None or s.get("xp_by2", "none") == "none" else s["xp_by2"]
    drill = s.get("xp_drill")
    if drill is not None and len(drill) != len([g for g in (group_1, group_2) if g]):
        drill = None
    return ExploreView(
        period=period,
        date_from=date_from,
        date_to=date_to,
        filters=VisitFilter(**values),
        group_1=group_1,
        group_2=group_2,
        measures=measures,
        chart=s.get("xp_chart") if s.get("xp_chart") in measures else None,
        min_n=int(s.get("xp_min_n", ExploreView.min_n)),
        drill=drill,
        page=int(s.get("xp_page", 1)),
        visit=s.get("xp_visit"),
    )


def publish(view: ExploreView) -> None:
    """Write the view to the URL (only the names that changed; other names, e.g. lang, stay)."""
    wanted = view_params(view)
    for name in PARAM_NAMES:
        have = st.query_params.get_all(name) if name in st.query_params else []
        want = wanted.get(name, [])
        if have == want:
            continue
        if want:
            st.query_params[name] = want if len(want) > 1 else want[0]
        else:
            del st.query_params[name]


def reset_list_when_changed(view: ExploreView, last_day: date) -> None:
    """A new filter or group starts the visit list on its first page, with no visit open."""
    signature = (view.visit_filter(last_day), view.groups, view.drill)
    before = st.session_state.get("xp_list_of")
    if before is not None and before != signature:
        st.session_state["xp_page"] = 1
        st.session_state["xp_visit"] = None
    st.session_state["xp_list_of"] = signature


# -- the result, the visits, the journey ----------------------------------------------------


def result_table_key() -> str:
    return f"xp_result_{st.session_state.get(_TABLE_ROUND, 0)}"


def _on_result_select(key: str, groups: list[tuple]) -> None:
    rows = st.session_state[key].selection.rows
    st.session_state["xp_drill"] = groups[rows[0]] if rows else None
    st.session_state["xp_page"] = 1
    st.session_state["xp_visit"] = None


def _column_formats(result: ResultTable) -> dict:
    """Number formats for a result too big to style cell by cell."""
    minutes = t("unit.minutes")
    spec = {"count": "localized", "minutes": f"%.1f {minutes}", "share": "percent", "score": "%.2f", "points": "%+.0f"}
    return {column: st.column_config.NumberColumn(column, format=spec[kind]) for column, kind in result.kinds.items()}


def result_dataframe(result: ResultTable, view: ExploreView, results: pd.DataFrame) -> None:
    groups = group_rows(results, view)
    key = result_table_key()
    selected = [groups.index(tuple(view.drill))] if view.drill is not None and tuple(view.drill) in groups else []
    if result.styled:
        data, config = style_result(result), None
    else:
        data, config = result.table, _column_formats(result)
    st.dataframe(
        data,
        hide_index=True,
        key=key,
        on_select=functools.partial(_on_result_select, key, groups),
        selection_mode="single-row",
        selection_default={"selection": {"rows": selected}},
        column_config=config,
        placeholder="–",
    )
    if result.styled:
        st.caption(t("explore.table_help", min_n=formatting.number(view.min_n)))
    else:
        st.caption(t("explore.table_help_large", rows=formatting.number(len(result.table))))


def settle(view: ExploreView, results: pd.DataFrame, filters: VisitFilter, options: FilterOptions, notes):
    """Drop a chosen group or an open visit the current filters no longer hold (with a note
    in `notes`); return the view, the number of visits listed and the open visit's row."""
    total = drill_total(results, view)
    if total is None:
        assert view.drill is not None  # no total only for a chosen group the result lost
        notes.warning(t("explore.group_gone", group=md(group_key_label(view, view.drill, options, get_language()))))
        clear_drill(keep_visit=True)  # the open visit is checked on its own below
        view = current_view()
        total = drill_total(results, view)
    visit = None
    if view.visit:
        found = run("explore_visit_journey", filters, visit_id=view.visit)
        if found.empty:
            notes.warning(t("explore.visit_gone", visit=md(view.visit)))  # from the URL
            st.session_state["xp_visit"] = None
            view = current_view()
        else:
            visit = found.iloc[0]
    # what was dropped here is not a change of the user's: keep the page and visit next run
    st.session_state["xp_list_of"] = (filters, view.groups, view.drill)
    return view, total, visit


def clear_drill(keep_visit: bool = False) -> None:
    st.session_state["xp_drill"] = None
    st.session_state["xp_page"] = 1
    if not keep_visit:
        st.session_state["xp_visit"] = None
    st.session_state[_TABLE_ROUND] = st.session_state.get(_TABLE_ROUND, 0) + 1


def drill_caption(view: ExploreView, options: FilterOptions, total: int) -> None:
    if view.drill is None:
        st.caption(t("explore.visits_all", n=formatting.number(total)))
        return
    group = md(group_key_label(view, view.drill, options, get_language()))  # a hall's or staff's name
    left, right = st.columns([5, 1])
    left.markdown(t("explore.visits_of", group=group, n=formatting.number(total)))
    right.button(t("explore.show_all_visits"), on_click=clear_drill, key="xp_clear_drill")


def _on_visit_select(key: str, visit_ids: list[str]) -> None:
    rows = st.session_state[key].selection.rows
    st.session_state["xp_visit"] = visit_ids[rows[0]] if rows else None


def visit_dataframe(table: pd.DataFrame, view: ExploreView) -> None:
    key = f"xp_visits_{abs(hash(st.session_state.get('xp_list_of'))) % 10**8}_{view.page}"
    ids = list(table["visit_id"])
    selected = [ids.index(view.visit)] if view.visit in ids else []
    minutes = t("unit.minutes")
    st.dataframe(
        table,
        hide_index=True,
        key=key,
        on_select=functools.partial(_on_visit_select, key, ids),
        selection_mode="single-row",
        selection_default={"selection": {"rows": selected}},
        placeholder="–",
        column_config={
            "visit_id": st.column_config.TextColumn(t("explore.col.visit_id")),
            "arrived_at": st.column_config.DatetimeColumn(t("explore.col.arrived_at"), format="YYYY-MM-DD HH:mm"),
            "hall": st.column_config.TextColumn(t("explore.dim.hall")),
            "purpose": st.column_config.TextColumn(t("explore.dim.purpose")),
            "staff": st.column_config.TextColumn(t("explore.dim.staff")),
            "abandoned": st.column_config.CheckboxColumn(t("explore.col.abandoned")),
            "wait_min": st.column_config.NumberColumn(f"{t('explore.col.wait')} ({minutes})", format="%.1f"),
            "peak_score": st.column_config.NumberColumn(t("explore.col.peak_score"), format="%d"),
            "exit_score": st.column_config.NumberColumn(t("explore.col.exit_score"), format="%d"),
            "overall_score": st.column_config.NumberColumn(t("explore.col.overall_score"), format="%d"),
            "exit_comment": st.column_config.TextColumn(t("explore.col.exit_comment"), width="large"),
        },
    )


def page_picker(view: ExploreView, pages: int, total: int) -> int:
    if st.session_state.get("xp_page", 1) > pages:
        st.session_state["xp_page"] = pages
    left, right = st.columns([1, 4])
    with left:
        page = st.number_input(
            t("explore.page", pages=formatting.number(pages)), min_value=1, max_value=pages, step=1, key="xp_page"
        )
    first = (page - 1) * PAGE_SIZE + 1 if total else 0
    right.caption(
        t(
            "explore.page_shows",
            first=formatting.number(first),
            last=formatting.number(min(page * PAGE_SIZE, total)),
            total=formatting.number(total),
        )
    )
    return int(page)


def journey(visit: pd.Series, options: FilterOptions, rated: pd.DataFrame | None = None) -> None:
    """One visit: where and why, each moment, its scores and the comment left at the door,
    then every key moment it rated (explore_visit_moments), in journey order."""
    language = get_language()
    st.markdown(
        t(
            "explore.journey_of",
            visit=md(visit["visit_id"]),
            hall=md(options.label("hall", visit["hall_id"], language)),
            purpose=md(options.label("purpose", visit["purpose"], language)),
            moment=t(f"explore.moment.{visit['peak_moment']}"),
        )
    )
    stamps = st.columns(5)
    for column, name in zip(stamps, ("arrived_at", "called_at", "service_started_at", "service_ended_at", "left_at")):
        value = visit[name]
        column.metric(t(f"explore.col.{name}"), "–" if pd.isna(value) else value.strftime("%H:%M"))
    numbers = st.columns(5)
    wait = visit["queue_min"] if visit["abandoned"] else visit["wait_min"]
    numbers[0].metric(
        t("explore.col.gave_up_after") if visit["abandoned"] else t("explore.col.wait"),
        formatting.minutes(None if pd.isna(wait) else wait),
    )
    numbers[1].metric(
        t("explore.col.service"), formatting.minutes(None if pd.isna(visit["service_min"]) else visit["service_min"])
    )
    for column, name in zip(numbers[2:], ("peak_score", "exit_score", "overall_score")):
        value = visit[name]
        column.metric(t(f"explore.col.{name}"), "–" if pd.isna(value) else formatting.number(value))
    comment = visit["exit_comment"]
    if isinstance(comment, str) and comment.strip():
        st.markdown(f"**{t('explore.col.exit_comment')}:**")
        st.text(comment)  # st.text: a customer's words are shown as written, never as Markdown
    else:
        st.caption(t("explore.no_comment"))
    if rated is not None and not rated.empty:
        st.markdown(f"**{t('explore.moments.of_visit')}**")
        st.dataframe(
            pd.DataFrame(
                {
                    "moment": [moment_label(r) for _, r in rated.iterrows()],
                    "score": [f"{int(r.score)} / {int(r.scale_max)}" for r in rated.itertuples()],
                    "comment": rated["comment"],
                }
            ),
            hide_index=True,
            placeholder="–",
            key="xp_visit_moments",
            column_config={
                "moment": st.column_config.TextColumn(t("explore.moments.col_moment"), width="medium"),
                "score": st.column_config.TextColumn(t("explore.moments.col_score"), width=70),
                "comment": st.column_config.TextColumn(t("explore.moments.col_comment"), width="large"),
            },
        )


# -- exports, link, saved views -------------------------------------------------------------


def export_buttons(label: str, write, file_stem: str, key: str, notes: dict | None = None) -> None:
    """CSV / Excel / Parquet buttons; each file is made only when its button is clicked, by
    write(format, path), on Streamlit's download thread."""
    st.markdown(f"**{label}**")
    columns = st.columns(len(explore_export.FORMATS))
    for column, fmt in zip(columns, explore_export.FORMATS):
        with column:
            st.download_button(
                t(f"explore.format.{fmt}"),
                data=explore_export.as_download(functools.partial(write, fmt), fmt),
                file_name=f"{file_stem}.{fmt}",
                mime=explore_export.MIME[fmt],
                key=f"{key}_{fmt}",
                icon=":material/download:",
                on_click="ignore",
                width="stretch",
                help=(notes or {}).get(fmt),
            )


def visit_export_notes(total: int) -> dict[str, str]:
    """What to know before clicking: Excel's row limit, and that big Excel files are slow."""
    if total > explore_export.EXCEL_MAX_ROWS:
        return {"xlsx": t("explore.excel_cap", n=formatting.number(explore_export.EXCEL_MAX_ROWS))}
    if total > explore_export.EXCEL_SLOW_ROWS:
        return {"xlsx": t("explore.excel_slow")}
    return {}


def share_link(view: ExploreView) -> str:
    return links.share_link(st.context.url or "", view_params(view))


def owner() -> str:
    """Whose saved views: the signed-in user (peakend.ui.auth), else session 'user', else anonymous."""
    user = st.session_state.get("user")
    try:
        from peakend.ui.auth import current_user
    except ImportError:  # sign-in not part of this build
        current_user = None  # type: ignore[assignment]  # an optional import: None without sign-in
    if current_user is not None:
        user = current_user() or user
    return explore_views.owner_name(user)


def _save(view_qs: str) -> None:
    name = st.session_state.get("xp_view_name", "")
    try:
        saved = explore_views.save_view(database(), owner(), name, view_qs)
    except explore_views.ViewNameError as exc:
        st.session_state["xp_view_msg"] = ("error", t(str(exc), max=explore_views.MAX_NAME))
        return
    st.session_state["xp_view_msg"] = ("success", t("explore.view_saved", name=md(saved)))
    st.session_state["xp_saved_pick"] = saved


def _open(options: FilterOptions, views: pd.DataFrame) -> None:
    name = st.session_state.get("xp_saved_pick")
    match = views[views["name"] == name]
    if match.empty:
        st.session_state["xp_view_msg"] = ("error", t("explore.view_missing", name=md(name)))
        return
    open_saved(match["query_string"].iloc[0], options)
    st.session_state["xp_view_msg"] = ("success", t("explore.view_opened", name=md(name)))


def _delete() -> None:
    name = st.session_state.get("xp_saved_pick")
    if name and explore_views.delete_view(database(), owner(), name):
        st.session_state["xp_view_msg"] = ("success", t("explore.view_deleted", name=md(name)))
        st.session_state.pop("xp_saved_pick", None)


def saved_views(view: ExploreView, options: FilterOptions) -> None:
    """Name the current view, or reopen / delete one saved before (kept per user)."""
    views = explore_views.list_views(database(), owner())
    message = st.session_state.pop("xp_view_msg", None)
    save_col, open_col = st.columns(2)
    with save_col:
        st.text_input(
            t("explore.view_name"),
            key="xp_view_name",
            max_chars=explore_views.MAX_NAME,
            placeholder=t("explore.view_name_placeholder"),
        )
        st.button(
            t("explore.save_view"),
            on_click=_save,
            args=(query_string(view),),
            icon=":material/bookmark_add:",
            key="xp_save",
        )
    with open_col:
        names = list(views["name"])
        if st.session_state.get("xp_saved_pick") not in names:
            st.session_state.pop("xp_saved_pick", None)
        first_time: dict[str, Any] = {} if "xp_saved_pick" in st.session_state else {"index": None}
        st.selectbox(
            t("explore.saved_views"),
            names,
            key="xp_saved_pick",
            **first_time,
            placeholder=t("explore.no_saved_views") if not names else t("explore.pick_view"),
        )
        left, right = st.columns(2)
        left.button(
            t("explore.open_view"),
            on_click=_open,
            args=(options, views),
            key="xp_open",
            icon=":material/bookmark:",
            disabled=not names,
        )
        right.button(
            t("explore.delete_view"), on_click=_delete, key="xp_delete", icon=":material/delete:", disabled=not names
        )
    if message:
        getattr(st, message[0])(message[1])


def key_moments_dataframe(table: pd.DataFrame) -> None:
    """peakend.explore.logic.key_moments_table: the group pinned on the left, a mean per moment."""
    first = table.columns[0]
    config = {first: st.column_config.TextColumn(first, pinned=True, width="medium")}
    for column in table.columns[1:]:
        config[column] = st.column_config.NumberColumn(column, format="%.2f")
    st.dataframe(table, hide_index=True, column_config=config, placeholder="–", key="xp_moments_table")
