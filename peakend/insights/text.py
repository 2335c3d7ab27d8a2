"""What the insights page says in words, in the current language, with every number
formatted for it. Each function turns one result of the statistics into sentences or a
tidy table; nothing here computes a statistic."""

from __future__ import annotations

import math

import pandas as pd

from peakend.core import formatting
from peakend.core.i18n import t
from peakend.core.metrics import METRICS
from peakend.core.moments import KEY_MOMENTS, moment_name
from peakend.core.safe_text import md
from peakend.insights import journey_check, peak_end
from peakend.insights.attention import HallAttention, Problem
from peakend.insights.moments import Benchmark, Line
from peakend.insights.tolerance import MAX_WAIT_MIN, MIN_RATINGS, ReadMoment, Tolerance, advice


# --- shared ---------------------------------------------------------------------------------
def _tidy(value, decimals: int):
    """A value that rounds to zero shown as 0, not as "-0.00"."""
    return 0.0 if value is not None and not math.isnan(value) and round(value, decimals) == 0 else value


def signed(value, decimals: int = 2) -> str:
    return formatting.points(_tidy(value, decimals), decimals)


def number(value, decimals: int = 2) -> str:
    return formatting.number(_tidy(value, decimals), decimals)


def interval(low, high, decimals: int = 2) -> str:
    return t("insights.ci", low=number(low, decimals), high=number(high, decimals))


def bracket(low, high, decimals: int = 2) -> str:
    """An interval in a table cell, whose column header already says "95% CI"."""
    return f"[{number(low, decimals)}, {number(high, decimals)}]"


def minutes(value, decimals: int = 1) -> str:
    return formatting.minutes(value, decimals)


def hour_label(hour: int) -> str:
    return f"{int(hour):02d}:00"


def weekday_name(day: int) -> str:
    return t(f"insights.weekday.{int(day)}")


# --- 1. does the peak-end rule hold? -------------------------------------------------------------
def factor_label(factor: str) -> str:
    return t(f"insights.factor.{factor}")


def rule_sentences(verdict: peak_end.Verdict, place: str) -> list[str]:
    """The verdict, then the one thing to act on, then what it was compared against, then
    what weighs how much."""
    status = verdict.status
    common = dict(place=place, n=formatting.number(verdict.n), min_n=formatting.number(peak_end.MIN_VISITS))
    if verdict.full is None:
        factor = factor_label(verdict.factor) if verdict.factor else ""
        return [t(f"insights.rule.status.{status}", factor=factor, **common)]
    e = verdict.full.effects
    out = [t(f"insights.rule.status.{status}", factor="", **common)]
    typical = dict(
        peak=signed(e["peak"].typical[0]),
        exit=signed(e["exit"].typical[0]),
        wait=signed(e["wait"].typical[0]),
        wait_sd=minutes(e["wait"].sd),
    )
    if verdict.action == "queue":
        out.append(t("insights.rule.action.queue", **typical))
    elif verdict.action == "moments":
        out.append(t("insights.rule.action.moments", **typical))
    elif verdict.action in ("peak", "exit"):
        out.append(
            t(
                "insights.rule.action.one_moment",
                moment=t(f"insights.rule.moment.{verdict.action}"),
                effect=typical[verdict.action],
            )
        )
    # the rival models are fitted together with the full one
    assert verdict.moments_model is not None and verdict.wait_model is not None and verdict.visit_model is not None
    out.append(
        t(
            "insights.rule.rivals",
            r2_moments=formatting.percent(verdict.moments_model.r2),
            r2_wait=formatting.percent(verdict.wait_model.r2),
            r2_visit=formatting.percent(verdict.visit_model.r2),
            r2_full=formatting.percent(verdict.full.r2),
        )
    )
    exit_ratio = peak_end.weight_ratio(e["exit"], e["wait"])
    peak_ratio = peak_end.weight_ratio(e["peak"], e["wait"])
    if exit_ratio is not None and peak_ratio is not None and e["wait"].coef < 0:
        out.append(
            t(
                "insights.rule.weighs",
                exit_ratio=formatting.number(exit_ratio, 1),
                peak_ratio=formatting.number(peak_ratio, 1),
                exit_sd=formatting.number(e["exit"].sd, 2),
                exit_effect=signed(e["exit"].typical[0]),
                wait_sd=minutes(e["wait"].sd),
                wait_effect=signed(e["wait"].typical[0]),
            )
        )
    elif not e["wait"].measurable:
        _, low, high = e["wait"].per_unit
        out.append(t("insights.rule.wait_unmeasurable", low=signed(low), high=signed(high)))
    else:  # a longer wait going with a higher score: say it plainly, don't compute a ratio
        out.append(t("insights.rule.wait_positive", effect=signed(e["wait"].per_unit[0])))
    return out


