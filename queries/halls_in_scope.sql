-- one row per hall the signed-in user may see, with its region, city and targets
select
    hall_id,
    hall_name,
    region,
    city,
    hall_type,
    counters,
    wait_target_min,
    service_level_target,
    max_abandonment,
    peak_target,
    exit_target,
from scoped_halls
order by region, hall_name
