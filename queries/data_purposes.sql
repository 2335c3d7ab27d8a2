-- one row per visit purpose: its labels, its peak moment and how many visits in the user's scope have it
select
    p.purpose,
    p.label_zh,
    p.label_en,
    p.peak_moment,
    coalesce(v.visits, 0) as visits,
from purposes as p
left join (
    select
        purpose,
        count(*) as visits,
    from filtered_visits
    group by purpose
) as v on p.purpose = v.purpose
order by p.peak_moment, p.purpose
