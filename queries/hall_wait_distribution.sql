-- one row per wait band of $band_min minutes that has called visits (the last band, from $cap_min up, holds every longer wait)
select
    least(floor(wait_s / 60 / $band_min) * $band_min, $cap_min) as band_start_min,
    count(*) as visits,
from filtered_visits
where wait_s is not null
group by all
order by band_start_min
