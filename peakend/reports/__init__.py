"""The hourly-reports page: what the second kind of data (one row per hall x period, as
queue systems and public offices publish it) supports, and a plain sentence for what it
can't (peakend.core.metrics.PeriodMetric)."""
