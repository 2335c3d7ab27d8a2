-- one row per wait band x peak band with visits rated at both moments: their mean exit score and share of unhappy exits; band k starts at $wait_band_edges[k] minutes
select
    len(list_filter($wait_band_edges, lambda e: e * 60 <= wait_s)) as wait_band,
    case
        when peak_score <= 2 then 'low'
        when peak_score = 3 then 'middle'
        else 'high'
    end as peak_band,
    count(*) as visits,
    metric('exit_mean') as exit_mean,
    metric('exit_unhappy_share') as exit_unhappy_share,
from filtered_visits
where wait_s is not null
    and peak_score is not null
    and exit_score is not null
group by all
order by wait_band, peak_band
