"""Headline cards (peakend.ui.cards): a change that rounds to zero is no change, shown grey
without an arrow; a real change keeps its colour and arrow."""

import pytest
from streamlit.proto.Metric_pb2 import Metric
from streamlit.testing.v1 import AppTest


def card_app(key: str, now: float, before: float, lang: str):
    from peakend.core.i18n import set_language
    from peakend.ui.cards import metric_card

    set_language(lang)
    metric_card(key, {key: now}, {key: before})


@pytest.mark.parametrize(
    "key, now, before, lang, delta, color, direction",
    [
        ("exit_mean", 4.001, 4.0, "en", "0.00", Metric.MetricColor.GRAY, Metric.MetricDirection.NONE),
        ("exit_mean", 4.2, 4.0, "en", "+0.20", Metric.MetricColor.GREEN, Metric.MetricDirection.UP),
        ("abandonment_rate", 0.1, 0.1, "en", "0.0 pp", Metric.MetricColor.GRAY, Metric.MetricDirection.NONE),
        ("abandonment_rate", 0.12, 0.1, "en", "+2.0 pp", Metric.MetricColor.RED, Metric.MetricDirection.UP),
        ("abandonment_rate", 0.12, 0.1, "zh", "+2.0 个百分点", Metric.MetricColor.RED, Metric.MetricDirection.UP),
    ],
)
def test_zero_change_is_grey_without_an_arrow(key, now, before, lang, delta, color, direction):
    at = AppTest.from_function(card_app, args=(key, now, before, lang)).run()
    [metric] = at.metric
    assert (metric.proto.delta, metric.proto.color, metric.proto.direction) == (delta, color, direction)
