-- one row per value a filter of the explore page can take for the signed-in user: its field, the value and its English and Chinese labels
with
halls_seen as (
    select hall_id, hall_name, region, city,
    from scoped_halls
),

visit_values as (
    -- queries/_explore_values.sql, or from the rollups its twin's
    select *, from explore_values
),

staff_values as (
    select distinct staff_id,
    from visit_values
    where staff_id is not null
),

purpose_values as (
    select distinct purpose, from visit_values
    union
    select purpose, from purposes
),

options as (
    select 'region' as field, region as value, region as label_en, region as label_zh,
    from halls_seen
    group by region
    union all
    select 'city' as field, city as value, city as label_en, city as label_zh,
    from halls_seen
    group by city
    union all
    select
        'hall' as field, hall_id as value,
        hall_name || ' · ' || city as label_en,
        hall_name || ' · ' || city as label_zh,
    from halls_seen
    union all
    select
        'purpose' as field, v.purpose as value,
        coalesce(p.label_en, v.purpose) as label_en,
        coalesce(p.label_zh, v.purpose) as label_zh,
    from purpose_values as v
    left join purposes as p on v.purpose = p.purpose
    union all
    select
        'staff' as field, v.staff_id as value,
        staff_label(v.staff_id, s.staff_name) as label_en,
        staff_label(v.staff_id, s.staff_name) as label_zh,
    from staff_values as v
    left join staff as s on v.staff_id = s.staff_id
    union all
    select distinct 'segment' as field, segment as value, segment as label_en, segment as label_zh,
    from visit_values
    where segment is not null
)

select *,
from options
-- staff in id order (a hall's people together, as the hall page lists them), the rest by label
order by field, case when field = 'staff' then value else label_en end
