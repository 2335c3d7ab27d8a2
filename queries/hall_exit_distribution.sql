-- one row per exit score given: ratings and their share of all exit ratings
select
    exit_score as score,
    count(*) as ratings,
    count(*) / sum(count(*)) over () as share,
from filtered_visits
where exit_score is not null
group by exit_score
order by score
