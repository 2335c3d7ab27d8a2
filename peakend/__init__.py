"""PeakEnd: the queue, the peak moment and the exit moment of every visit to a service hall."""

__version__ = "0.1.0"
