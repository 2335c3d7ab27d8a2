-- one row per key moment the visit $visit_id rated (if it passes every filter), in journey order: the score on the moment's scale, and the comment and time of a rating that came in a ratings file
select
    s.moment,
    s.label_zh,
    s.label_en,
    s.stage_order,
    s.position,
    s.study,
    s.added_by_region,
    s.added_by_hall,
    s.score,
    s.scale_min,
    s.scale_max,
    r.comment,
    r.rated_at,
from visit_moment_scores as s
left join moment_ratings as r on s.visit_id = r.visit_id and s.moment = r.moment
where s.visit_id = $visit_id
order by s.stage_order, s.position