def journey_sentence(found: journey_check.JourneyCheck | None, visits: int) -> str:
    """Peak + end against the mean of all moments, in one sentence (visits: how many rated
    more than two moments, for the sentences that have no comparison)."""
    if found is None:
        if not visits:
            return t("insights.rule.no_third")
        return t(
            "insights.rule.journey.thin",
            n=formatting.number(visits),
            min_n=formatting.number(journey_check.MIN_VISITS),
        )
    return t(
        f"insights.rule.journey.{found.winner}",
        n=formatting.number(found.n),
        moments=formatting.number(found.mean_moments, 1),
        r_pe=formatting.number(found.r_peak_end, 2),
        r_all=formatting.number(found.r_all, 2),
        diff=signed(found.difference),
        t=formatting.number(found.t, 1),
        p=p_value(found.p) if found.p < 0.001 else f"= {p_value(found.p)}",
    )


def p_value(p: float) -> str:
    return "< 0.001" if p < 0.001 else formatting.number(p, 3)


def effects_frame(verdict: peak_end.Verdict) -> pd.DataFrame:
    """One row per factor of the peak-end model: its effect per unit and of a typical
    difference, with 95% intervals (for the chart and table)."""
    rows = []
    for _model, fit in (("peak_end", verdict.full),):
        assert fit is not None  # only a fitted verdict has effects to show
        for factor in fit.factors:
            e = fit.effects[factor]
            unit_est, unit_low, unit_high = e.per_unit
            typ, typ_low, typ_high = e.typical
            minutes_factor = factor in ("wait", "visit")
            rows.append(
                {
                    "factor": factor,
                    "label": factor_label(factor),
                    "group": "time" if minutes_factor else "moment",
                    "unit": t(f"insights.unit.{'ten_minutes' if minutes_factor else 'rating'}"),
                    "per_unit": f"{signed(unit_est, 3)} {bracket(unit_low, unit_high, 3)}",
                    "typical_difference": (
                        minutes(e.sd) if minutes_factor else t("insights.unit.points", value=formatting.number(e.sd, 2))
                    ),
                    "estimate": typ,
                    "low": typ_low,
                    "high": typ_high,
                    "typical_ci": bracket(typ_low, typ_high),
                    "typical": f"{signed(typ)} {bracket(typ_low, typ_high)}",
                    "p": p_value(e.p),
                    "n": fit.n,
                }
            )
    return pd.DataFrame(rows)


# --- 2. moments that matter --------------------------------------------------------------------
def moment_label(moment: str, name: str | None = None) -> str:
    """A key moment's name: the catalogue's `name` of a moment of the journey, the page's
    own words for the wait, the peak moments and the exit."""
    return name if name else t(f"insights.moment.{moment}")


def line_label(line: Line) -> str:
    return moment_label(line.moment, line.name)


def task_moment(task) -> str:
    """The name of a task's moment (a row of queries/hall_tasks.sql, with its catalogue labels)."""
    rated = task["moment"] not in KEY_MOMENTS and isinstance(task.get("label_en"), str)
    return moment_label(task["moment"], moment_name(task) if rated else None)


def moment_value(moment: str, value, median=None) -> str:
    if value is None:
        return formatting.MISSING
    if moment == "wait":
        text = t("insights.todo.mean_wait", value=minutes(value))
        if median is not None:
            text += t("insights.todo.median_beside", median=minutes(median))
        return text
    return formatting.score(value)


