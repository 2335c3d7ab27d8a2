-- one row per key moment (wait, the three peak moments, exit) for each hall, and for all the halls in the filter together (hall_id null): visits through it, its ratings or waits with their mean and spread, the wait's median (waits are skewed; of the hall $median_hall only, or of every hall and all together when it is null), and the simple regressions of a visit's peak-end index and NPS points on it
with lines as (
    -- the sums of queries/_moment_sums.sql (or its rollup twin), then all the halls together
    select *, from moment_sums
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
    from moment_sums
    group by moment
),

wait_medians as (
    -- not additive: from the served visits' own waits (of the one hall only, when asked so)
    select hall_id, median(value) as value_median,
    from moment_visits
    where moment = 'wait'
        and ($median_hall is null or hall_id = $median_hall)
    group by grouping sets ((hall_id), ())
),

about_means as (
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
),

centred as (
    -- a spread under 1e-10 of its sum of squares is rounding, not spread (one visit, or
    -- equal values): none, and no product with it, however the sums were added up (the
    -- rollup twin adds them in another order, and a slope of rounding is no slope)
    select
        * replace (
            case when ss > 1e-10 * xx then ss else 0 end as ss,
            case when i_sxx > 1e-10 * i_xx then i_sxx else 0 end as i_sxx,
            case when i_syy > 1e-10 * i_yy then i_syy else 0 end as i_syy,
            case when i_sxx > 1e-10 * i_xx and i_syy > 1e-10 * i_yy then i_sxy else 0 end as i_sxy,
            case when p_sxx > 1e-10 * p_xx then p_sxx else 0 end as p_sxx,
            case when p_syy > 1e-10 * p_yy then p_syy else 0 end as p_syy,
            case when p_sxx > 1e-10 * p_xx and p_syy > 1e-10 * p_yy then p_sxy else 0 end as p_sxy
        ),
    from about_means
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
