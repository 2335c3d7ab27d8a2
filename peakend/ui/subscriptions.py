"""The hall page's mail box: the briefs and alerts of this hall the signed-in user gets by
e-mail (peakend/warehouse/subscriptions.py; sent by peakend/notify/scheduler.py)."""

from __future__ import annotations

import os
from datetime import time

import streamlit as st

from peakend.core.i18n import get_language, t
from peakend.core.safe_text import md
from peakend.ui.auth import current_user
from peakend.ui.session import database
from peakend.warehouse.ingest import settings as load_settings
from peakend.warehouse.subscriptions import (
    CHANNELS,
    KINDS,
    SubscriptionError,
    subscribe,
    subscriptions_of,
    unsubscribe,
)


def _zone() -> str:
    cur = database().cursor()
    try:
        return load_settings.read(cur).time_zone
    finally:
        cur.close()


def subscriptions_box(hall_id: str, hall_name: str) -> None:
    user = current_user()
    if user is None:
        return
    with st.expander(t("notify.box.title")):
        if not os.environ.get("PEAKEND_SMTP_HOST"):
            st.caption(t("notify.box.mail_off"))
        mine = [s for s in subscriptions_of(database(), user.username) if s.hall_id == hall_id]
        if mine:
            st.markdown(f"**{t('notify.box.mine')}**")
            for sub in mine:
                left, right = st.columns([4, 1], vertical_alignment="center")
                left.markdown(
                    t(
                        "notify.box.line",
                        kind=t(f"notify.box.kind.{sub.kind}"),
                        hall=md(hall_name),
                        send_at=sub.send_at,
                        lang="中文" if sub.lang == "zh" else "English",
                    )
                    + " · "
                    + t(f"notify.box.channel.{sub.channel}")
                )
                if right.button(t("notify.box.remove"), key=f"unsubscribe_{sub.subscription_id}"):
                    unsubscribe(database(), user, sub.subscription_id)
                    st.rerun()
        else:
            st.caption(t("notify.box.none"))
        channel = st.segmented_control(
            t("notify.box.channel_label"),
            CHANNELS,
            key="subscribe_channel",
            default="email",
            required=True,
            format_func=lambda c: t(f"notify.box.channel.{c}"),
        )
        if channel == "email" and not user.email:
            st.info(t("notify.box.no_email"))
            return
        with st.form("subscribe_form", border=False):
            kind = st.selectbox(
                t("notify.box.what"), KINDS, key="subscribe_kind", format_func=lambda k: t(f"notify.box.kind.{k}")
            )
            at = st.time_input(t("notify.box.send_at", zone=_zone()), value=time(7, 30), step=900, key="subscribe_at")
            url = None
            if channel != "email":
                url = st.text_input(
                    t("notify.box.webhook"),
                    key="subscribe_webhook",
                    placeholder="https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=…",
                )
            if st.form_submit_button(t("notify.box.save")):
                try:
                    subscribe(database(), user, kind, hall_id, at.strftime("%H:%M"), get_language(), channel, url)
                except SubscriptionError as exc:
                    st.error(md(str(exc)))
                    return
                st.rerun()