def benchmark_value(moment: str, value) -> str:
    if value is None:
        return formatting.MISSING
    return minutes(value) if moment == "wait" else formatting.score(value)


def benchmark_sentence(bench: Benchmark, hall_name: str, region: str, min_n: int, min_halls: int) -> str:
    kind = bench.kind if bench.kind == "top_quartile" or bench.slope_halls <= 1 else "targets_region"
    return t(
        f"insights.todo.benchmark.{kind}",
        slope_halls=formatting.number(bench.slope_halls),
        halls=formatting.number(bench.halls),
        region=region,
        hall=hall_name,
        min_n=formatting.number(min_n),
        min_halls=formatting.number(min_halls),
        visits=formatting.number(bench.visits),
    )


def own_bar_sentence(lines: list[Line], bench: Benchmark, min_halls: int) -> str | None:
    """Which rated moments are held to the hall's own bar, for want of enough halls rating them."""
    held = [line_label(x) for x in lines if x.moment in bench.targets_for]
    if not held:
        return None
    return t("insights.todo.benchmark.own_bar", moments=t("data.list_sep").join(held), min_halls=min_halls)


def nothing_to_rank(lines: list[Line], bench_kind: str) -> str | None:
    """What to say when the list is empty: nothing to fix, or too little data to judge."""
    if any(x.status == "gain" for x in lines):
        return None
    if any(x.status in ("at_benchmark", "uncertain") for x in lines):
        return t("insights.todo.none_targets" if bench_kind == "targets" else "insights.todo.none")
    return t("insights.todo.all_thin")


def todo_sentences(lines: list[Line], min_n: int) -> list[str]:
    """The numbered to-do list: lines with an expected gain, largest first."""
    out = []
    for rank, line in enumerate([x for x in lines if x.status == "gain"], start=1):
        assert line.gain_index is not None  # every "gain" line has one
        gi, gi_low, gi_high = line.gain_index
        key = "gain" if line.gain_nps else "gain_no_nps"
        out.append(
            t(
                f"insights.todo.line.{key}_wait" if line.moment == "wait" else f"insights.todo.line.{key}",
                rank=rank,
                moment=md(line_label(line)),
                value=moment_value(line.moment, line.value, line.median),
                benchmark=benchmark_value(line.moment, line.benchmark),
                gain_index=signed(gi),
                ci=interval(gi_low, gi_high),
                gain_nps=signed(line.gain_nps[0], 1) if line.gain_nps else "",
                nps_ci=interval(line.gain_nps[1], line.gain_nps[2], 1) if line.gain_nps else "",
                n=formatting.number(line.n),
            )
        )
    return out


def other_moment_sentences(lines: list[Line], min_n: int) -> list[str]:
    out = []
    for line in lines:
        if line.status == "gain":
            continue
        gain = line.gain_index
        key = "none" if line.status == "thin" and line.n == 0 else line.status
        out.append(
            t(
                f"insights.todo.line.{key}",
                moment=md(line_label(line)),
                value=moment_value(line.moment, line.value, line.median),
                benchmark=benchmark_value(line.moment, line.benchmark),
                n=formatting.number(line.n),
                min_n=formatting.number(min_n),
                gain_index=signed(gain[0]) if gain else "",
                ci=interval(gain[1], gain[2]) if gain else "",
            )
        )
    return out


def evidence_frame(lines: list[Line]) -> pd.DataFrame:
    """The evidence behind each line of the to-do list, one row per moment."""
    rows = []
    for line in lines:
        unit = "minute" if line.moment == "wait" else "rating"

        def slope(s, decimals):
            if s is None:
                return formatting.MISSING
            return f"{signed(s.value, decimals)} {bracket(s.low, s.high, decimals)}"

        def gain(g, decimals):
            return formatting.MISSING if g is None else f"{signed(g[0], decimals)} {bracket(g[1], g[2], decimals)}"

        rows.append(
            {
                "moment": line_label(line),
                "status": t(f"insights.todo.status.{line.status}"),
                "value": moment_value(line.moment, line.value, line.median),
                "n": line.n,
                "benchmark": benchmark_value(line.moment, line.benchmark),
                "share": line.share,
                "index_per_unit": slope(line.index_slope, 3),
                "nps_per_unit": slope(line.nps_slope, 1),
                "slope_n": line.index_slope.n if line.index_slope else None,
                "unit": t(f"insights.unit.per_{unit}"),
                "gain_index": gain(line.gain_index, 3),
                "gain_nps": gain(line.gain_nps, 1),
            }
        )
    return pd.DataFrame(rows)


