-- one row per hall: the targets it is held to (its own override, else the network default) and the service-level definition in force
select
    h.hall_id,
    coalesce(o.wait_target_min, d.wait_target_min) as wait_target_min,
    coalesce(o.wait_target_min, d.wait_target_min) * 60 as wait_target_s,
    coalesce(o.service_level_target, d.service_level_target) as service_level_target,
    coalesce(o.max_abandonment, d.max_abandonment) as max_abandonment,
    coalesce(o.peak_target, d.peak_target) as peak_target,
    coalesce(o.exit_target, d.exit_target) as exit_target,
    r.sl_rule,
    r.sl_short_abandon_s,
from halls as h
cross join (
    select *, from targets
    where hall_id = '*'
) as d
cross join service_level_setting as r
left join targets as o on h.hall_id = o.hall_id
