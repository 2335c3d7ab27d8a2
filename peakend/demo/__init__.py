"""The demo network generator: a believable network of service halls, simulated.

`generate_demo(db, visits, seed, end_date, months, progress)` writes it into a database;
`python -m peakend demo` is its command line.
"""

from peakend.demo.generate import DemoSummary, generate_demo, simulate_demo

__all__ = ["DemoSummary", "generate_demo", "simulate_demo"]
