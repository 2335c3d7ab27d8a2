-- one row per purpose x staff member x segment among the user's visits that pass the filter
select distinct
    purpose,
    staff_id,
    segment,
from filtered_visits
