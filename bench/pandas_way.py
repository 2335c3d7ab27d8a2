"""The usual way to build a Streamlit dashboard, as the baseline PeakEnd is measured against:
read the whole visits table into pandas once (joined with halls, targets and purposes),
keep it in memory, and answer every interaction by filtering with boolean masks and
aggregating with groupby.

Each function answers one named query the way queries/NAME.sql defines it, so the bench
can check both ways give the same rows (bench.compare) before comparing their time and
memory. Queries with no function here are reported as not compared, never guessed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Callable

import duckdb
import numpy as np
import pandas as pd

from peakend.core.filters import VisitFilter
from peakend.core.metric_frame import metrics_over
from peakend.core.metrics import PARTS
from peakend.core.scope import Scope

class Frames:
    """Everything a pandas dashboard keeps in memory after its cached load."""

    def __init__(self, db_path: str):
        con = duckdb.connect(db_path, read_only=True)
        try:
            visits = con.execute("select * exclude (load_id) from visits").df()
            halls = con.execute("select * exclude (load_id) from halls").df()
            targets = con.execute("select * from targets").df()
            self.purposes = con.execute("select * from purposes").df()
            self.loads = con.execute("select * from loads").df()
            self.saved_views = con.execute("select * from saved_views").df()
            sl_rule, sl_short_s = con.execute(
                "select coalesce(max(value) filter (where key = 'service_level_rule'), 'after_target'), "
                "coalesce(max(try_cast(value as double)) filter (where key = 'service_level_short_abandon_s'), 0) "
                "from meta").fetchone()
        finally:
            con.close()
        default = targets[targets["hall_id"] == "*"].iloc[0]
        own = targets[targets["hall_id"] != "*"].set_index("hall_id")
        halls = halls.set_index("hall_id")
        for col in ("wait_target_min", "service_level_target", "max_abandonment", "peak_target", "exit_target"):
            halls[col] = own[col].reindex(halls.index).fillna(default[col])
        halls["wait_target_s"] = halls["wait_target_min"] * 60
        halls["sl_rule"], halls["sl_short_abandon_s"] = sl_rule, sl_short_s  # the definition in force
        self.network_targets = default
        self.targets = targets
        self.halls = halls.reset_index()
        moment = dict(zip(self.purposes["purpose"], self.purposes["peak_moment"]))
        df = visits.merge(
            self.halls[["hall_id", "hall_name", "region", "city", "hall_type", "wait_target_s", "sl_rule",
                        "sl_short_abandon_s",
                        "service_level_target", "max_abandonment", "peak_target", "exit_target"]],
            on="hall_id", how="inner",
        )
        df["peak_moment"] = df["purpose"].map(moment).fillna("other")
        df["visit_date"] = df["arrived_at"].dt.normalize()
        df["arrival_hour"] = df["arrived_at"].dt.hour
        df["weekday"] = df["arrived_at"].dt.dayofweek + 1
        both = df["peak_score"].notna() & df["exit_score"].notna()
        df["peak_end"] = ((df["peak_score"] + df["exit_score"]) / 2.0).where(both)
        self.visits = df

    def nbytes(self) -> int:
        return int(self.visits.memory_usage(deep=True).sum())


def filtered(fr: Frames, f: VisitFilter | None, scope: Scope) -> pd.DataFrame:
    """_filtered_visits.sql with boolean masks."""
    f = f or VisitFilter()
    df = fr.visits
    m = np.ones(len(df), dtype=bool)

    def isin(col, values):
        return df[col].isin(list(values)).to_numpy()

    if scope.hall_ids is not None:
        m &= isin("hall_id", scope.hall_ids)
    if f.date_from is not None:
        m &= (df["arrived_at"] >= pd.Timestamp(f.date_from)).to_numpy()
    if f.date_to is not None:
        m &= (df["arrived_at"] < pd.Timestamp(f.date_to + timedelta(days=1))).to_numpy()
    for field, col in (("regions", "region"), ("cities", "city"), ("halls", "hall_id"),
                       ("purposes", "purpose"), ("peak_moments", "peak_moment"),
                       ("weekdays", "weekday"), ("staff", "staff_id"), ("segments", "segment")):
        values = getattr(f, field)
        if values is not None:
            m &= isin(col, values)
    if f.hour_from is not None:
        m &= (df["arrival_hour"] >= f.hour_from).to_numpy()
    if f.hour_to is not None:
        m &= (df["arrival_hour"] <= f.hour_to).to_numpy()
    for col, lo, hi in (("peak_score", f.peak_min, f.peak_max), ("exit_score", f.exit_min, f.exit_max),
                        ("overall_score", f.overall_min, f.overall_max)):
        if lo is not None:
            m &= (df[col] >= lo).fillna(False).to_numpy(dtype=bool)
        if hi is not None:
            m &= (df[col] <= hi).fillna(False).to_numpy(dtype=bool)
    if f.abandoned is not None:
        m &= (df["abandoned"] == f.abandoned).to_numpy()
    if f.has_comment is not None:
        has = df["exit_comment"].fillna("").str.strip() != ""
        m &= (has == f.has_comment).to_numpy()
    if f.comment_contains is not None:
        m &= df["exit_comment"].str.lower().str.contains(f.comment_contains.lower(), regex=False).fillna(False).to_numpy(dtype=bool)
    return df[m]


def _dimension(df: pd.DataFrame, dim: str | None) -> pd.Series:
    if dim is None:
        return pd.Series(None, index=df.index, dtype=object)
    a = df["arrived_at"]
    if dim == "day":
        return a.dt.strftime("%Y-%m-%d")
    if dim == "week":
        return (a.dt.normalize() - pd.to_timedelta(a.dt.dayofweek, unit="D")).dt.strftime("%Y-%m-%d")
    if dim == "month":
        return a.dt.strftime("%Y-%m")
    if dim == "weekday":
        return df["weekday"].astype(str)
    if dim == "hour":
        return df["arrival_hour"].astype(str).str.zfill(2)
    col = {"hall": "hall_id", "staff": "staff_id"}.get(dim, dim)
    return df[col].astype(object)


def metrics_by_group(fr, f, scope, group_1=None, group_2=None):
    """metrics_by_group from the metric definitions' pandas side (peakend.core.metric_frame)."""
    df = filtered(fr, f, scope)
    if df.empty:
        return pd.DataFrame()
    return metrics_over(df, _dimension(df, group_1), _dimension(df, group_2))


