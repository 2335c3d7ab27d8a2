-- one row per day that has hourly-report rows passing the filters: each measure and the rows that report it
select
    period_date,
    period_measures('all'),  -- noqa: AL03
from filtered_periods
group by period_date
order by period_date
