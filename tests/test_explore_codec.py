"""The explore page's link: every part of a view survives the URL round trip, and bad,
stale or hostile values are dropped and named, never raised and never passed on."""

from datetime import date


from peakend.explore.logic import (
    ExploreView, FilterOptions, NONE_VALUE, parse_query_string, parse_view, query_string, view_params,
)
from peakend.core.filters import DIMENSIONS, VisitFilter
from peakend.core.metrics import METRICS

OPTIONS = FilterOptions(
    values={
        "region": ("North", "South"),
        "city": ("Guangzhou", "Harbin", "Shenyang"),
        "hall": ("H1", "H2", "H3"),
        "purpose": ("bill_payment", "data_demo", "enquiry", "phone_purchase", "plan_change"),
        "staff": ("S1", "S2", "S3", "S4", "S5"),
        "segment": ("business", "consumer"),
    },
    labels={("hall", "H1"): ("Alpha Hall · Harbin", "Alpha Hall · Harbin")},
)

EVERYTHING_SET = ExploreView(
    period="custom", date_from=date(2026, 3, 1), date_to=date(2026, 3, 8),
    filters=VisitFilter(
        regions=("North",), cities=("Harbin", "Shenyang"), halls=("H1", "H2"),
        purposes=("phone_purchase",), peak_moments=("phone_purchase", "counter_result"),
        hour_from=17, hour_to=23, weekdays=(6, 7), staff=("S2",), segments=("consumer",),
        peak_min=2, peak_max=5, exit_min=1, exit_max=4, overall_min=0, overall_max=6,
        abandoned=False, has_comment=True, comment_contains="排队 & 'queue'; --",
    ),
    group_1="region", group_2="hour", measures=("wait_median_min", "visits", "nps"),
    chart="nps", min_n=5, drill=("North", "17"), page=3, visit="V05",
)


def parse(text: str):
    return parse_query_string(text, OPTIONS)


def test_every_part_of_a_view_round_trips():
    view, dropped = parse(query_string(EVERYTHING_SET))
    assert dropped == {}
    assert view == EVERYTHING_SET


def test_default_view_round_trips_and_is_explicit_about_its_shape():
    params = view_params(ExploreView())
    assert params["period"] == ["last_30_days"]
    assert params["by"] == ["region"]
    assert params["m"] == list(ExploreView().measures)
    assert parse(query_string(ExploreView())) == (ExploreView(), {})


def test_an_empty_link_is_the_default_view():
    assert parse("") == (ExploreView(), {})


def test_the_issue_question_as_a_link():
    # "median wait of phone-purchase visits on weekends after 17:00 by region, last month"
    view, dropped = parse("period=last_month&purpose=phone_purchase&weekday=6&weekday=7"
                          "&hour_from=17&by=region&m=wait_median_min")
    assert dropped == {}
    assert view.period == "last_month"
    assert view.filters == VisitFilter(purposes=("phone_purchase",), weekdays=(6, 7), hour_from=17)
    assert view.groups == ("region",) and view.measures == ("wait_median_min",)
    assert view.visit_filter(date(2026, 3, 8)).date_from == date(2026, 2, 1)
    assert view.visit_filter(date(2026, 3, 8)).date_to == date(2026, 2, 28)


def test_hand_written_comma_lists_are_understood():
    view, dropped = parse("hall=H1,H3&weekday=6,7")
    assert dropped == {}
    assert view.filters.halls == ("H1", "H3") and view.filters.weekdays == (6, 7)


def test_stale_and_unknown_values_are_dropped_and_named():
    view, dropped = parse(
        "hall=H1&hall=H9&region=Atlantis&staff=S1&staff=S99&from=2026-02-30&to=2026-03-08"
        "&weekday=8&hour_from=25&peak_min=0&abandoned=maybe&by=colour&m=nps&m=happiness"
        "&chart=happiness&page=0&min_n=-1&period=fortnight"
    )
    assert dropped == {
        "hall": "H9", "region": "Atlantis", "staff": "S99", "from": "2026-02-30", "weekday": "8",
        "hour_from": "25", "peak_min": "0", "abandoned": "maybe", "by": "colour", "m": "happiness",
        "chart": "happiness", "page": "0", "min_n": "-1", "period": "fortnight",
    }
    # what was good is kept
    assert view.filters.halls == ("H1",) and view.filters.staff == ("S1",)
    assert view.period == "custom" and view.date_from is None and view.date_to == date(2026, 3, 8)
    assert view.measures == ("nps",)
    assert view.group_1 == "region"  # an unknown grouping falls back to the default


