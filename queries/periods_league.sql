-- one row per hall with hourly-report rows passing the filters: each measure and the rows that report it, and whether the hall has visit logs too
with by_hall as (
    select
        hall_id,
        any_value(hall_name) as hall_name,
        any_value(region) as region,
        any_value(city) as city,
        count(*) as report_rows,
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
    group by hall_id
)

select
    b.*,
    coalesce(r.visits, 0) as visits,
from by_hall as b
-- hall_rollup: the hall's visits, kept with every load (peakend/warehouse/rollups.py)
left join hall_rollup as r on b.hall_id = r.hall_id
order by b.region, b.hall_name
