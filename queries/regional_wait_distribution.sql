-- one row per hall with called visits: the spread of its waits (P10, quartiles, median, P90, in minutes) for the box plot
select
    hall_id,
    any_value(hall_name) as hall_name,
    any_value(region) as region,
    count(wait_s) as wait_n,
    quantile_cont(wait_s, 0.1) / 60 as wait_p10_min,
    quantile_cont(wait_s, 0.25) / 60 as wait_q1_min,
    median(wait_s) / 60 as wait_median_min,
    quantile_cont(wait_s, 0.75) / 60 as wait_q3_min,
    quantile_cont(wait_s, 0.9) / 60 as wait_p90_min,
from filtered_visits
where wait_s is not null
group by hall_id
order by region, hall_name
