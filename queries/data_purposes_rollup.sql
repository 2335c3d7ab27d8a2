-- one row per visit purpose: its labels, its peak moment and how many visits in the user's scope have it (no filter set), from the rollups: the rows data_purposes gives
select
    p.purpose,
    p.label_zh,
    p.label_en,
    p.peak_moment,
    coalesce(v.visits, 0)::bigint as visits,
from purposes as p
left join (
    select
        purpose,
        sum(n) as visits,
    from value_rollup
    where hall_id in (select hall_id, from scoped_halls)
    group by purpose
) as v on p.purpose = v.purpose
order by p.peak_moment, p.purpose
