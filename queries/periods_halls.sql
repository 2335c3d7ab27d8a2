-- one row per hall in the user's scope that has hourly reports: its region, city, first and last day of reports, report rows, and whether it has visit logs too
select
    h.hall_id,
    h.hall_name,
    h.region,
    h.city,
    cast(min(p.period_start) as date) as first_day,
    cast(max(p.period_start) as date) as last_day,
    count(*) as report_rows,
    min(p.period_minutes) as period_minutes_min,
    max(p.period_minutes) as period_minutes_max,
    coalesce(any_value(r.visits), 0) as visits,
from hall_periods as p
inner join scoped_halls as h on p.hall_id = h.hall_id
-- hall_rollup: the hall's visits, kept with every load (peakend/warehouse/rollups.py)
left join hall_rollup as r on p.hall_id = r.hall_id
group by h.hall_id, h.hall_name, h.region, h.city
order by h.region, h.hall_name
