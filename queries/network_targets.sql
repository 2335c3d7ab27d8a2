-- one row: the network-default targets every hall is held to unless it has its own
select
    wait_target_min,
    service_level_target,
    max_abandonment,
    peak_target,
    exit_target,
from targets
where hall_id = '*'
