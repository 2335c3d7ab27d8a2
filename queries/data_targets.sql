-- one row per target row an admin edits: the network default first, then each hall in the user's scope with its own overrides (empty = the network default applies)
with target_rows as (
    -- a union: ordered outside it (DuckDB 1.5 orders a union by its output columns only)
    select
        '*' as hall_id,
        null::varchar as hall_name,
        null::varchar as region,
        t.wait_target_min,
        t.service_level_target,
        t.max_abandonment,
        t.peak_target,
        t.exit_target,
    from targets as t
    where t.hall_id = '*'
    union all
    select
        h.hall_id,
        h.hall_name,
        h.region,
        o.wait_target_min,
        o.service_level_target,
        o.max_abandonment,
        o.peak_target,
        o.exit_target,
    from scoped_halls as h
    left join targets as o on h.hall_id = o.hall_id
)

select *,
from target_rows
order by hall_id <> '*', region, hall_name
