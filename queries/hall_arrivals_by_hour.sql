-- one row per hour of the day with arrivals or service: arrivals and serving positions in use per open day, and the median wait and service level of the visits arriving in that hour
-- a serving position is the counter that served a visit, or, when the visit has no counter_id, the staff member who served it (a call centre's agent)
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

services as (
    select
        hall_id,
        coalesce(counter_id, staff_id) as position_id,
        counter_id is not null as by_counter,
        service_started_at,
        service_ended_at,
    from filtered_visits
    where coalesce(counter_id, staff_id) is not null
        and service_started_at is not null
        and service_ended_at is not null
        and service_ended_at >= service_started_at
),

service_hours as (
    -- every clock hour a service overlaps (a service ending on the hour does not reach into
    -- the next one), with the seconds of the service inside that hour
    select
        hall_id,
        position_id,
        by_counter,
        clock_hour,
        epoch(least(service_ended_at, clock_hour + interval 1 hour) - greatest(service_started_at, clock_hour))
            as busy_s,
    from (
        select
            *,
            unnest(generate_series(
                date_trunc('hour', service_started_at),
                greatest(
                    date_trunc('hour', service_started_at),
                    date_trunc('hour', service_ended_at - interval 1 second)
                ),
                interval 1 hour
            )) as clock_hour,
        from services
    ) as spread
),

position_hours as (
    -- a position is in use in a clock hour when a service it gave overlaps that hour
    select
        hall_id,
        position_id,
        clock_hour,
        bool_or(by_counter) as by_counter,
        sum(busy_s) as busy_s,
    from service_hours
    group by all
),

positions as (
    select
        hour(clock_hour) as hour,
        count(*) as position_hours,
        count(*) filter (where by_counter) as counter_hours,
        count(*) filter (where not by_counter) as staff_hours,
        sum(busy_s) / 3600 as busy_hours,
    from position_hours
    group by all
)

select
    coalesce(a.hour, c.hour) as hour,
    coalesce(a.arrivals, 0) / d.days as arrivals_per_day,
    coalesce(c.position_hours, 0) / d.days as counters_in_use,
    coalesce(c.busy_hours, 0) / d.days as busy_in_use,
    coalesce(c.counter_hours, 0) as counter_hours,
    coalesce(c.staff_hours, 0) as staff_hours,
    coalesce(a.wait_n, 0) as wait_n,
    a.wait_median_min,
    a.service_level,
    d.days as open_days,
from arrivals as a
full outer join positions as c on a.hour = c.hour
cross join open_days as d
order by hour
