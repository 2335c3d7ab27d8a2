-- one row: the hourly-report rows that pass the filters, their halls and days, and each measure with the rows that report it
select
    count(*) as report_rows,
    count(distinct hall_id) as halls,
    cast(min(period_start) as date) as first_day,
    cast(max(period_start) as date) as last_day,
    period_metric('posted_wait_walkin') as posted_wait_walkin,
    period_n('posted_wait_walkin') as n_posted_wait_walkin,
    period_metric('posted_wait_appointment') as posted_wait_appointment,
    period_n('posted_wait_appointment') as n_posted_wait_appointment,
    period_metric('wait_mean') as wait_mean,
    period_n('wait_mean') as n_wait_mean,
    period_metric('arrivals') as arrivals,
    period_n('arrivals') as n_arrivals,
    period_metric('abandonment') as abandonment,
    period_n('abandonment') as n_abandonment,
from filtered_periods
