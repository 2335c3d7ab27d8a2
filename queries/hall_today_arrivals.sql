-- one row per hour of the day with arrivals today or on the usual days: arrivals today by the end of that hour (cumulative, up to $now only) and the usual arrivals by then (the mean, over the same weekday of the weeks in the filter's period before today, of each day's cumulative count)
-- the filter's period runs from some weeks before the day to the day itself ($today, the hall's local date); a usual day is one of those weekdays with at least one visit
with visits_by_hour as (
    select
        visit_date,
        arrival_hour as hour,
        part('visits') as arrivals,
    from filtered_visits
    where visit_date = $today::date
        and arrived_at <= $now
        or visit_date < $today::date
        and weekday = isodow($today::date)
    group by all
),

usual_days as (
    select count(distinct visit_date) as days,
    from visits_by_hour
    where visit_date < $today::date
),

hours as (
    select distinct hour,
    from visits_by_hour
),

by_hour as (
    select
        h.hour,
        coalesce(sum(v.arrivals) filter (where v.visit_date = $today::date), 0) as today_arrivals,
        coalesce(sum(v.arrivals) filter (where v.visit_date < $today::date), 0) as usual_total,
    from hours as h
    left join visits_by_hour as v on h.hour = v.hour
    group by all
)

select
    b.hour,
    b.today_arrivals,
    sum(b.today_arrivals) over (order by b.hour) as today_cumulative,
    b.usual_total / nullif(d.days, 0) as usual_arrivals,
    sum(b.usual_total) over (order by b.hour) / nullif(d.days, 0) as usual_cumulative,
    d.days as usual_days,
from by_hour as b
cross join usual_days as d
order by b.hour
