-- one row per rating of a key moment of a visit that passes every filter (its peak moment and its exit from the visit's own columns, every other moment from ratings files), with the visit's hall, the moment's catalogue entry, the score on the moment's scale and on 1-5, and the visit's exit score
with rated as (
    select
        visit_id,
        hall_id,
        peak_moment as moment,
        peak_score as score,
        exit_score as visit_exit,
    from filtered_visits
    where peak_score is not null and peak_moment <> 'other'
    union all
    select
        visit_id,
        hall_id,
        'exit' as moment,
        exit_score as score,
        exit_score as visit_exit,
    from filtered_visits
    where exit_score is not null
    union all
    select
        v.visit_id,
        v.hall_id,
        r.moment,
        r.score,
        v.exit_score as visit_exit,
    from moment_ratings as r
    inner join filtered_visits as v on r.visit_id = v.visit_id
)

select
    r.*,
    j.* exclude (hall_id, moment),
    1 + 4.0 * (r.score - j.scale_min) / (j.scale_max - j.scale_min) as on_five,
from rated as r
inner join journey_moments as j on r.hall_id = j.hall_id and r.moment = j.moment
