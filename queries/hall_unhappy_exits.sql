-- one row: the unhappy exits (score 1-2) split by what came before them: a wait over the hall's target, a low peak score (1-2), both or neither
with unhappy as (
    select
        coalesce(wait_s > wait_target_s, false) as long_wait,
        coalesce(peak_score <= 2, false) as low_peak,
    from filtered_visits
    where exit_score <= 2
)

select
    (select count(exit_score), from filtered_visits) as exit_ratings,
    count(*) as unhappy_exits,
    count(*) filter (where long_wait and not low_peak) as after_long_wait,
    count(*) filter (where low_peak and not long_wait) as after_low_peak,
    count(*) filter (where long_wait and low_peak) as after_both,
    count(*) filter (where not long_wait and not low_peak) as after_neither,
from unhappy
