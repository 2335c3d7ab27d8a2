-- one row per hall x purpose x staff member x segment of value_rollup in the user's scope (no filter set): the purposes, staff members and segments the raw values hold; each is taken on its own downstream (staff ids are per hall, so distinct combinations would run to millions at network scale)
select
    purpose,
    staff_id,
    segment,
from value_rollup
where hall_id in (select hall_id, from scoped_halls)
