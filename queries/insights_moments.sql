-- one row per key moment (wait, the three peak moments, exit) for each hall, and for all the halls in the filter together (hall_id null): visits through it, its ratings or waits with their mean and spread, the wait's median (waits are skewed; of the hall $median_hall only, or of every hall and all together when it is null), and the simple regressions of a visit's peak-end index and NPS points on it
with scored as (
    -- read three times below: only the columns they need
    select
        hall_id, abandoned, called_at, wait_s, peak_moment, peak_score, exit_score, peak_end,
        -- a visit's share of the NPS: promoters count +100, detractors -100, the rest 0
        case
            when overall_score >= 9 then 100.0
            when overall_score <= 6 then -100.0
            when overall_score is not null then 0.0
        end as nps_points,
    from filtered_visits
),

visit_moments as (
    select hall_id, 'wait' as moment, wait_s / 60 as value, peak_end, nps_points,
    from scored
    where not abandoned
        and called_at is not null
    union all
    select hall_id, peak_moment as moment, peak_score::double as value, peak_end, nps_points,
    from scored
    where not abandoned
        and peak_moment in ('counter_result', 'data_experience', 'phone_purchase')
    union all
    -- every visit ends, served or not: the exit score as the headline counts it
    select hall_id, 'exit' as moment, exit_score::double as value, peak_end, nps_points,
    from scored
),

sums as (
    -- plain sums per hall and moment, which add up to the all-halls line without a second
    -- pass over the visits; each regression counts a visit only where both values are known
    select
        hall_id,
        moment,
        count(*) as visits,
        count(value) as n,
        sum(value) as x,
        sum(value * value) as xx,
        count(value + peak_end) as i_n,
        sum(value) filter (where peak_end is not null) as i_x,
        sum(peak_end) filter (where value is not null) as i_y,
        sum(value * value) filter (where peak_end is not null) as i_xx,
        sum(value * peak_end) as i_xy,
        sum(peak_end * peak_end) filter (where value is not null) as i_yy,
        count(value + nps_points) as p_n,
        sum(value) filter (where nps_points is not null) as p_x,
        sum(nps_points) filter (where value is not null) as p_y,
        sum(value * value) filter (where nps_points is not null) as p_xx,
        sum(value * nps_points) as p_xy,
        sum(nps_points * nps_points) filter (where value is not null) as p_yy,
    from visit_moments
    group by all
),

lines as (
    select *, from sums
    union all
    select
        null as hall_id,
        moment,
        sum(visits) as visits,
        sum(n) as n,
        sum(x) as x,
        sum(xx) as xx,
        sum(i_n) as i_n,
        sum(i_x) as i_x,
        sum(i_y) as i_y,
        sum(i_xx) as i_xx,
        sum(i_xy) as i_xy,
        sum(i_yy) as i_yy,
        sum(p_n) as p_n,
        sum(p_x) as p_x,
        sum(p_y) as p_y,
        sum(p_xx) as p_xx,
        sum(p_xy) as p_xy,
        sum(p_yy) as p_yy,
    from sums
    group by moment
),

wait_medians as (
    select hall_id, median(value) as value_median,
    from visit_moments
    where moment = 'wait'
        and ($median_hall is null or hall_id = $median_hall)
    group by grouping sets ((hall_id), ())
),

centred as (
    -- sums of squares and products about the means, as regr_sxx / regr_sxy / regr_syy give them
    select
        *,
        xx - x * x / nullif(n, 0) as ss,
        i_xx - i_x * i_x / nullif(i_n, 0) as i_sxx,
        i_xy - i_x * i_y / nullif(i_n, 0) as i_sxy,
        i_yy - i_y * i_y / nullif(i_n, 0) as i_syy,
        p_xx - p_x * p_x / nullif(p_n, 0) as p_sxx,
        p_xy - p_x * p_y / nullif(p_n, 0) as p_sxy,
        p_yy - p_y * p_y / nullif(p_n, 0) as p_syy,
    from lines
)

select
    c.hall_id,
    c.moment,
    c.visits,
    c.n,
    c.x / nullif(c.n, 0) as value_mean,
    case when c.n > 1 then sqrt(greatest(c.ss, 0) / (c.n - 1)) end as value_sd,
    m.value_median,
    c.i_n as index_n,
    case when c.i_n > 0 then c.i_sxy / nullif(c.i_sxx, 0) end as index_slope,
    case when c.i_n > 0 then greatest(c.i_sxx, 0) end as index_sxx,
    case when c.i_n > 0 then c.i_sxy end as index_sxy,
    case when c.i_n > 0 then greatest(c.i_syy, 0) end as index_syy,
    c.p_n as nps_n,
    case when c.p_n > 0 then c.p_sxy / nullif(c.p_sxx, 0) end as nps_slope,
    case when c.p_n > 0 then greatest(c.p_sxx, 0) end as nps_sxx,
    case when c.p_n > 0 then c.p_sxy end as nps_sxy,
    case when c.p_n > 0 then greatest(c.p_syy, 0) end as nps_syy,
from centred as c
left join wait_medians as m
    on c.moment = 'wait'
        and m.hall_id is not distinct from c.hall_id
        -- the all-halls median only when every hall's is asked for
        and (m.hall_id is not null or $median_hall is null)
order by c.moment, c.hall_id nulls first
