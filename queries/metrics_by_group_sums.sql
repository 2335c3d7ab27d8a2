-- one row per group of visits (up to two dimensions, $group_1 and $group_2, one of them the hall) with every headline metric: the sums from the rollups, the wait percentiles from the visits' own waits; the rows metrics_by_group gives, for the filters peakend.rollups accepts
with
sums as (
    select
        dimension_value($group_1, region, city, hall_id, purpose, peak_moment, null, null, day::timestamp) as group_1,
        dimension_value($group_2, region, city, hall_id, purpose, peak_moment, null, null, day::timestamp) as group_2,
        sum(visits) as visits,
        sum(served_visits) as served_visits,
        sum(abandoned_visits) as abandoned_visits,
        sum(wait_n) as wait_n,
        sum(sl_within) as sl_within,
        sum(sl_counted) as sl_counted,
        sum(service_n) as service_n,
        sum(service_us) as service_us,
        sum(peak_n) as peak_n,
        sum(peak_sum) as peak_sum,
        coalesce(sum(peak_n) filter (where peak_moment = 'counter_result'), 0) as peak_counter_result_n,
        sum(peak_sum) filter (where peak_moment = 'counter_result') as peak_counter_result_sum,
        coalesce(sum(peak_n) filter (where peak_moment = 'data_experience'), 0) as peak_data_experience_n,
        sum(peak_sum) filter (where peak_moment = 'data_experience') as peak_data_experience_sum,
        coalesce(sum(peak_n) filter (where peak_moment = 'phone_purchase'), 0) as peak_phone_purchase_n,
        sum(peak_sum) filter (where peak_moment = 'phone_purchase') as peak_phone_purchase_sum,
        sum(peak_satisfied) as peak_satisfied,
        sum(peak_unhappy) as peak_unhappy,
        sum(exit_n) as exit_n,
        sum(exit_sum) as exit_sum,
        sum(exit_satisfied) as exit_satisfied,
        sum(exit_unhappy) as exit_unhappy,
        sum(peak_end_n) as peak_end_n,
        sum(peak_end_sum2) as peak_end_sum2,
        sum(overall_n) as overall_n,
        sum(promoters) as promoters,
        sum(detractors) as detractors,
    from rollup_visits
    group by all
),
waits as (
    -- a hall's percentiles need its own waits: read just those from the visits
    select
        dimension_value($group_1, region, city, hall_id, purpose, peak_moment, staff_id, segment, arrived_at) as group_1,
        dimension_value($group_2, region, city, hall_id, purpose, peak_moment, staff_id, segment, arrived_at) as group_2,
        quantile_cont(wait_s, [0.5, 0.9]) as wait_q,
    from filtered_visits
    where wait_s is not null
    group by all
)
select
    s.group_1,
    s.group_2,
    s.visits::bigint as visits,
    s.served_visits::bigint as served_visits,
    s.abandoned_visits::bigint as abandoned_visits,
    s.wait_n::bigint as wait_n,
    q.wait_q[1] / 60 as wait_median_min,
    q.wait_q[2] / 60 as wait_p90_min,
    s.sl_within / nullif(s.sl_counted, 0)::double as service_level,
    s.abandoned_visits / s.visits::double as abandonment_rate,
    s.service_us / 1e6 / nullif(s.service_n, 0) / 60 as service_mean_min,
    s.peak_n::bigint as peak_n,
    s.peak_sum / nullif(s.peak_n, 0)::double as peak_mean,
    s.peak_counter_result_n::bigint as peak_counter_result_n,
    s.peak_counter_result_sum / nullif(s.peak_counter_result_n, 0)::double as peak_counter_result_mean,
    s.peak_data_experience_n::bigint as peak_data_experience_n,
    s.peak_data_experience_sum / nullif(s.peak_data_experience_n, 0)::double as peak_data_experience_mean,
    s.peak_phone_purchase_n::bigint as peak_phone_purchase_n,
    s.peak_phone_purchase_sum / nullif(s.peak_phone_purchase_n, 0)::double as peak_phone_purchase_mean,
    s.peak_satisfied / nullif(s.peak_n, 0)::double as peak_satisfied_share,
    s.peak_unhappy / nullif(s.peak_n, 0)::double as peak_unhappy_share,
    s.exit_n::bigint as exit_n,
    s.exit_sum / nullif(s.exit_n, 0)::double as exit_mean,
    s.exit_satisfied / nullif(s.exit_n, 0)::double as exit_satisfied_share,
    s.exit_unhappy / nullif(s.exit_n, 0)::double as exit_unhappy_share,
    s.peak_end_n::bigint as peak_end_n,
    s.peak_end_sum2 / 2.0 / nullif(s.peak_end_n, 0)::double as peak_end_index,
    s.overall_n::bigint as overall_n,
    100.0 * (s.promoters - s.detractors) / nullif(s.overall_n, 0)::double as nps,
from sums as s
left join waits as q
    on q.group_1 is not distinct from s.group_1
    and q.group_2 is not distinct from s.group_2
order by s.group_1 nulls first, s.group_2 nulls first
