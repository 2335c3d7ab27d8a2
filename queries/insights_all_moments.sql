-- one row: the served visits in the filter with an overall, a peak and an exit score and at least one more key moment rated (more than two ratings), with how many moments they rated and how the overall score correlates with the peak-end mean and with the mean of all the visit's rated moments (each on a 1-5 scale)
with rated as (
    select
        visit_id,
        overall_score::double as overall,
        peak_score::double as peak,
        exit_score::double as exit_score,
    from filtered_visits
    where not abandoned
        and overall_score is not null
        and peak_score is not null
        and exit_score is not null
),

journey as (
    select
        r.visit_id,
        count(*) as others,
        sum(1 + 4.0 * (r.score - m.scale_min) / (m.scale_max - m.scale_min)) as others_sum,
    from moment_ratings as r
    inner join rated as v on r.visit_id = v.visit_id
    inner join moments as m on r.moment = m.moment
    group by r.visit_id
),

visit_means as (
    select
        v.overall,
        (v.peak + v.exit_score) / 2 as peak_end,
        (j.others_sum + v.peak + v.exit_score) / (j.others + 2) as all_moments,
        j.others + 2 as moments,
    from rated as v
    inner join journey as j on v.visit_id = j.visit_id
)

select
    count(*) as visits,
    avg(moments) as mean_moments,
    max(moments) as max_moments,
    corr(overall, peak_end) as r_peak_end,
    corr(overall, all_moments) as r_all_moments,
    corr(peak_end, all_moments) as r_between,
from visit_means
