-- one row per peak moment (of the three) x peak score given: ratings and their share of that moment's ratings
select
    peak_moment,
    peak_score as score,
    count(*) as ratings,
    count(*) / sum(count(*)) over (partition by peak_moment) as share,
from filtered_visits
where peak_score is not null
    and peak_moment <> 'other'
group by peak_moment, peak_score
order by peak_moment, score
