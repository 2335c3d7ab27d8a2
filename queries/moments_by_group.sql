-- one row per group of $group_1 (null: all the visits as one group) x key moment rated among the visits that pass every filter: how many ratings, their mean on 1-5, with the moment's catalogue entry (the group's value as text, null when not recorded)
with scored as (
    select
        s.moment,
        s.on_five,
        dimension_value(
            $group_1, v.region, v.city, v.hall_id, v.purpose, v.peak_moment, v.staff_id, v.segment, v.arrived_at
        ) as group_1,
    from visit_moment_scores as s
    inner join filtered_visits as v on s.visit_id = v.visit_id
)

select
    s.group_1,
    s.moment,
    m.label_zh,
    m.label_en,
    list_position(['before_queue', 'queue', 'counter', 'after_counter', 'exit'], m.stage) as stage_order,
    m.position,
    m.study,
    m.region as added_by_region,
    m.hall_id as added_by_hall,
    count(*) as ratings,
    avg(s.on_five) as mean_on_five,
from scored as s
inner join moments as m on s.moment = m.moment
group by all
order by stage_order, m.position, s.group_1
