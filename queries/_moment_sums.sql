-- one row per hall and key moment with visits through it: the plain sums behind its mean, spread and regressions, which add up to the all-halls line without a second pass over the visits; each regression counts a visit only where both values are known
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
from moment_visits
group by all
