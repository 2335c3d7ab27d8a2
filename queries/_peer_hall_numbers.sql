-- one row per hall of the whole network (not the user's scope: peer_ranks keeps only ranks) with visits in the period: the numbers its peers are ranked on, as peakend/core/metrics.py defines them, over its own visits
select
    hall_id,
    part('visits') as visits,
    part('wait_n') as wait_n,
    metric('wait_median_min') as wait_median_min,
    metric('abandonment_rate') as abandonment_rate,
    part('peak_end_n') as peak_end_n,
    metric('peak_end_index') as peak_end_index,
    part('exit_n') as exit_n,
    metric('exit_mean') as exit_mean,
from visits
where true
    and ($date_from is null or arrived_at >= $date_from::date)
    and ($date_to is null or arrived_at < $date_to::date + interval 1 day)
group by hall_id
