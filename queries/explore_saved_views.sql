-- one row per view the user has saved on the explore page, most recent first
select
    name,
    query_string,
    saved_at,
from saved_views
where owner = $owner
order by saved_at desc, name asc