def gains_frame(lines: list[Line]) -> pd.DataFrame:
    """Lines with an expected gain, for the chart: moment label, estimate and interval."""
    rows = [
        {
            "moment": line_label(x),
            "estimate": x.gain_index[0],
            "low": x.gain_index[1],
            "high": x.gain_index[2],
            "nps": x.gain_nps[0] if x.gain_nps else math.nan,
        }
        for x in lines
        if x.status == "gain" and x.gain_index is not None  # every "gain" line has one
    ]
    return pd.DataFrame(rows, columns=["moment", "estimate", "low", "high", "nps"])


# --- 3. staffing ----------------------------------------------------------------------------------
def hours_list(hours) -> str:
    sep = "、" if t("insights.list_separator") == "、" else ", "
    return sep.join(hour_label(h) for h in hours)


def staffing_sentences(
    table: pd.DataFrame, hall_name: str, weekday: int, level: float, wait_min: float, counters, basis: str = "counter"
) -> list[str]:
    if table.empty or not (table["arrivals_per_day"] > 0).any():
        return [t("insights.staffing.no_visits", hall=hall_name, weekday=weekday_name(weekday))]
    out = [
        t(
            "insights.staffing.summary",
            hall=hall_name,
            weekday=weekday_name(weekday),
            days=formatting.number(table["open_days"].max()),
            needed=formatting.number(table["needed"].sum()),
            level=formatting.percent(level, 0),
            wait=formatting.wait_target(wait_min),
            used=formatting.number(table["in_use"].sum(), 1),
        )
    ]
    out.append(t(f"insights.staffing.basis.{basis}"))
    for status in ("under", "met_under", "over", "over_missed", "unknown"):
        hours = table.loc[table["status"] == status, "hour"].tolist()
        if hours:
            out.append(
                t(
                    f"insights.staffing.{status}_hours",
                    hours=hours_list(hours),
                    level=formatting.percent(level, 0),
                    wait=formatting.wait_target(wait_min),
                )
            )
    missed = table.loc[(table["status"] == "ok") & (table["observed_service_level"] < level - 1e-9), "hour"].tolist()
    if missed:
        out.append(
            t(
                "insights.staffing.ok_missed_hours",
                hours=hours_list(missed),
                level=formatting.percent(level, 0),
                wait=formatting.wait_target(wait_min),
            )
        )
    if not (table["status"].isin(["under", "met_under", "over", "over_missed", "unknown"])).any() and not missed:
        out.append(t("insights.staffing.all_ok"))
    beyond = table.loc[table["beyond_hall"], "hour"].tolist()
    if beyond:
        out.append(t("insights.staffing.beyond_hall", counters=formatting.number(counters), hours=hours_list(beyond)))
    return out


def staffing_frame(table: pd.DataFrame) -> pd.DataFrame:
    """The per-hour table as shown: labels and statuses in the current language, service
    levels in percent."""
    return pd.DataFrame(
        {
            "hour": table["hour"].map(hour_label),
            "status": table["status"].map(lambda s: t(f"insights.staffing.status.{s}")),
            "arrivals_per_day": table["arrivals_per_day"],
            "service_min": table["handling_min"],
            "traffic": table["traffic"],
            "needed": table["needed"],
            "in_use": table["in_use"],
            "busy": table["busy"],
            "expected_level": table["expected_level"] * 100,
            "observed_service_level": table["observed_service_level"] * 100,
            "wait_median_min": table["wait_median_min"],
            "served": table["served"],
        }
    )


