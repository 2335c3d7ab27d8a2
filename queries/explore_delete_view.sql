-- one row per view deleted (zero or one): the user's view of that name
delete from saved_views
where owner = $owner
    and name = $view_name
returning name
