-- one row: the view just saved (a view with the same owner and name is replaced)
insert into saved_views (owner, name, query_string, saved_at)
values ($owner, $view_name, $query_string, now()::timestamp)
on conflict (owner, name) do update
    set
        query_string = excluded.query_string,
        saved_at = excluded.saved_at
returning name, query_string, saved_at
