-- one row for the chosen hall ($hall_id, if the user may see it): the time zone its day is counted in (its own, else the network's), its opening hours and its newest data (the latest time any of its visits' events carries, in the hall's local time, and when a load last wrote a visit of it)
with newest as (
    select
        max(greatest(
            v.arrived_at,
            coalesce(v.called_at, v.arrived_at),
            coalesce(v.service_started_at, v.arrived_at),
            coalesce(v.service_ended_at, v.arrived_at),
            coalesce(v.left_at, v.arrived_at)
        )) as newest_event_at,
        max(v.load_id) as newest_load_id,
    from visits as v
    where v.hall_id = $hall_id
)

select
    h.hall_id,
    coalesce(h.time_zone, z.value) as time_zone,
    h.opens_at,
    h.closes_at,
    n.newest_event_at,
    l.loaded_at as newest_load_at,
from scoped_halls as h
cross join (
    select value,
    from meta
    where key = 'load_time_zone'
) as z
cross join newest as n
left join loads as l on n.newest_load_id = l.load_id
where h.hall_id = $hall_id
