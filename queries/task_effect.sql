-- one row per side (the task's hall; each other hall of its region, by a number, never by id) x phase ($weeks weeks before $starts_on, $weeks weeks from it) for the task's key moment: its waits or ratings counted (n), summed (x) and summed squared (xx), from visit_rollup's moment parts (peakend.core.metrics.MOMENT_SUMS) or, for any other moment of the journey, from rating_rollup, and `per` of x make one unit
-- The peers are outside a hall manager's view on purpose, as in queries/peer_ranks.sql: only
-- their anonymous sums leave this query, and every row names the task's hall, which must be
-- in the user's scope (peakend/warehouse/db.py PEER_QUERIES checks the answer).
with task_hall as (
    select
        hall_id,
        region,
    from halls
    where hall_id = $hall_id and ($scope_halls is null or list_contains($scope_halls, hall_id))
),

days as (
    select
        r.hall_id,
        case when r.day < $starts_on::date then 'before' else 'after' end as phase,
        case
            when $moment = 'wait' then r.m_wait_n
            when $moment = 'exit' then r.m_exit_n
            when coalesce(p.peak_moment, 'other') = $moment then r.m_peak_n
            else 0
        end as n,
        case
            when $moment = 'wait' then r.m_wait_x
            when $moment = 'exit' then r.m_exit_x
            when coalesce(p.peak_moment, 'other') = $moment then r.m_peak_x
            else 0
        end as x,
        case
            when $moment = 'wait' then r.m_wait_xx
            when $moment = 'exit' then r.m_exit_xx
            when coalesce(p.peak_moment, 'other') = $moment then r.m_peak_xx
            else 0
        end as xx,
    from visit_rollup as r
    inner join halls as h on r.hall_id = h.hall_id
    inner join task_hall as t on h.region = t.region
    left join purposes as p on r.purpose = p.purpose
    where
        r.day >= $starts_on::date - 7 * $weeks::integer
        and r.day < $starts_on::date + 7 * $weeks::integer
    union all
    -- a moment rated in a ratings file (the wait's rating aside: the task's wait is its minutes)
    select
        r.hall_id,
        case when r.day < $starts_on::date then 'before' else 'after' end as phase,
        r.m_rating_n as n,
        r.m_rating_x as x,
        r.m_rating_xx as xx,
    from rating_rollup as r
    inner join halls as h on r.hall_id = h.hall_id
    inner join task_hall as t on h.region = t.region
    where
        r.moment = $moment
        and r.moment not in ('wait', 'counter_result', 'data_experience', 'phone_purchase', 'exit')
        and r.day >= $starts_on::date - 7 * $weeks::integer
        and r.day < $starts_on::date + 7 * $weeks::integer
),

sides as (
    select
        d.phase,
        case when d.hall_id = t.hall_id then 'hall' else 'peer' end as side,
        -- a peer's number: stable for the query, not its id
        case when d.hall_id = t.hall_id then 0 else dense_rank() over (order by hash(d.hall_id)) end as hall_no,
        d.n,
        d.x,
        d.xx,
    from days as d
    cross join task_hall as t
)

select
    t.hall_id,
    s.side,
    s.hall_no as peer_no,
    s.phase,
    sum(s.n)::bigint as n,
    sum(s.x)::hugeint as x,
    sum(s.xx)::hugeint as xx,
    case when $moment = 'wait' then 60000.0 else 1.0 end as per,
from sides as s
cross join task_hall as t
group by all
order by s.side, peer_no, s.phase
