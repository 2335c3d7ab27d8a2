-- one row per hall with hourly-report rows passing the filters: each measure and the rows that report it, and whether the hall has visit logs too
with by_hall as (
    select
        hall_id,
        any_value(hall_name) as hall_name,
        any_value(region) as region,
        any_value(city) as city,
        count(*) as report_rows,
        period_measures('all'),  -- noqa: AL03
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
