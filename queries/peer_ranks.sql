-- one row per hall the signed-in user may see x peer group (its region; the halls of its type) of at least $min_group halls: the hall's rank, out of how many halls, and how many of them it does better than, per headline metric; never another hall's id, name or numbers
-- The peers are outside the user's view on purpose: hall_numbers reads every hall of the
-- network, not scoped_halls. Only the final select leaves this query, and it keeps the
-- scope's own halls and nothing of the others but the size of the group and the ranks.
-- A metric ranked over fewer than $min_group halls has no rank.
-- peakend/warehouse/db.py (PEER_QUERIES) checks every answer's columns and halls on the server.
with hall_numbers as (
    -- every hall's numbers (queries/_peer_hall_numbers.sql, or its rollup twin)
    select *, from peer_hall_numbers
),

-- a metric is ranked only where it rests on at least $min_n waits or ratings
judged as (
    select
        n.hall_id,
        h.region,
        h.hall_type,
        case when n.wait_n >= $min_n then n.wait_median_min end as wait_median_min,
        case when n.visits >= $min_n then n.abandonment_rate end as abandonment_rate,
        case when n.peak_end_n >= $min_n then n.peak_end_index end as peak_end_index,
        case when n.exit_n >= $min_n then n.exit_mean end as exit_mean,
    from hall_numbers as n
    inner join halls as h on n.hall_id = h.hall_id
),

peers as (
    select *, 'region' as peer_group, region as group_name, from judged
    union all by name
    select *, 'hall_type' as peer_group, hall_type as group_name, from judged
    where hall_type is not null
),

ranked as (
    select
        hall_id,
        peer_group,
        group_name,
        count(*) over peer as group_halls,
        -- lower is better for the wait and abandonment, higher for the scores; _beats: the
        -- peers with a worse value (ties beat nobody)
        case when wait_median_min is not null then rank() over (peer order by wait_median_min asc nulls last) end as wait_median_min_rank,
        count(wait_median_min) over peer as wait_median_min_ranked,
        case when wait_median_min is not null then rank() over (peer order by wait_median_min desc nulls last) - 1 end as wait_median_min_beats,
        case when abandonment_rate is not null then rank() over (peer order by abandonment_rate asc nulls last) end as abandonment_rate_rank,
        count(abandonment_rate) over peer as abandonment_rate_ranked,
        case when abandonment_rate is not null then rank() over (peer order by abandonment_rate desc nulls last) - 1 end as abandonment_rate_beats,
        case when peak_end_index is not null then rank() over (peer order by peak_end_index desc nulls last) end as peak_end_index_rank,
        count(peak_end_index) over peer as peak_end_index_ranked,
        case when peak_end_index is not null then rank() over (peer order by peak_end_index asc nulls last) - 1 end as peak_end_index_beats,
        case when exit_mean is not null then rank() over (peer order by exit_mean desc nulls last) end as exit_mean_rank,
        count(exit_mean) over peer as exit_mean_ranked,
        case when exit_mean is not null then rank() over (peer order by exit_mean asc nulls last) - 1 end as exit_mean_beats,
    from peers
    window peer as (partition by peer_group, group_name)
)

select
    r.hall_id,
    h.hall_name,
    r.peer_group,
    r.group_name,
    r.group_halls,
    case when r.wait_median_min_ranked >= $min_group then r.wait_median_min_rank end as wait_median_min_rank,
    r.wait_median_min_ranked,
    case when r.wait_median_min_ranked >= $min_group then r.wait_median_min_beats end as wait_median_min_beats,
    case when r.abandonment_rate_ranked >= $min_group then r.abandonment_rate_rank end as abandonment_rate_rank,
    r.abandonment_rate_ranked,
    case when r.abandonment_rate_ranked >= $min_group then r.abandonment_rate_beats end as abandonment_rate_beats,
    case when r.peak_end_index_ranked >= $min_group then r.peak_end_index_rank end as peak_end_index_rank,
    r.peak_end_index_ranked,
    case when r.peak_end_index_ranked >= $min_group then r.peak_end_index_beats end as peak_end_index_beats,
    case when r.exit_mean_ranked >= $min_group then r.exit_mean_rank end as exit_mean_rank,
    r.exit_mean_ranked,
    case when r.exit_mean_ranked >= $min_group then r.exit_mean_beats end as exit_mean_beats,
from ranked as r
inner join scoped_halls as h on r.hall_id = h.hall_id
where r.group_halls >= $min_group
order by r.hall_id asc, r.peer_group desc
