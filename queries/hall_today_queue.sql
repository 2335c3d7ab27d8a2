-- one row: the chosen hall's queue at $now (the hall's local time by the app's clock) over today's visits (the filter's day): people waiting, the longest current wait, serving positions in use, arrivals so far and the newest event
-- waiting: a ticket taken by $now, not called and not gone by then (an abandoned visit waited until it left; one abandoned with no time it left is not counted); serving: a counter (or, without a counter_id, the staff member) whose service started by $now and has not ended by then
with today as (
    select
        *,
        arrived_at <= $now
        and (called_at is null or called_at > $now)
        and (left_at is null or left_at > $now)
        and not (abandoned and left_at is null) as waiting,
        service_started_at <= $now
        and (service_ended_at is null or service_ended_at > $now)
        and (left_at is null or left_at > $now) as serving,
    from filtered_visits
)

select
    count(*) filter (where waiting) as waiting_now,
    max(epoch($now - arrived_at)) filter (where waiting) as longest_wait_s,
    count(distinct coalesce(counter_id, staff_id)) filter (where serving) as serving_now,
    count(*) filter (where arrived_at <= $now) as arrivals_so_far,
    count(*) as visits_today,
    max(arrived_at) as last_arrival_at,
from today
