-- one row per staff member named on a visit of the user's halls that passes the filters: the id, the roster's name (null when the roster lacks it) and the label every page shows
with staff_seen as (
    select distinct staff_id,
    from filtered_visits
    where staff_id is not null
)

select
    v.staff_id,
    s.staff_name,
    staff_label(v.staff_id, s.staff_name) as label,
from staff_seen as v
left join staff as s on v.staff_id = s.staff_id
order by v.staff_id
