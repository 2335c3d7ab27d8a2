-- one row per task of a hall in the user's scope (the halls filter only): its key moment (with the catalogue's labels of it), owner with the label every page shows, start, due date, note, and who closed it when; open tasks first, newest first
select
    k.task_id,
    k.hall_id,
    k.moment,
    m.label_zh,
    m.label_en,
    k.owner_staff_id,
    staff_label(k.owner_staff_id, s.staff_name) as owner_label,
    k.starts_on,
    k.due_on,
    k.note,
    k.created_by,
    k.created_at,
    k.closed_by,
    k.closed_at,
from tasks as k
left join staff as s on k.owner_staff_id = s.staff_id
left join moments as m on k.moment = m.moment
where ($scope_halls is null or list_contains($scope_halls, k.hall_id))
    and ($halls is null or list_contains($halls, k.hall_id))
order by k.closed_at is not null, k.created_at desc, k.task_id desc
