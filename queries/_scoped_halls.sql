-- one row per hall the signed-in user may see, with its targets
select
    h.* exclude (load_id),
    t.* exclude (hall_id),
from halls as h
inner join hall_targets as t on h.hall_id = t.hall_id
where ($scope_halls is null or list_contains($scope_halls, h.hall_id))
