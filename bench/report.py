"""The bench's tables: one line per page while running, markdown at the end."""

from __future__ import annotations


def ms(seconds) -> str:
    return "–" if seconds is None else f"{seconds * 1000:,.0f}"


def s(seconds) -> str:
    return "–" if seconds is None else f"{seconds:,.2f}"


def gib(n) -> str:
    return "–" if n is None else f"{n / 2**30:,.2f} GiB"


def _best(q: dict) -> dict:
    return q.get("rollups") or q.get("raw") or {}


def page_line(q: dict, rendered: dict) -> str:
    best = _best(q)
    parts = [f"{len(best.get('default', {}).get('calls', []))} queries",
             f"cold {ms(best.get('default', {}).get('cold_s'))} ms",
             f"warm {ms(best.get('default', {}).get('warm_s'))} ms"]
    if "raw" in q and "rollups" in q:
        parts.append(f"(raw {ms(q['raw'].get('default', {}).get('warm_s'))} ms)")
    parts.append(f"render {s(rendered.get('render_s'))} s")
    if rendered.get("change_s") is not None:
        parts.append(f"filter change {s(rendered['change_s'])} s")
    if rendered.get("errors"):
        parts.append(f"ERRORS {rendered['errors'][:2]}")
    return ", ".join(parts)


def pandas_vs_duckdb(res: dict, page: str) -> tuple[float | None, float | None]:
    """Mean per interaction (the page opened, the filter changed) over the queries the
    pandas way answers: (pandas seconds, DuckDB warm seconds)."""
    pd_pages = res.get("pandas", {}).get("pages", {})
    q = _best(res.get("queries", {}).get("pages", {}).get(page, {}))
    if page not in pd_pages or not q:
        return None, None
    p_total = d_total = 0.0
    n = 0
    for which, got in pd_pages[page].items():
        if which not in q:
            continue
        n += 1
        for p_call, d_call in zip(got["calls"], q[which]["calls"]):
            if p_call["warm_s"] is not None:
                p_total += p_call["warm_s"]
                d_total += d_call["warm_s"]
    return (p_total / n, d_total / n) if n else (None, None)


def markdown(results: list[dict]) -> str:
    lines = []
    for res in results:
        m = res["machine"]
        lines.append(f"### {res['size']} visits ({res['stamp']})\n")
        lines.append(
            f"{m['nproc']} cores ({m['cpu']}), {m['mem_total_gb']} GB RAM, DuckDB {m['duckdb']}, "
            f"memory_limit {res['settings']['memory_limit']}, threads {res['settings']['threads']}, "
            f"storage {res['settings']['storage']}; load average {res['load_average_start']} -> "
            f"{res.get('load_average_end')}; database {gib(res['database']['bytes'])}\n"
        )
        queries = res.get("queries")
        if queries:
            lines.append("| page | queries | cold ms | warm ms | warm ms, one at a time | warm CPU ms | warm ms, no rollups | "
                         "warm ms after filter change | render s | re-render s (filter change) | "
                         "pandas ms / interaction | DuckDB ms, same answers | x faster |")
            lines.append("|---|---|---|---|---|---|---|---|---|---|---|---|---|")
            for page, q in queries["pages"].items():
                best = _best(q)
                r = queries["render"]["pages"][page]
                p_s, d_s = pandas_vs_duckdb(res, page)
                lines.append("| " + " | ".join([
                    page,
                    str(len(best.get("default", {}).get("calls", []))),
                    ms(best.get("default", {}).get("cold_s")),
                    ms(best.get("default", {}).get("warm_s")),
                    ms(best.get("default", {}).get("warm_one_at_a_time_s")),
                    ms(best.get("default", {}).get("warm_cpu_s")),
                    ms(q.get("raw", {}).get("default", {}).get("warm_s")) if "rollups" in q else "–",
                    ms(best.get("change", {}).get("warm_s")),
                    s(r["render_s"]),
                    s(r.get("change_s")),
                    ms(p_s), ms(d_s),
                    f"{p_s / d_s:,.0f}x" if p_s and d_s else "–",
                ]) + " |")
            lines.append("")
            lines.append(f"- app process (AppTest, every page rendered): peak RSS {gib(queries['render']['peak_rss'])}")
            peak = max((_best(q).get("peak_rss", 0) for q in queries["pages"].values()), default=None)
            lines.append(f"- query replay process: peak RSS {gib(peak)}")
        base = (res.get("baseline") or {}).get("queries")
        if base and queries:
            lines.append("")
            lines.append(f"Against the baseline ({res['baseline']['rev']}), same database, same run:\n")
            lines.append("| page | warm ms, baseline | warm ms, now | now / baseline | warm ms after filter change, "
                         "baseline | now | re-render s (filter change), baseline | now |")
            lines.append("|---|---|---|---|---|---|---|---|")
            for page, q in queries["pages"].items():
                old_q = base["pages"].get(page)
                if not old_q:
                    continue
                new, old = _best(q), _best(old_q)
                n_s, o_s = new.get("default", {}).get("warm_s"), old.get("default", {}).get("warm_s")
                r_new, r_old = queries["render"]["pages"][page], base["render"]["pages"][page]
                lines.append("| " + " | ".join([
                    page, ms(o_s), ms(n_s), f"{n_s / o_s:.2f}" if n_s and o_s else "–",
                    ms(old.get("change", {}).get("warm_s")), ms(new.get("change", {}).get("warm_s")),
                    s(r_old.get("change_s")), s(r_new.get("change_s")),
                ]) + " |")
            lines.append("")
        pandas = res.get("pandas")
        if pandas:
            if "skipped" in pandas:
                est = pandas.get("estimated_frame_bytes")
                lines.append(f"- pandas way: not run ({pandas['skipped']}; the frame would need about "
                             f"{gib(est)}, {gib(pandas.get('available_bytes'))} available)")
            else:
                agree = pandas.get("agreement", {})
                n_ok = sum(a["agree"] for a in agree.values())
                n_bad = sum(len(a["differ"]) for a in agree.values())
                n_skip = sum(a["not_compared"] for a in agree.values())
                lines.append(
                    f"- pandas way: load {s(pandas['load_s'])} s, frame {gib(pandas['frame_bytes'])}, "
                    f"peak RSS {gib(pandas['peak_rss'])}; answers agree with DuckDB's on {n_ok} queries, "
                    f"differ on {n_bad}, {n_skip} not mirrored in pandas"
                )
        b = res.get("browser")
        if b:
            if "error" in b:
                lines.append(f"- browser: {b['error']}")
            else:
                lines.append(f"- browser (real server, Chromium): server peak RSS {gib(b.get('server_peak_rss'))}")
                for page, v in b.get("pages", {}).items():
                    lines.append(f"  - {page}: first render {s(v.get('open_s'))} s, filter change "
                                 f"{s(v.get('change_s'))} s {v.get('note', '')}")
        c = res.get("concurrency")
        if c:
            lines.append("- concurrency: " + c.get("summary", str(c)))
        ld = res.get("load")
        if ld:
            lines.append("- CSV load: " + ld.get("summary", str(ld)))
        lines.append("")
    return "\n".join(lines)
