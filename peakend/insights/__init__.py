"""Peak-end insights: the statistics behind "what to fix first and how many counters each
hour needs".

Each module takes the small summaries the named queries return (means, covariances, sums
per bin) and does its arithmetic in plain numpy/scipy, so a network of any size costs the
same here; the heavy lifting stays in DuckDB. Streamlit only in widgets.py and
attention_widgets.py (.importlinter).

- peak_end:   does the overall score follow the peak and the exit more than the time spent?
- moments:    the ranked to-do list (expected gain if a moment reached the benchmark)
- tolerance:  the wait at which the peak score falls off (segmented regression)
- erlang:     Erlang C (M/M/c) for counters needed; simulation: the same queue simulated
- staffing:   the per-hour what-if table of a hall and weekday
- attention:  halls that missed a target in the last 7 days, with the kind of problem
- text:       the sentences the page says about them
- charts:     the page's figures; widgets: its Streamlit sections; attention_widgets: the
              home page's "Needs attention" section
"""
