-- one row per hall in the user's scope x key moment of its journey (the study's, the network's, its region's and its own), with the moment's catalogue entry and who added it
select
    h.hall_id,
    m.moment,
    m.label_zh,
    m.label_en,
    m.stage,
    m.position,
    m.is_peak,
    m.scale_min,
    m.scale_max,
    m.study,
    m.region as added_by_region,
    m.hall_id as added_by_hall,
    list_position(['before_queue', 'queue', 'counter', 'after_counter', 'exit'], m.stage) as stage_order,
from scoped_halls as h
inner join moments as m
    on
        (m.region is null and m.hall_id is null)
        or h.hall_id = m.hall_id
        or h.region = m.region
