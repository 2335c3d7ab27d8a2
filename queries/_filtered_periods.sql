-- one row per hourly-report row (hall x period) in the user's scope that passes the page's filters, with its hall
select
    p.* exclude (load_id),
    h.hall_name,
    h.region,
    h.city,
    cast(p.period_start as date) as period_date,
    hour(p.period_start) as period_hour,
    isodow(p.period_start) as weekday,
from hall_periods as p
inner join scoped_halls as h on p.hall_id = h.hall_id
where true
    and ($date_from is null or p.period_start >= $date_from::date)
    and ($date_to is null or p.period_start < $date_to::date + interval 1 day)
    and ($regions is null or list_contains($regions, h.region))
    and ($cities is null or list_contains($cities, h.city))
    and ($halls is null or list_contains($halls, p.hall_id))
    and ($hour_from is null or hour(p.period_start) >= $hour_from)
    and ($hour_to is null or hour(p.period_start) <= $hour_to)
    and ($weekdays is null or list_contains($weekdays, isodow(p.period_start)))
