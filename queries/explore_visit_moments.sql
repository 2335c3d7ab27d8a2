-- one row per key moment the visit $visit_id rated (if it passes every filter), in journey order: the score on the moment's scale, and the comment and time of a rating that came in a ratings file
select
    s.moment,
    j.label_zh,
    j.label_en,
    j.stage_order,
    j.position,
    j.study,
    j.added_by_region,
    j.added_by_hall,
    s.score,
    s.scale_min,
    s.scale_max,
    r.comment,
    r.rated_at,
from visit_moment_scores as s
inner join journey_moments as j on s.hall_id = j.hall_id and s.moment = j.moment
left join moment_ratings as r on s.visit_id = r.visit_id and s.moment = r.moment
where s.visit_id = $visit_id
order by j.stage_order, j.position
