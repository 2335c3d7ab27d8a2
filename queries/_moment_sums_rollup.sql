-- one row per hall and key moment with visits through it: the same columns and rows as queries/_moment_sums.sql, added up from the moment parts of visit_rollup (peakend.core.metrics.MOMENT_SUMS) under the filters the rollups keep
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