# --- 4. wait tolerance ----------------------------------------------------------------------------
def per_ten(value) -> str:
    return t("insights.tolerance.per_ten", value=signed(value))


def tolerance_words(read: ReadMoment) -> dict[str, str]:
    """How the section names the score it reads, the bar it holds it to and the moment."""
    if read.kind == "rated":
        name = read.name or read.code
        return dict(
            score=t("insights.tolerance.score.rated", moment=name),
            target_name=t("insights.tolerance.target_name.rated"),
            moment=name,
        )
    return dict(
        score=t(f"insights.tolerance.score.{read.kind}"),
        target_name=t(f"insights.tolerance.target_name.{read.kind}"),
        moment=t(f"insights.tolerance.moment_name.{read.kind}"),
    )


PEAK = ReadMoment("peak")


def tolerance_sentences(
    tol: Tolerance, purpose: str, target: float, wait_target: float, read: ReadMoment = PEAK
) -> list[str]:
    words = tolerance_words(read)
    common = dict(
        purpose=purpose,
        n=formatting.number(tol.ratings),
        min_n=formatting.number(MIN_RATINGS),
        score=md(words["score"]),
    )
    if tol.kind == "thin":
        return [t("insights.tolerance.kind_sentence.thin", **common)]
    out = []
    keep = advice(tol, wait_target) == "keep"  # the curve's wait is not shorter than the target
    if tol.kind == "falls_off":
        assert tol.slope_before is not None and tol.slope_after is not None  # set with the knee
        out.append(
            t(
                "insights.tolerance.kind_sentence.falls_off" + ("_keep" if keep else ""),
                knee=minutes(tol.knee),
                ci=interval(tol.knee_low, tol.knee_high, 1),
                after=per_ten(tol.slope_after[0]),
                before=per_ten(tol.slope_before[0]),
                suggested=minutes(tol.suggested, 0),
                current=formatting.wait_target(wait_target),
                **common,
            )
        )
    elif tol.kind == "early":
        assert tol.slope_before is not None and tol.slope_after is not None  # set with the knee
        out.append(
            t(
                "insights.tolerance.kind_sentence.early",
                knee=minutes(tol.knee),
                before=per_ten(tol.slope_before[0]),
                after=per_ten(tol.slope_after[0]),
                **common,
            )
        )
    elif tol.kind == "steady":
        assert tol.slope_line is not None  # every fitted tolerance has one
        out.append(
            t(
                "insights.tolerance.kind_sentence.steady",
                slope=per_ten(tol.slope_line[0]),
                ci=interval(tol.slope_line[1], tol.slope_line[2]),
                **common,
            )
        )
    else:
        assert tol.slope_line is not None  # every fitted tolerance has one
        out.append(
            t(
                "insights.tolerance.kind_sentence.flat",
                slope=per_ten(tol.slope_line[0]),
                ci=interval(tol.slope_line[1], tol.slope_line[2]),
                **common,
            )
        )
    if tol.kind != "falls_off" and tol.crossing_kind:
        crossing = tol.crossing_kind + ("_keep" if keep and tol.crossing_kind == "crosses" else "")
        out.append(
            t(
                f"insights.tolerance.crossing.{crossing}",
                target=formatting.score(target),
                target_name=words["target_name"],
                moment=md(words["moment"]),
                wait=minutes(tol.crossing),
                suggested=minutes(tol.suggested, 0) if tol.suggested else "",
                current=formatting.wait_target(wait_target),
            )
        )
    return out


