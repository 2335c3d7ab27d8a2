"""What the Streamlit pages share: the database handle and language (session), the named
queries asked and cached for a page (answers), sign-in (auth, account), navigation, layout,
the period and hall controls, URL state, cards, notices and showing a chart.

A page in pages/ imports from here, from its feature's package (peakend.hall,
peakend.regional, peakend.insights, peakend.explore, peakend.data_admin: logic, charts and
widgets) and from peakend.core. This package imports no feature; .importlinter checks it.
"""

from peakend.ui import legacy_pages  # noqa: F401  (must run before any page draws)
