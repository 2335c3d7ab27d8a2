-- one row: the served visits in the filter with an overall, a peak and an exit score, with the means and sample covariances of those scores, the wait and the visit length (the inputs of the peak-end regression)
with rated as (
    select
        overall_score::double as overall,
        peak_score::double as peak,
        exit_score::double as exit_score,
        wait_s / 60 as wait_min,
        epoch(left_at - arrived_at) / 60 as visit_min,
        visit_date,
    from filtered_visits
    where not abandoned
        and overall_score is not null
        and peak_score is not null
        and exit_score is not null
        and wait_s is not null
        and left_at >= arrived_at
)

select
    count(*) as visits,
    avg(overall) as mean_overall,
    avg(peak) as mean_peak,
    avg(exit_score) as mean_exit,
    avg(wait_min) as mean_wait,
    avg(visit_min) as mean_visit,
    covar_samp(overall, overall) as cov_overall_overall,
    covar_samp(overall, peak) as cov_overall_peak,
    covar_samp(overall, exit_score) as cov_overall_exit,
    covar_samp(overall, wait_min) as cov_overall_wait,
    covar_samp(overall, visit_min) as cov_overall_visit,
    covar_samp(peak, peak) as cov_peak_peak,
    covar_samp(peak, exit_score) as cov_peak_exit,
    covar_samp(peak, wait_min) as cov_peak_wait,
    covar_samp(peak, visit_min) as cov_peak_visit,
    covar_samp(exit_score, exit_score) as cov_exit_exit,
    covar_samp(exit_score, wait_min) as cov_exit_wait,
    covar_samp(exit_score, visit_min) as cov_exit_visit,
    covar_samp(wait_min, wait_min) as cov_wait_wait,
    covar_samp(wait_min, visit_min) as cov_wait_visit,
    covar_samp(visit_min, visit_min) as cov_visit_visit,
    min(visit_date) as first_day,
    max(visit_date) as last_day,
from rated
