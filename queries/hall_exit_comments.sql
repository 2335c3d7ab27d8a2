-- one row per visit with an exit comment, latest first, at most $limit rows (null: all)
select
    v.visit_id,
    coalesce(v.left_at, v.arrived_at) as commented_at,
    v.exit_score,
    v.purpose,
    coalesce(p.label_zh, v.purpose) as purpose_zh,
    coalesce(p.label_en, v.purpose) as purpose_en,
    v.peak_moment,
    v.staff_id,
    v.exit_comment,
from filtered_visits as v
left join purposes as p on v.purpose = p.purpose
where coalesce(trim(v.exit_comment), '') <> ''
order by commented_at desc, v.visit_id asc
limit $limit
