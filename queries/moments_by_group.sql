-- one row per group of $group_1 (null: all the visits as one group) x key moment rated among the visits that pass every filter: how many ratings, their mean on 1-5, with the moment's catalogue entry (the group's value as text, null when not recorded)
with scored as (
    select
        s.moment,
        s.label_zh,
        s.label_en,
        s.stage_order,
        s.position,
        s.study,
        s.added_by_region,
        s.added_by_hall,
        s.on_five,
        dimension_value(
            $group_1, v.region, v.city, v.hall_id, v.purpose, v.peak_moment, v.staff_id, v.segment, v.arrived_at
        ) as group_1,
    from visit_moment_scores as s
    inner join filtered_visits as v on s.visit_id = v.visit_id
)

select
    group_1,
    moment,
    label_zh,
    label_en,
    stage_order,
    position,
    study,
    added_by_region,
    added_by_hall,
    count(*) as ratings,
    avg(on_five) as mean_on_five,
from scored
group by all
order by stage_order, position, group_1