def dataset_summary(fr, f, scope):
    halls = fr.halls if scope.hall_ids is None else fr.halls[fr.halls["hall_id"].isin(list(scope.hall_ids))]
    v = fr.visits if scope.hall_ids is None else fr.visits[fr.visits["hall_id"].isin(list(scope.hall_ids))]
    loaded = fr.loads[fr.loads["status"] == "loaded"]["loaded_at"]
    return pd.DataFrame([{
        "halls": len(halls), "regions": halls["region"].nunique(), "cities": halls["city"].nunique(),
        "visits": v["visit_id"].count(),
        "first_day": v["arrived_at"].min().normalize(), "last_day": v["arrived_at"].max().normalize(),
        "last_load_at": loaded.max(),
    }])


def halls_in_scope(fr, f, scope):
    h = fr.halls if scope.hall_ids is None else fr.halls[fr.halls["hall_id"].isin(list(scope.hall_ids))]
    days = fr.visits.groupby("hall_id")["visit_date"].agg(first_day="min", last_day="max")
    h = h.join(days, on="hall_id")
    cols = ["hall_id", "hall_name", "region", "city", "hall_type", "counters", "wait_target_min",
            "service_level_target", "max_abandonment", "peak_target", "exit_target", "first_day", "last_day"]
    return h.sort_values(["region", "hall_name"])[cols].reset_index(drop=True)


def purposes_list(fr, f, scope):
    return fr.purposes.sort_values(["peak_moment", "purpose"])[["purpose", "label_zh", "label_en", "peak_moment"]].reset_index(drop=True)


def network_targets(fr, f, scope):
    cols = ["wait_target_min", "service_level_target", "max_abandonment", "peak_target", "exit_target"]
    return pd.DataFrame([fr.network_targets[cols]]).reset_index(drop=True)


