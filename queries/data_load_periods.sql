-- one row: the hourly-report rows of load $load_id in the user's scope, their halls, and their first and last day
select
    count(*) as report_rows,
    count(distinct p.hall_id) as halls,
    cast(min(p.period_start) as date) as first_day,
    cast(max(p.period_start) as date) as last_day,
from hall_periods as p
inner join scoped_halls as h on p.hall_id = h.hall_id
where p.load_id = $load_id
