-- one row per day x city x purpose of city_rollup for the cities of the user's scope (peakend.warehouse.rollups routes here only when the scope is whole cities) that passes the filters the rollups keep, with the city's region and the purpose's peak moment
select
    r.*,
    c.region,
    coalesce(p.peak_moment, 'other') as peak_moment,
from city_rollup as r
inner join (select distinct city, region, from scoped_halls) as c on r.city = c.city
left join purposes as p on r.purpose = p.purpose
where true
    and ($date_from is null or r.day >= $date_from::date)
    and ($date_to is null or r.day <= $date_to::date)
    and ($regions is null or list_contains($regions, c.region))
    and ($cities is null or list_contains($cities, r.city))
    and ($purposes is null or list_contains($purposes, r.purpose))
    and ($peak_moments is null or list_contains($peak_moments, coalesce(p.peak_moment, 'other')))
    and ($weekdays is null or list_contains($weekdays, isodow(r.day)))
