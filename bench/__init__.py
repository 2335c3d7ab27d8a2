"""PeakEnd benchmarks (not tests): `python -m bench --help`.

Databases of 1M, 10M and 100M visits (bench.scale), each page's named queries cold and
warm (bench.pages, bench.worker), full page renders, the app's memory, a 10M-row CSV load,
the same answers the pandas way (bench.pandas_way), and 20 sessions during a load
(bench.concurrency). Results go to bench/results/.
"""
