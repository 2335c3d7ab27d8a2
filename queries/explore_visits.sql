-- one row per visit that passes every filter (and, when chosen, lies in one group of the result), newest first, with the staff member's name from the roster; $limit null = every visit
with roster as (
    select
        staff_id as roster_staff_id,
        staff_name,
    from staff
)

select
    visit_id,
    arrived_at,
    hall_id,
    hall_name,
    region,
    city,
    purpose,
    peak_moment,
    staff_id,
    staff_name,
    counter_id,
    segment,
    abandoned,
    round(wait_s / 60, 1) as wait_min,
    round(service_s / 60, 1) as service_min,
    peak_score,
    exit_score,
    peak_end,
    overall_score,
    exit_comment,
    called_at,
    service_started_at,
    service_ended_at,
    left_at,
from filtered_visits
left join roster on staff_id = roster_staff_id
where (
    $drill_by_1 is null
    or dimension_value($drill_by_1, region, city, hall_id, purpose, peak_moment, staff_id, segment, arrived_at)
    is not distinct from $drill_value_1
)
and (
    $drill_by_2 is null
    or dimension_value($drill_by_2, region, city, hall_id, purpose, peak_moment, staff_id, segment, arrived_at)
    is not distinct from $drill_value_2
)
order by arrived_at desc, visit_id desc
limit
    $limit
    offset $offset
