-- one row per hall x day x purpose of visit_rollup in the user's scope that passes the filters the rollups keep (period, region, city, hall, purpose, peak moment, weekday), with its hall's region and city and the purpose's peak moment
select
    r.*,
    h.region,
    h.city,
    coalesce(p.peak_moment, 'other') as peak_moment,
from visit_rollup as r
inner join scoped_halls as h on r.hall_id = h.hall_id
left join purposes as p on r.purpose = p.purpose
where true
    and ($date_from is null or r.day >= $date_from::date)
    and ($date_to is null or r.day <= $date_to::date)
    and ($regions is null or list_contains($regions, h.region))
    and ($cities is null or list_contains($cities, h.city))
    and ($halls is null or list_contains($halls, r.hall_id))
    and ($purposes is null or list_contains($purposes, r.purpose))
    and ($peak_moments is null or list_contains($peak_moments, coalesce(p.peak_moment, 'other')))
    and ($weekdays is null or list_contains($weekdays, isodow(r.day)))
