-- one row per day note of a hall in the user's scope on a day of the period (the period and halls filters only), oldest first
select
    n.note_id,
    n.hall_id,
    n.day,
    n.hour_from,
    n.hour_to,
    n.kind,
    n.note,
    n.leave_out,
    n.created_by,
    n.created_at,
from day_notes as n
where ($scope_halls is null or list_contains($scope_halls, n.hall_id))
    and ($date_from is null or n.day >= $date_from::date)
    and ($date_to is null or n.day <= $date_to::date)
    and ($halls is null or list_contains($halls, n.hall_id))
order by n.day, n.hour_from nulls first, n.note_id
