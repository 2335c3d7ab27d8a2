-- one row per served visit that passes every filter, as the wait rows of queries/_moment_visits.sql (what the rollup twin of insights_moments reads for the wait median alone)
select
    hall_id,
    'wait' as moment,
    wait_s / 60 as value,
from filtered_visits
where not abandoned
    and called_at is not null
