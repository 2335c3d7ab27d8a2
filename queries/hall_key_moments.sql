-- one row per key moment of hall $hall_id's journey (the study's, the network's, its region's and its own; in journey order) with its ratings among the visits in the filter: how many, their mean on the moment's scale and on 1-5, the share of low ones (the bottom quarter of its scale), and how many unhappy visits (exit score 1-2, two moments or more rated before the exit) rated it lowest of those moments (a tie shared)
with journey as (
    select *,
    from journey_moments
    where hall_id = $hall_id
),

scaled as (
    select *,
    from visit_moment_scores
    where hall_id = $hall_id
),

unhappy as (
    -- the moments before the exit of each unhappy visit, and the lowest of them
    select
        visit_id,
        moment,
        on_five,
        min(on_five) over (partition by visit_id) as lowest_on_five,
        count(*) over (partition by visit_id) as before_exit,
    from scaled
    where visit_exit <= 2 and moment <> 'exit'
),

lowest as (
    -- a tie for the lowest shares the visit among the moments tied
    select
        moment,
        sum(1.0 / lowest_count) as unhappy_lowest,
    from (
        select
            *,
            count(*) over (partition by visit_id) as lowest_count,
        from unhappy
        where before_exit >= 2 and on_five = lowest_on_five
    ) as tied
    group by moment
),

per_moment as (
    select
        moment,
        count(*) as ratings,
        avg(score) as mean_score,
        avg(on_five) as mean_on_five,
        avg(case when score <= scale_min + (scale_max - scale_min) / 4.0 then 1.0 else 0.0 end) as low_share,
    from scaled
    group by moment
)

select
    j.moment,
    j.label_zh,
    j.label_en,
    j.stage,
    j.is_peak,
    j.scale_min,
    j.scale_max,
    j.study,
    j.added_by_region,
    j.added_by_hall,
    coalesce(p.ratings, 0) as ratings,
    p.mean_score,
    p.mean_on_five,
    p.low_share,
    coalesce(l.unhappy_lowest, 0) as unhappy_lowest,
    (
        select count(distinct visit_id),
        from unhappy
        where before_exit >= 2
    ) as unhappy_visits,
from journey as j
left join per_moment as p on j.moment = p.moment
left join lowest as l on j.moment = l.moment
order by j.stage_order, j.position
