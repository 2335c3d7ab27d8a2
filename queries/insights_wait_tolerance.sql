-- one row per purpose x whole minute of wait with ratings of the moment $moment after that wait ('peak': the visit's peak score; 'exit': its exit score; any other code: that moment's ratings from ratings files, placed on 1-5) among the served visits (waits of $max_wait_min minutes or more share one last row, wait_minute = $max_wait_min): the ratings, their mean wait and mean score, and the sum of squared deviations of the scores within the minute
with scored as (
    select
        purpose,
        wait_s,
        case when $moment = 'exit' then exit_score else peak_score end::double as score,
    from filtered_visits
    where not abandoned
        and wait_s is not null
        and $moment in ('peak', 'exit')
    union all
    select
        v.purpose,
        v.wait_s,
        1 + 4.0 * (r.score - m.scale_min) / (m.scale_max - m.scale_min) as score,
    from moment_ratings as r
    inner join moments as m on r.moment = m.moment
    inner join filtered_visits as v on r.visit_id = v.visit_id
    where r.moment = $moment
        and not v.abandoned
        and v.wait_s is not null
)

select
    purpose,
    least(floor(wait_s / 60), $max_wait_min)::integer as wait_minute,
    count(*) as ratings,
    avg(wait_s) / 60 as wait_mean_min,
    avg(score) as score_mean,
    coalesce(var_pop(score), 0) * count(*) as score_ss,
from scored
where score is not null
group by all
order by purpose, wait_minute
