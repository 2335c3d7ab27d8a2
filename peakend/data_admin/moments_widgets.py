"""The Data page's "Key moments" tab, as `python -m peakend moments list|add|remove`: the
catalogue in journey order, a moment added for the network, a region or a hall, and one a
data admin added removed. The study's moments can't be removed (可增加，不可减少)."""

from __future__ import annotations

import streamlit as st

from peakend.core.i18n import get_language, t
from peakend.core.moments import RULE_EN, RULE_ZH, STAGES
from peakend.core.safe_text import md
from peakend.ui.answers import run
from peakend.warehouse import moments
from peakend.warehouse.accounts import User
from peakend.warehouse.db import Database

_NOTICE = "_dm_moments_notice"
_OWNERS = ("network", "region", "hall")


def _owner_text(m: moments.Moment) -> str:
    if m.study:
        return t("data.moments.owner.study")
    if m.hall_id:
        return t("data.moments.owner.hall", hall=m.hall_id)
    if m.region:
        return t("data.moments.owner.region", region=m.region)
    return t("data.moments.owner.network")


def _table(listed: list[moments.Moment]) -> None:
    st.dataframe(
        [
            {
                "moment": m.moment,
                "label": m.label(get_language()),
                "stage": t(f"hall.stage.{m.stage}"),
                "peak": m.is_peak,
                "scale": f"{m.scale_min}–{m.scale_max}",
                "owner": _owner_text(m),
            }
            for m in listed
        ],
        hide_index=True,
        width="stretch",
        key="dm_moments_table",
        column_config={
            "moment": st.column_config.TextColumn(t("data.moments.code"), width=130),
            "label": st.column_config.TextColumn(t("data.moments.label"), width=180),
            "stage": st.column_config.TextColumn(t("data.moments.stage"), width=110),
            "peak": st.column_config.CheckboxColumn(t("data.moments.peak"), width=60),
            "scale": st.column_config.TextColumn(t("data.moments.scale"), width=60),
            "owner": st.column_config.TextColumn(t("data.moments.owner.title"), width=150),
        },
    )


def moments_section(db: Database, user: User) -> None:
    notice = st.session_state.pop(_NOTICE, None)
    if notice:
        st.success(notice)
    listed = moments.catalogue(db)
    _table(listed)

    halls = run("halls_in_scope")
    st.markdown(f"**{t('data.moments.add_title')}**")
    with st.form("dm_moment_add", clear_on_submit=False, border=True):
        code = st.text_input(t("data.moments.code"), placeholder="greeting", key="dm_moment_code")
        label_zh = st.text_input(t("data.moments.label_zh"), placeholder="迎宾", key="dm_moment_zh")
        label_en = st.text_input(t("data.moments.label_en"), placeholder="Greeting at the door", key="dm_moment_en")
        stage = st.selectbox(
            t("data.moments.stage"), STAGES, format_func=lambda s: t(f"hall.stage.{s}"), key="dm_moment_stage"
        )
        owner = st.radio(
            t("data.moments.for"),
            _OWNERS,
            format_func=lambda o: t(f"data.moments.for_{o}"),
            horizontal=True,
            key="dm_moment_owner",
        )
        region = st.selectbox(t("data.moments.region"), sorted(set(halls["region"])), key="dm_moment_region")
        hall_names = dict(zip(halls["hall_id"], halls["hall_name"], strict=True))
        hall_id = st.selectbox(
            t("data.moments.hall"),
            list(hall_names),
            format_func=lambda h: f"{hall_names[h]} · {h}",
            key="dm_moment_hall",
        )
        low, high = st.columns(2)
        scale_min = low.number_input(t("data.moments.scale_min"), 0, 9, 1, key="dm_moment_low")
        scale_max = high.number_input(t("data.moments.scale_max"), 1, 10, 5, key="dm_moment_high")
        is_peak = st.checkbox(t("data.moments.is_peak"), key="dm_moment_peak")
        submitted = st.form_submit_button(t("data.moments.add"), icon=":material/add:")
    if submitted:
        try:
            added = moments.add_moment(
                db,
                user,
                moments.NewMoment(
                    code,
                    label_zh,
                    label_en,
                    stage,
                    is_peak,
                    (int(scale_min), int(scale_max)),
                    region if owner == "region" else None,
                    hall_id if owner == "hall" else None,
                ),
            )
        except moments.MomentError as e:
            st.error(t("data.moments.refused", reason=md(str(e))))
        else:
            st.session_state[_NOTICE] = t("data.moments.added", moment=md(added.moment), owner=_owner_text(added))
            st.rerun()

    st.markdown(f"**{t('data.moments.remove_title')}**")
    # the study's are never offered: the rule, quoted, says why
    st.caption(
        t(
            "data.moments.study_kept",
            n=sum(m.study for m in listed),
            rule=RULE_ZH if get_language() == "zh" else RULE_EN,
        )
    )
    removable = [m for m in listed if not m.study]
    if not removable:
        return
    labels = {m.moment: f"{m.label(get_language())} · {m.moment} ({_owner_text(m)})" for m in removable}
    pick = st.selectbox(t("data.moments.pick"), list(labels), format_func=labels.__getitem__, key="dm_moment_pick")
    sure = st.checkbox(t("data.moments.confirm", moment=md(pick)), key=f"dm_moment_sure_{pick}")
    if st.button(
        t("data.moments.remove", moment=md(pick)), key="dm_moment_remove", disabled=not sure, icon=":material/delete:"
    ):
        try:
            moments.remove_moment(db, user, pick)
        except moments.MomentError as e:
            st.error(t("data.moments.refused", reason=md(str(e))))
        else:
            st.session_state[_NOTICE] = t("data.moments.removed", moment=md(pick))
            st.rerun()
