-- one row per purpose x whole minute of wait with peak ratings (waits of $max_wait_min minutes or more share one last row, wait_minute = $max_wait_min): the ratings, their mean wait and mean peak score, and the sum of squared deviations of the scores within the minute
select
    purpose,
    least(floor(wait_s / 60), $max_wait_min)::integer as wait_minute,
    count(*) as ratings,
    avg(wait_s) / 60 as wait_mean_min,
    avg(peak_score) as peak_mean,
    coalesce(var_pop(peak_score), 0) * count(*) as peak_ss,
from filtered_visits
where not abandoned
    and peak_score is not null
    and wait_s is not null
group by all
order by purpose, wait_minute