def tolerance_frame(results: list[Tolerance], labels: dict[str, str], wait_target: float) -> pd.DataFrame:
    """One row per purpose: what its curve says and what it means for the wait target (a
    shorter one, or keep the current one: never a longer one). The knee column only when
    some curve has a knee: a column of dashes claims a measure it doesn't show."""
    rows = []
    for tol in results:
        label = labels.get(tol.purpose, tol.purpose)
        says = advice(tol, wait_target)
        rows.append(
            {
                "purpose": label,
                "reading": t(f"insights.tolerance.kind.{tol.kind}"),
                "ratings": tol.ratings,
                "knee": (
                    f"{minutes(tol.knee)} {bracket(tol.knee_low, tol.knee_high, 1)}"
                    if tol.knee is not None
                    else formatting.MISSING
                ),
                "suggested": (
                    minutes(tol.suggested, 0)
                    if says == "tighten"
                    else t("insights.tolerance.keep", current=formatting.wait_target(wait_target))
                    if says == "keep"
                    else formatting.MISSING
                ),
                "basis": t(f"insights.tolerance.basis.{tol.suggestion_basis}") if says else "",
                "current": formatting.wait_target(wait_target),
            }
        )
    frame = pd.DataFrame(rows)
    if not any(tol.knee is not None for tol in results):
        frame = frame.drop(columns="knee")
    return frame


def no_knee_note(results: list[Tolerance], read: ReadMoment = PEAK) -> str | None:
    """Said under the table when no curve bends (and the knee column is left out)."""
    fitted = [tol for tol in results if tol.kind != "thin"]
    if not fitted or any(tol.knee is not None for tol in results):
        return None
    return t("insights.tolerance.no_knee", target_name=tolerance_words(read)["target_name"])


def beyond_note(results: list[Tolerance]) -> str | None:
    beyond = sum(tol.ratings_beyond for tol in results)
    if not beyond:
        return None
    return t("insights.tolerance.beyond", max=formatting.number(MAX_WAIT_MIN), n=formatting.number(beyond))


# --- 5. needs attention -----------------------------------------------------------------------------
def problem_text(problem: Problem) -> str:
    metric = METRICS[problem.metric]
    text = t(
        "insights.attention.problem",
        metric=metric.label,
        value=metric.format(problem.value),
        target=metric.format(problem.target),
        n=formatting.number(problem.n),
    )
    if problem.previous is not None:
        text += t("insights.attention.was", previous=metric.format(problem.previous))
    return text


def diagnosis_text(item: HallAttention) -> str | None:
    """One reason to start with, naming the numbers it rests on."""
    if item.diagnosis is None or item.lead is None:
        return None
    cited = item.lead
    if item.diagnosis == "follows_peak":  # "fix the peak": name the peak moment furthest off
        cited = max((p for p in item.problems if p.kind == "peak"), key=lambda p: p.severity)
    metric = METRICS[cited.metric]
    lead = dict(metric=metric.label, value=metric.format(cited.value), target=metric.format(cited.target))
    if item.diagnosis == "after_counter":
        return t(
            "insights.attention.diagnosis.after_counter",
            peak=formatting.score(item.peak_held),
            n=formatting.number(item.peak_held_n),
            **lead,
        )
    return t(f"insights.attention.diagnosis.{item.diagnosis}", **lead)


def effect_sentence(e, name: str | None = None) -> str:
    """What a closed task's effect check (peakend.insights.effect.Effect) found, in one line
    (name: the task's moment as task_moment names it)."""
    moment = name or moment_label(e.moment)
    if e.verdict == "too_little":
        return t("insights.tasks.effect.too_little", moment=moment, min_n=formatting.number(30))
    decimals = 1 if e.moment == "wait" else 2
    value = minutes if e.moment == "wait" else formatting.score
    return t(
        f"insights.tasks.effect.{e.verdict}",
        moment=moment,
        before=value(e.hall_before),
        after=value(e.hall_after),
        change=signed(e.hall_change, decimals),
        peers=formatting.number(e.peers),
        peers_change=signed(e.peers_change, decimals),
        estimate=signed(e.estimate, decimals),
        ci=interval(e.low, e.high, decimals),
    )


def task_line(task) -> str:
    """One task of hall_tasks as a line (its owner and note from data, escaped for Markdown
    by the caller that renders Markdown)."""
    line = t(
        "insights.tasks.line",
        moment=task_moment(task),
        owner=task["owner_label"],
        starts=formatting.day(task["starts_on"]),
        due=formatting.day(task["due_on"]),
    )
    return f"{line} · {task['note']}" if task["note"] else line
