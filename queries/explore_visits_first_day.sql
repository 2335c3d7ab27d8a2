-- one row: the first of the last days that together hold at least $needed visits passing every filter (and the drill-down, if any), from the rollups; null when fewer visits pass in the whole period (peakend.warehouse.rollups narrows explore_visits to these days)
with days as (
    select
        day,
        sum(visits) as visits,
    from rollup_visits
    where (
        $drill_by_1 is null
        or dimension_value($drill_by_1, region, city, hall_id, purpose, peak_moment, null, null, day::timestamp)
        is not distinct from $drill_value_1
    )
    and (
        $drill_by_2 is null
        or dimension_value($drill_by_2, region, city, hall_id, purpose, peak_moment, null, null, day::timestamp)
        is not distinct from $drill_value_2
    )
    group by day
),

from_the_end as (
    select
        day,
        sum(visits) over (order by day desc rows between unbounded preceding and current row) as visits_from_here,
    from days
)

select
    max(day) as first_day,
from from_the_end
where visits_from_here >= $needed
