-- one row per hall the signed-in user may see, with its region, city, targets and the first and last day of its visits (null: none yet)
select
    h.hall_id,
    h.hall_name,
    h.region,
    h.city,
    h.hall_type,
    h.counters,
    h.wait_target_min,
    h.service_level_target,
    h.max_abandonment,
    h.peak_target,
    h.exit_target,
    r.first_day,
    r.last_day,
from scoped_halls as h
-- hall_rollup is written in the same transaction as every load and undo (peakend/warehouse/rollups.py)
left join hall_rollup as r on h.hall_id = r.hall_id
-- halls with visits first: a picker opens on one that has some (a hall with hourly reports only comes after)
order by r.last_day is null, h.region, h.hall_name
