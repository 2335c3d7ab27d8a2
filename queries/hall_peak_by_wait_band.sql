-- one row per peak moment (of the three) x wait band with peak ratings; band k starts at $wait_band_edges[k] minutes
select
    peak_moment,
    len(list_filter($wait_band_edges, lambda e: e * 60 <= wait_s)) as wait_band,
    count(*) as ratings,
    avg(peak_score) as peak_mean,
from filtered_visits
where peak_score is not null
    and wait_s is not null
    and peak_moment <> 'other'
group by all
order by peak_moment, wait_band
