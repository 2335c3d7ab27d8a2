-- one row per hour of arrival: the observed service level with the wait target of a what-if ($wait_target_s seconds) in place of the hall's own, by the hall's service-level rule
with at_target as (
    select * replace (cast($wait_target_s as double) as wait_target_s),
    from filtered_visits
)

select
    arrival_hour as hour,
    metric('service_level') as service_level,
from at_target
group by all
order by hour
