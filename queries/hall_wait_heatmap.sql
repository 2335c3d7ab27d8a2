-- one row per weekday x arrival hour that had visits: arrivals and the median wait of the visits called
select
    weekday,
    arrival_hour,
    count(*) as arrivals,
    count(wait_s) as wait_n,
    median(wait_s) / 60 as wait_median_min,
from filtered_visits
group by all
order by weekday, arrival_hour
