-- one row per visit and key moment it passes through (wait: the served visits; a peak moment: the visits not given up whose purpose has one; exit: every visit; any other moment of the hall's journey: each rating of it from a ratings file, the wait's own rating aside, since the wait is measured in minutes) of the visits that pass every filter: its value there (minutes, a score on the moment's scale), its peak-end index and NPS points
with scored as (
    -- read four times below: only the columns they need
    select
        visit_id, hall_id, abandoned, called_at, wait_s, peak_moment, peak_score, exit_score, peak_end,
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
union all
-- the journey's other moments, as rated; the wait's rating would be a second, coarser line
-- beside its minutes
select v.hall_id, r.moment, r.score::double as value, v.peak_end, v.nps_points,
from moment_ratings as r
inner join scored as v on r.visit_id = v.visit_id
where r.moment <> 'wait'