def hall_wait_heatmap(fr, f, scope):
    df = filtered(fr, f, scope)
    g = df.groupby(["weekday", "arrival_hour"])
    out = pd.DataFrame({"arrivals": g.size(), "wait_n": g["wait_s"].count(), "wait_median_min": g["wait_s"].median() / 60})
    return out.reset_index().sort_values(["weekday", "arrival_hour"]).reset_index(drop=True)


def hall_wait_distribution(fr, f, scope, band_min, cap_min):
    w = filtered(fr, f, scope)["wait_s"].dropna()
    band = np.minimum(np.floor(w / 60 / band_min) * band_min, cap_min)
    out = band.value_counts().sort_index()
    return pd.DataFrame({"band_start_min": out.index.astype(float), "visits": out.to_numpy()})


def hall_arrivals_by_hour(fr, f, scope):
    df = filtered(fr, f, scope)
    days = len(df[["hall_id", "visit_date"]].drop_duplicates())
    w = df.assign(sl_num=PARTS["sl_within"].per_visit(df), sl_den=PARTS["sl_counted"].per_visit(df))
    g = w.groupby("arrival_hour")
    arrivals = pd.DataFrame({"arrivals": g.size(), "wait_n": g["wait_s"].count(),
                             "wait_median_min": g["wait_s"].median() / 60,
                             "service_level": g["sl_num"].sum() / g["sl_den"].sum().replace(0, np.nan)})
    # a serving position: the counter, or the staff member where the visit has no counter
    position = df["counter_id"].where(df["counter_id"].notna(), df["staff_id"])
    keep = position.notna() & df["service_started_at"].notna() & df["service_ended_at"].notna()
    keep &= df["service_ended_at"] >= df["service_started_at"]
    s = df[keep].assign(position=position[keep], by_counter=df.loc[keep, "counter_id"].notna())
    first = s["service_started_at"].dt.floor("h")
    last = np.maximum(first, (s["service_ended_at"] - pd.Timedelta(seconds=1)).dt.floor("h"))
    span = ((last - first) // pd.Timedelta(hours=1) + 1).to_numpy().astype(int)
    clock = pd.to_datetime(np.repeat(first.to_numpy(), span)) + pd.to_timedelta(
        np.arange(span.sum()) - np.repeat(np.cumsum(span) - span, span), unit="h")
    start = np.repeat(s["service_started_at"].to_numpy(), span)
    end = np.repeat(s["service_ended_at"].to_numpy(), span)
    hour_end = clock + pd.Timedelta(hours=1)
    busy = (np.minimum(end, hour_end.to_numpy()) - np.maximum(start, clock.to_numpy())) / np.timedelta64(1, "s")
    hours = pd.DataFrame({
        "hall_id": np.repeat(s["hall_id"].to_numpy(), span),
        "position": np.repeat(s["position"].to_numpy(), span),
        "by_counter": np.repeat(s["by_counter"].to_numpy(), span),
        "clock": clock,
        "busy_s": busy,
    })
    per = hours.groupby(["hall_id", "position", "clock"]).agg(by_counter=("by_counter", "any"),
                                                             busy_s=("busy_s", "sum")).reset_index()
    per["hour"] = per["clock"].dt.hour
    g2 = per.groupby("hour")
    counters = pd.DataFrame({"position_hours": g2.size(), "counter_hours": g2["by_counter"].sum(),
                             "staff_hours": g2.size() - g2["by_counter"].sum(), "busy_hours": g2["busy_s"].sum() / 3600})
    out = arrivals.join(counters, how="outer")
    out.index.name = "hour"
    out = out.reset_index()
    return pd.DataFrame({
        "hour": out["hour"],
        "arrivals_per_day": out["arrivals"].fillna(0) / days,
        "counters_in_use": out["position_hours"].fillna(0) / days,
        "busy_in_use": out["busy_hours"].fillna(0) / days,
        "counter_hours": out["counter_hours"].fillna(0),
        "staff_hours": out["staff_hours"].fillna(0),
        "wait_n": out["wait_n"].fillna(0),
        "wait_median_min": out["wait_median_min"],
        "service_level": out["service_level"],
        "open_days": days,
    }).sort_values("hour").reset_index(drop=True)


def _score_distribution(df, col, by=None):
    d = df[df[col].notna()]
    keys = ([by] if by else []) + [col]
    counts = d.groupby(keys).size().rename("ratings").reset_index()
    total = counts.groupby(by)["ratings"].transform("sum") if by else counts["ratings"].sum()
    counts["share"] = counts["ratings"] / total
    return counts.rename(columns={col: "score"}).sort_values(keys[:-1] + ["score"]).reset_index(drop=True)


def hall_peak_distribution(fr, f, scope):
    df = filtered(fr, f, scope)
    return _score_distribution(df[df["peak_moment"] != "other"], "peak_score", "peak_moment")


def hall_exit_distribution(fr, f, scope):
    return _score_distribution(filtered(fr, f, scope), "exit_score")


def _wait_band(wait_s, edges):
    return np.searchsorted(np.asarray(edges, dtype=float) * 60, wait_s.to_numpy(), side="right")


def hall_peak_by_wait_band(fr, f, scope, wait_band_edges):
    df = filtered(fr, f, scope)
    df = df[df["peak_score"].notna() & df["wait_s"].notna() & (df["peak_moment"] != "other")]
    g = df.assign(wait_band=_wait_band(df["wait_s"], wait_band_edges)).groupby(["peak_moment", "wait_band"])
    out = pd.DataFrame({"ratings": g.size(), "peak_mean": g["peak_score"].mean()})
    return out.reset_index().sort_values(["peak_moment", "wait_band"]).reset_index(drop=True)


def hall_journey(fr, f, scope, wait_band_edges):
    df = filtered(fr, f, scope)
    df = df[df["wait_s"].notna() & df["peak_score"].notna() & df["exit_score"].notna()]
    band = np.where(df["peak_score"] <= 2, "low", np.where(df["peak_score"] == 3, "middle", "high"))
    w = df.assign(wait_band=_wait_band(df["wait_s"], wait_band_edges), peak_band=band,
                  unhappy=(df["exit_score"] <= 2).astype(float))
    g = w.groupby(["wait_band", "peak_band"])
    out = pd.DataFrame({"visits": g.size(), "exit_mean": g["exit_score"].mean(), "exit_unhappy_share": g["unhappy"].mean()})
    return out.reset_index().sort_values(["wait_band", "peak_band"]).reset_index(drop=True)


def hall_unhappy_exits(fr, f, scope):
    df = filtered(fr, f, scope)
    u = df[df["exit_score"] <= 2]
    long_wait = (u["wait_s"] > u["wait_target_s"]).fillna(False)
    low_peak = (u["peak_score"] <= 2).fillna(False)
    return pd.DataFrame([{
        "exit_ratings": df["exit_score"].count(), "unhappy_exits": len(u),
        "after_long_wait": int((long_wait & ~low_peak).sum()), "after_low_peak": int((low_peak & ~long_wait).sum()),
        "after_both": int((long_wait & low_peak).sum()), "after_neither": int((~long_wait & ~low_peak).sum()),
    }])


def hall_exit_comments(fr, f, scope, limit):
    df = filtered(fr, f, scope)
    df = df[df["exit_comment"].fillna("").str.strip() != ""]
    labels = fr.purposes.set_index("purpose")
    out = pd.DataFrame({
        "visit_id": df["visit_id"], "commented_at": df["left_at"].fillna(df["arrived_at"]),
        "exit_score": df["exit_score"], "purpose": df["purpose"],
        "purpose_zh": df["purpose"].map(labels["label_zh"]).fillna(df["purpose"]),
        "purpose_en": df["purpose"].map(labels["label_en"]).fillna(df["purpose"]),
        "peak_moment": df["peak_moment"], "staff_id": df["staff_id"], "exit_comment": df["exit_comment"],
    }).sort_values(["commented_at", "visit_id"], ascending=[False, True])
    return (out if limit is None else out.head(limit)).reset_index(drop=True)


def regional_wait_distribution(fr, f, scope):
    df = filtered(fr, f, scope)
    df = df[df["wait_s"].notna()]
    g = df.groupby("hall_id")["wait_s"]
    first = df.groupby("hall_id")[["hall_name", "region"]].first()
    out = first.assign(
        wait_n=g.count(), wait_p10_min=g.quantile(0.1) / 60, wait_q1_min=g.quantile(0.25) / 60,
        wait_median_min=g.median() / 60, wait_q3_min=g.quantile(0.75) / 60, wait_p90_min=g.quantile(0.9) / 60,
    ).reset_index()
    return out.sort_values(["region", "hall_name"]).reset_index(drop=True)


def explore_filter_options(fr, f, scope):
    halls = halls_in_scope(fr, None, scope)
    df = filtered(fr, f, scope)
    rows = [("region", r, r, r) for r in halls["region"].unique()]
    rows += [("city", c, c, c) for c in halls["city"].unique()]
    rows += [("hall", h, f"{n} · {c}", f"{n} · {c}") for h, n, c in zip(halls["hall_id"], halls["hall_name"], halls["city"])]
    labels = fr.purposes.set_index("purpose")
    for p in sorted(set(df["purpose"].unique()) | set(fr.purposes["purpose"])):
        rows.append(("purpose", p, labels["label_en"].get(p, p), labels["label_zh"].get(p, p)))
    rows += [("staff", s, s, s) for s in df["staff_id"].dropna().unique()]
    rows += [("segment", s, s, s) for s in df["segment"].dropna().unique()]
    out = pd.DataFrame(rows, columns=["field", "value", "label_en", "label_zh"])
    return out.sort_values(["field", "label_en"]).reset_index(drop=True)


def explore_visits(fr, f, scope, drill_by_1, drill_value_1, drill_by_2, drill_value_2, limit, offset):
    df = filtered(fr, f, scope)
    for by, value in ((drill_by_1, drill_value_1), (drill_by_2, drill_value_2)):
        if by is not None:
            dim = _dimension(df, by)
            df = df[(dim == value) | (dim.isna() & (value is None))]
    df = df.sort_values(["arrived_at", "visit_id"], ascending=False)
    end = None if limit is None else offset + limit
    df = df.iloc[offset:end]
    out = df[["visit_id", "arrived_at", "hall_id", "hall_name", "region", "city", "purpose", "peak_moment",
              "staff_id", "counter_id", "segment", "abandoned"]].copy()
    out["wait_min"] = _round1(df["wait_s"] / 60)
    out["service_min"] = _round1(df["service_s"] / 60)
    for c in ("peak_score", "exit_score", "peak_end", "overall_score", "exit_comment", "called_at",
              "service_started_at", "service_ended_at", "left_at"):
        out[c] = df[c]
    return out.reset_index(drop=True)


def _round1(x: pd.Series) -> pd.Series:
    # SQL's round() takes halves away from zero, judged on the double's exact value (51 s is
    # 0.84999... min: 0.8); numpy's goes to the even neighbour, and x * 10 + 0.5 rounds first
    def one(v):
        if pd.isna(v):
            return np.nan
        return float(Decimal(float(v)).quantize(Decimal("0.1"), rounding=ROUND_HALF_UP))

    return x.map(one).astype(float)


def data_purposes(fr, f, scope):
    counts = filtered(fr, f, scope).groupby("purpose").size()
    out = fr.purposes[["purpose", "label_zh", "label_en", "peak_moment"]].copy()
    out["visits"] = out["purpose"].map(counts).fillna(0).astype("int64")
    return out.sort_values(["peak_moment", "purpose"]).reset_index(drop=True)


def data_targets(fr, f, scope):
    cols = ["wait_target_min", "service_level_target", "max_abandonment", "peak_target", "exit_target"]
    default = fr.targets[fr.targets["hall_id"] == "*"]
    first = pd.DataFrame({"hall_id": ["*"], "hall_name": [None], "region": [None],
                          **{c: default[c].to_numpy() for c in cols}})
    halls = halls_in_scope(fr, None, scope)[["hall_id", "hall_name", "region"]]
    own = fr.targets[fr.targets["hall_id"] != "*"].set_index("hall_id")[cols]
    rest = halls.join(own, on="hall_id").sort_values(["region", "hall_name"])
    return pd.concat([first, rest], ignore_index=True)


def explore_saved_views(fr, f, scope, owner):
    v = fr.saved_views[fr.saved_views["owner"] == owner]
    return v.sort_values(["saved_at", "name"], ascending=[False, True])[["name", "query_string", "saved_at"]].reset_index(drop=True)


def insights_wait_tolerance(fr, f, scope, max_wait_min, moment="peak"):
    # the visit's own peak or exit score (a ratings file's moment is not in the pandas frames)
    df = filtered(fr, f, scope)
    column = "exit_score" if moment == "exit" else "peak_score"
    df = df[~df["abandoned"] & df[column].notna() & df["wait_s"].notna()]
    w = df.assign(wait_minute=np.minimum(np.floor(df["wait_s"] / 60), max_wait_min).astype(int),
                  score=df[column].astype(float))
    g = w.groupby(["purpose", "wait_minute"])
    out = pd.DataFrame({
        "ratings": g.size(), "wait_mean_min": g["wait_s"].mean() / 60, "score_mean": g["score"].mean(),
        "score_ss": g["score"].var(ddof=0).fillna(0) * g.size(),
    })
    return out.reset_index().sort_values(["purpose", "wait_minute"]).reset_index(drop=True)


def insights_rating_covariance(fr, f, scope):
    df = filtered(fr, f, scope)
    d = df[~df["abandoned"] & df["overall_score"].notna() & df["peak_score"].notna()
           & df["exit_score"].notna() & df["wait_s"].notna() & (df["left_at"] >= df["arrived_at"])]
    x = pd.DataFrame({
        "overall": d["overall_score"].astype(float), "peak": d["peak_score"].astype(float),
        "exit": d["exit_score"].astype(float), "wait": d["wait_s"] / 60,
        "visit": (d["left_at"] - d["arrived_at"]).dt.total_seconds() / 60,
    })
    cov = x.cov()
    row = {"visits": len(x), "mean_overall": x["overall"].mean(), "mean_peak": x["peak"].mean(),
           "mean_exit": x["exit"].mean(), "mean_wait": x["wait"].mean(), "mean_visit": x["visit"].mean()}
    names = list(x.columns)
    for i, a in enumerate(names):
        for b in names[i:]:
            row[f"cov_{a}_{b}"] = cov.loc[a, b] if len(x) > 1 else np.nan
    row["first_day"] = d["visit_date"].min()
    row["last_day"] = d["visit_date"].max()
    return pd.DataFrame([row])


ANSWERS: dict[str, Callable] = {
    "metrics_by_group": metrics_by_group,
    "dataset_summary": dataset_summary,
    "halls_in_scope": halls_in_scope,
    "purposes": purposes_list,
    "network_targets": network_targets,
    "hall_wait_heatmap": hall_wait_heatmap,
    "hall_wait_distribution": hall_wait_distribution,
    "hall_arrivals_by_hour": hall_arrivals_by_hour,
    "hall_peak_distribution": hall_peak_distribution,
    "hall_exit_distribution": hall_exit_distribution,
    "hall_peak_by_wait_band": hall_peak_by_wait_band,
    "hall_journey": hall_journey,
    "hall_unhappy_exits": hall_unhappy_exits,
    "hall_exit_comments": hall_exit_comments,
    "regional_wait_distribution": regional_wait_distribution,
    "explore_filter_options": explore_filter_options,
    "explore_visits": explore_visits,
    "explore_saved_views": explore_saved_views,
    "insights_wait_tolerance": insights_wait_tolerance,
    "insights_rating_covariance": insights_rating_covariance,
    "data_purposes": data_purposes,
    "data_targets": data_targets,
}


def answer(fr: Frames, name: str, filters, scope, params) -> pd.DataFrame | None:
    """The pandas answer to one recorded call, or None when this module has no twin for it."""
    fn = ANSWERS.get(name)
    return None if fn is None else fn(fr, filters, scope, **params)
