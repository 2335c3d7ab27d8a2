-- one row per key moment (wait, the three peak moments, exit) for each hall, and for all the halls in the filter together (hall_id null): visits through it, its ratings or waits with their mean and spread, and the simple regressions of a visit's peak-end index and NPS points on it
with scored as (
    select
        *,
        -- a visit's share of the NPS: promoters count +100, detractors -100, the rest 0
        case
            when overall_score >= 9 then 100.0
            when overall_score <= 6 then -100.0
            when overall_score is not null then 0.0
        end as nps_points,
    from filtered_visits
),
visit_moments as (
    select hall_id, 'wait' as moment, wait_s / 60 as value, peak_end, nps_points,
    from scored
    where not abandoned
      and called_at is not null
    union all
    select hall_id, peak_moment as moment, peak_score::double as value, peak_end, nps_points,
    from scored
    where not abandoned
      and peak_moment in ('counter_result', 'data_experience', 'phone_purchase')
    union all
    -- every visit ends, served or not: the exit score as the headline counts it
    select hall_id, 'exit' as moment, exit_score::double as value, peak_end, nps_points,
    from scored
)
select
    hall_id,
    moment,
    count(*) as visits,
    count(value) as n,
    avg(value) as value_mean,
    stddev_samp(value) as value_sd,
    median(value) as value_median,
    regr_count(peak_end, value) as index_n,
    regr_slope(peak_end, value) as index_slope,
    regr_sxx(peak_end, value) as index_sxx,
    regr_sxy(peak_end, value) as index_sxy,
    regr_syy(peak_end, value) as index_syy,
    regr_count(nps_points, value) as nps_n,
    regr_slope(nps_points, value) as nps_slope,
    regr_sxx(nps_points, value) as nps_sxx,
    regr_sxy(nps_points, value) as nps_sxy,
    regr_syy(nps_points, value) as nps_syy,
from visit_moments
group by grouping sets ((hall_id, moment), (moment))
order by moment, hall_id nulls first
