-- one row: what is loaded and visible to the user (halls, regions, cities, visits, date span, last load)
select
    (select count(*), from scoped_halls) as halls,
    (select count(distinct region), from scoped_halls) as regions,
    (select count(distinct city), from scoped_halls) as cities,
    count(v.visit_id) as visits,
    cast(min(v.arrived_at) as date) as first_day,
    cast(max(v.arrived_at) as date) as last_day,
    (
        select max(loaded_at), from loads
        where status = 'loaded'
    ) as last_load_at,
from visits as v
where v.hall_id in (select hall_id, from scoped_halls)
