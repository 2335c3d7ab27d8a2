-- one row per day x city x purpose x wait (whole seconds) of wait_rollup for the cities of the user's scope (peakend.warehouse.rollups routes here only when the scope is whole cities) that passes the filters the rollups keep, with the city's region and the purpose's peak moment
select
    w.*,
    c.region,
    coalesce(p.peak_moment, 'other') as peak_moment,
from wait_rollup as w
inner join (select distinct city, region, from scoped_halls) as c on w.city = c.city
left join purposes as p on w.purpose = p.purpose
where true
    and ($date_from is null or w.day >= $date_from::date)
    and ($date_to is null or w.day <= $date_to::date)
    and ($regions is null or list_contains($regions, c.region))
    and ($cities is null or list_contains($cities, w.city))
    and ($purposes is null or list_contains($purposes, w.purpose))
    and ($peak_moments is null or list_contains($peak_moments, coalesce(p.peak_moment, 'other')))
    and ($weekdays is null or list_contains($weekdays, isodow(w.day)))