def test_ranges_the_wrong_way_round_are_dropped():
    view, dropped = parse("from=2026-03-08&to=2026-03-01&hour_from=18&hour_to=9&exit_min=5&exit_max=2")
    assert set(dropped) == {"from", "to", "hour_from", "hour_to", "exit_min", "exit_max"}
    assert view.period == "last_30_days"
    assert view.filters == VisitFilter()


def test_a_custom_period_needs_a_date():
    assert parse("period=custom") == (ExploreView(), {"period": "custom"})
    view, dropped = parse("period=custom&from=2026-03-02")
    assert dropped == {} and (view.period, view.date_from, view.date_to) == ("custom", date(2026, 3, 2), None)


def test_second_grouping_needs_a_different_first_one():
    assert parse("by=hall&by2=hall")[1] == {"by2": "hall"}
    assert parse("by=none&by2=hour")[1] == {"by2": "hour"}
    assert parse("by=none")[0].groups == ()


def test_a_drill_must_name_one_value_per_grouping():
    view, dropped = parse(f"by=staff&g1={NONE_VALUE}")
    assert dropped == {} and view.drill == (None,)
    assert view.drill_params() == {"drill_by_1": "staff", "drill_value_1": None,
                                   "drill_by_2": None, "drill_value_2": None}
    view, dropped = parse("by=hall&g1=H1&g2=1")
    assert view.drill is None and dropped == {"g1": "H1", "g2": "1"}


def test_every_dimension_and_measure_is_accepted():
    for dim in DIMENSIONS:
        assert parse(f"by={dim}")[0].group_1 == dim
    view, dropped = parse("&".join(f"m={key}" for key in METRICS))
    assert dropped == {} and view.measures == tuple(METRICS)


HOSTILE = [
    "' or '1'='1",
    "H1'; drop table visits; --",
    "x union select visit_id from visits",
    "H1 /* comment */",
    "H1;",
    "region) --",
]


CHECKED_PARAMS = ["region", "city", "hall", "purpose", "moment", "weekday", "staff",
                  "segment", "period", "from", "to", "hour_from", "hour_to", "peak_min",
                  "peak_max", "exit_min", "exit_max", "overall_min", "overall_max",
                  "abandoned", "comment", "by", "by2", "m", "chart", "min_n", "page"]


def test_sql_in_any_checked_url_parameter_is_dropped_and_named(subtests):
    for param in CHECKED_PARAMS:
        for payload in HOSTILE:
            with subtests.test(param=param, payload=payload):
                view, dropped = parse_view({param: [payload]}, OPTIONS)
                assert dropped == {param: payload}
                assert view == ExploreView()  # nothing of it is kept: the link opens the default view


def test_sql_in_the_free_text_parameters_stays_plain_text(subtests):
    # The comment search, the drilled group and the visit id are free text: they are kept
    # as typed and reach SQL only as bound parameters (tests/test_explore_queries.py and
    # tests/test_explore_page.py show they then match nothing).
    for payload in HOSTILE:
        with subtests.test(payload=payload):
            view, dropped = parse_view({"q": [payload], "g1": [payload], "visit": [payload]}, OPTIONS)
            assert dropped == {}
            assert view.filters.comment_contains == payload.strip()
            assert view.drill == (payload,) and view.visit == payload.strip()
            assert parse(query_string(view))[0] == view


def test_an_overlong_comment_search_is_dropped():
    view, dropped = parse("q=" + "a" * 500)
    assert view.filters.comment_contains is None and "q" in dropped
