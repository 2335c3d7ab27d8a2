-- one row: what is loaded and visible to the user (halls, regions, cities, visits, date span, last load), from the rollups: the row dataset_summary gives
select
    (select count(*), from scoped_halls) as halls,
    (select count(distinct region), from scoped_halls) as regions,
    (select count(distinct city), from scoped_halls) as cities,
    coalesce(sum(r.visits), 0)::bigint as visits,
    min(r.first_day) as first_day,
    max(r.last_day) as last_day,
    (
        select max(loaded_at), from loads
        where status = 'loaded'
    ) as last_load_at,
from hall_rollup as r
where r.hall_id in (select hall_id, from scoped_halls)
