-- one row per hall and key moment with visits through it: the same columns and rows as queries/_moment_sums.sql, added up from the moment parts of visit_rollup (peakend.core.metrics.MOMENT_SUMS) and from rating_rollup (RATING_SUMS: the journey's other moments) under the filters the rollups keep
-- (rolled_moment of a moment writes its columns, each named: peakend.warehouse.metric_sql.moment_sums)
select
    hall_id,
    'wait' as moment,
    rolled_moment('wait'),  -- noqa: AL03
from rollup_visits
group by hall_id
having sum(m_wait_visits) > 0
union all
select
    hall_id,
    peak_moment as moment,
    rolled_moment('peak'),  -- noqa: AL03
from rollup_visits
where peak_moment in ('counter_result', 'data_experience', 'phone_purchase')
group by hall_id, peak_moment
having sum(m_peak_visits) > 0
union all
select
    hall_id,
    'exit' as moment,
    rolled_moment('exit'),  -- noqa: AL03
from rollup_visits
group by hall_id
having sum(m_exit_visits) > 0
union all
-- rating_rollup's rows of the hall-days and purposes kept above (a rating's visit is always
-- in visit_rollup), the wait's rating aside as in queries/_moment_visits.sql
select
    r.hall_id,
    r.moment,
    rolled_moment('rating'),  -- noqa: AL03
from rating_rollup as r
semi join rollup_visits as k on r.hall_id = k.hall_id and r.day = k.day and r.purpose = k.purpose
where r.moment <> 'wait'
group by r.hall_id, r.moment
having sum(m_rating_visits) > 0
