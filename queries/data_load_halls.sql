-- one row per hall in the user's scope that the visits of load $load_id belong to: its name, how many visits, and their first and last day
select
    h.hall_id,
    h.hall_name,
    count(*) as visits,
    cast(min(v.arrived_at) as date) as first_day,
    cast(max(v.arrived_at) as date) as last_day,
from visits as v
inner join scoped_halls as h on v.hall_id = h.hall_id
where v.load_id = $load_id
group by h.hall_id, h.hall_name
order by h.hall_name
