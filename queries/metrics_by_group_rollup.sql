-- one row per group of visits (up to two dimensions, $group_1 and $group_2; null = all visits in one group) with every headline metric, from the rollups: the rows metrics_by_group gives, for the filters and groupings peakend.rollups.answerable accepts
with
sums as (
    select
        dimension_value($group_1, region, city, null, purpose, peak_moment, null, null, day::timestamp) as group_1,
        dimension_value($group_2, region, city, null, purpose, peak_moment, null, null, day::timestamp) as group_2,
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
    from rollup_cities
    group by all
),
wait_counts as (
    select
        dimension_value($group_1, region, city, null, purpose, peak_moment, null, null, day::timestamp) as group_1,
        dimension_value($group_2, region, city, null, purpose, peak_moment, null, null, day::timestamp) as group_2,
        wait_s,
        sum(n) as n,
    from rollup_waits
    group by all
),
wait_ranks as (
    select
        *,
        sum(n) over (partition by group_1, group_2 order by wait_s
                     rows between unbounded preceding and current row) as up_to,
        sum(n) over (partition by group_1, group_2) - 1 as last_rank,
    from wait_counts
),
wait_quantiles as (
    -- quantile_cont(q) of the waits: the value at 0-based rank last_rank * q of the sorted
    -- waits, between its two nearest ranks; the wait at rank k is the first with up_to > k
    select
        group_1,
        group_2,
        min(wait_s) filter (where up_to > floor(last_rank * 0.5)) as median_lo,
        min(wait_s) filter (where up_to > ceil(last_rank * 0.5)) as median_hi,
        any_value(last_rank * 0.5 - floor(last_rank * 0.5)) as median_frac,
        min(wait_s) filter (where up_to > floor(last_rank * 0.9)) as p90_lo,
        min(wait_s) filter (where up_to > ceil(last_rank * 0.9)) as p90_hi,
        any_value(last_rank * 0.9 - floor(last_rank * 0.9)) as p90_frac,
    from wait_ranks
    group by all
)
select
    s.group_1,
    s.group_2,
    s.visits::bigint as visits,
    s.served_visits::bigint as served_visits,
    s.abandoned_visits::bigint as abandoned_visits,
    s.wait_n::bigint as wait_n,
    (q.median_lo + q.median_frac * (q.median_hi - q.median_lo)) / 60 as wait_median_min,
    (q.p90_lo + q.p90_frac * (q.p90_hi - q.p90_lo)) / 60 as wait_p90_min,
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
left join wait_quantiles as q
    on q.group_1 is not distinct from s.group_1
    and q.group_2 is not distinct from s.group_2
order by s.group_1 nulls first, s.group_2 nulls first
