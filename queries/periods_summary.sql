-- one row: the hourly-report rows that pass the filters, their halls and days, and each measure with the rows that report it
select
    count(*) as report_rows,
    count(distinct hall_id) as halls,
    cast(min(period_start) as date) as first_day,
    cast(max(period_start) as date) as last_day,
    period_measures('all'),  -- noqa: AL03
from filtered_periods
