-- one row per day that has hourly-report rows passing the filters: each measure and the rows that report it
select
    period_date,
    period_metric('posted_wait_walkin') as posted_wait_walkin,
    period_n('posted_wait_walkin') as n_posted_wait_walkin,
    period_metric('posted_wait_appointment') as posted_wait_appointment,
    period_n('posted_wait_appointment') as n_posted_wait_appointment,
    period_metric('wait_mean') as wait_mean,
    period_n('wait_mean') as n_wait_mean,
    period_metric('wait_max') as wait_max,
    period_n('wait_max') as n_wait_max,
    period_metric('service_mean') as service_mean,
    period_n('service_mean') as n_service_mean,
    period_metric('arrivals') as arrivals,
    period_n('arrivals') as n_arrivals,
    period_metric('abandonment') as abandonment,
    period_n('abandonment') as n_abandonment,
from filtered_periods
group by period_date
order by period_date
