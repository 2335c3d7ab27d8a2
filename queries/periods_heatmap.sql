-- one row per weekday x hour of the day that has hourly-report rows passing the filters, and one per hour over every weekday (weekday null): each measure and the rows that report it
select
    weekday,
    period_hour,
    period_measures('all'),  -- noqa: AL03
from filtered_periods
group by grouping sets ((weekday, period_hour), (period_hour))
order by weekday nulls first, period_hour
