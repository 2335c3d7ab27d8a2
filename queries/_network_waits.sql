-- one row per day x wait of network_wait_rollup (the whole network's waits), for a user who sees every hall, that passes the period filters (peakend.warehouse.rollups routes here only when nothing else is filtered)
select
    day,
    wait_s,
    n,
from network_wait_rollup
where $scope_halls is null
    and ($date_from is null or day >= $date_from::date)
    and ($date_to is null or day <= $date_to::date)
    and ($weekdays is null or list_contains($weekdays, isodow(day)))
