-- one row per hall with visits in the filter x key moment of its journey, with the ratings of that moment among the hall's visits in the filter (how many, the mean on 1-5), and how many of the halls compared have the moment in their journey
with compared as (
    select distinct hall_id,
    from filtered_visits
),

journeys as (
    select j.*,
    from journey_moments as j
    inner join compared as c on j.hall_id = c.hall_id
),

per_hall as (
    select
        hall_id,
        moment,
        count(*) as ratings,
        avg(on_five) as mean_on_five,
    from visit_moment_scores
    group by hall_id, moment
)

select
    j.hall_id,
    j.moment,
    j.label_zh,
    j.label_en,
    j.stage_order,
    j.position,
    j.is_peak,
    j.study,
    j.added_by_region,
    j.added_by_hall,
    coalesce(p.ratings, 0) as ratings,
    p.mean_on_five,
    count(*) over (partition by j.moment) as halls_with_moment,
    (
        select count(*),
        from compared
    ) as halls_compared,
from journeys as j
left join per_hall as p on j.hall_id = p.hall_id and j.moment = p.moment
order by j.stage_order, j.position, j.hall_id
