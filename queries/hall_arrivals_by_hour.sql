-- one row per hour of the day with arrivals or service: arrivals and counters in use per open day, and the median wait and service level of the visits arriving in that hour
with open_days as (
    -- a day counts as open when the hall had at least one visit that day
    select count(*) as days,
    from (select distinct hall_id, visit_date, from filtered_visits) as hall_days
),

arrivals as (
    select
        arrival_hour as hour,
        part('visits') as arrivals,
        part('wait_n') as wait_n,
        metric('wait_median_min') as wait_median_min,
        metric('service_level') as service_level,
    from filtered_visits
    group by all
),

counter_hours as (
    -- a counter is in use in an hour when a service it gave overlaps that hour
    -- (a service ending on the hour does not reach into the next one)
    select distinct
        hall_id,
        counter_id,
        cast(service_started_at as date) as day,
        unnest(generate_series(
            hour(service_started_at),
            greatest(hour(service_started_at), hour(service_ended_at - interval 1 second))
        )) as hour,
    from filtered_visits
    where counter_id is not null
        and service_started_at is not null
        and service_ended_at is not null
),

counters as (
    select
        hour,
        count(*) as counter_hours,
    from counter_hours
    group by all
)

select
    coalesce(a.hour, c.hour) as hour,
    coalesce(a.arrivals, 0) / d.days as arrivals_per_day,
    coalesce(c.counter_hours, 0) / d.days as counters_in_use,
    coalesce(a.wait_n, 0) as wait_n,
    a.wait_median_min,
    a.service_level,
    d.days as open_days,
from arrivals as a
full outer join counters as c on a.hour = c.hour
cross join open_days as d
order by hour
