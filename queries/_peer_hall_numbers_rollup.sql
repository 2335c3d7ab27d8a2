-- one row per hall of the whole network with visits in the period: the same rows as the raw peer numbers, the sums from visit_rollup and the median wait from the hall's own waits (peakend.warehouse.rollup_routes routes here while the rollups add up)
select
    s.hall_id,
    s.visits::bigint as visits,
    s.wait_n::bigint as wait_n,
    w.wait_median_min,
    summed('abandonment_rate') as abandonment_rate,
    s.peak_end_n::bigint as peak_end_n,
    summed('peak_end_index') as peak_end_index,
    s.exit_n::bigint as exit_n,
    summed('exit_mean') as exit_mean,
from (
    select
        hall_id,
        sum(visits) as visits,
        sum(wait_n) as wait_n,
        sum(abandoned_visits) as abandoned_visits,
        sum(peak_end_n) as peak_end_n,
        sum(peak_end_sum2) as peak_end_sum2,
        sum(exit_n) as exit_n,
        sum(exit_sum) as exit_sum,
    from visit_rollup
    where true
        and ($date_from is null or day >= $date_from::date)
        and ($date_to is null or day <= $date_to::date)
    group by hall_id
) as s
left join (
    select
        hall_id,
        metric('wait_median_min') as wait_median_min,
    from visits
    where wait_s is not null
        and ($date_from is null or arrived_at >= $date_from::date)
        and ($date_to is null or arrived_at < $date_to::date + interval 1 day)
    group by hall_id
) as w on s.hall_id = w.hall_id
