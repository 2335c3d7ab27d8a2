-- one row per visit and key moment it passes through (wait: the served visits; a peak moment: the visits not given up whose purpose has one; exit: every visit) of the visits that pass every filter: its value there (minutes, a score), its peak-end index and NPS points
with scored as (
    -- read three times below: only the columns they need
    select
        hall_id, abandoned, called_at, wait_s, peak_moment, peak_score, exit_score, peak_end,
        -- a visit's share of the NPS: promoters count +100, detractors -100, the rest 0
        case
            when overall_score >= 9 then 100.0
            when overall_score <= 6 then -100.0
            when overall_score is not null then 0.0
        end as nps_points,
    from filtered_visits
)

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
