-- one row per visit in the user's scope that passes every filter, with its hall, peak moment and targets
select
    v.* exclude (load_id),
    h.hall_name,
    h.region,
    h.city,
    h.hall_type,
    coalesce(p.peak_moment, 'other') as peak_moment,
    cast(v.arrived_at as date) as visit_date,
    hour(v.arrived_at) as arrival_hour,
    isodow(v.arrived_at) as weekday,
    visit_peak_end(v.peak_score, v.exit_score) as peak_end,
    h.wait_target_s,
    h.service_level_target,
    h.max_abandonment,
    h.peak_target,
    h.exit_target,
    h.sl_rule,
    h.sl_short_abandon_s,
from visits as v
inner join scoped_halls as h on v.hall_id = h.hall_id
left join purposes as p on v.purpose = p.purpose
where true
    and ($date_from is null or v.arrived_at >= $date_from::date)
    and ($date_to is null or v.arrived_at < $date_to::date + interval 1 day)
    and ($regions is null or list_contains($regions, h.region))
    and ($cities is null or list_contains($cities, h.city))
    and ($halls is null or list_contains($halls, v.hall_id))
    and ($purposes is null or list_contains($purposes, v.purpose))
    and ($peak_moments is null or list_contains($peak_moments, coalesce(p.peak_moment, 'other')))
    and ($hour_from is null or hour(v.arrived_at) >= $hour_from)
    and ($hour_to is null or hour(v.arrived_at) <= $hour_to)
    and ($weekdays is null or list_contains($weekdays, isodow(v.arrived_at)))
    and ($staff is null or list_contains($staff, v.staff_id))
    and ($segments is null or list_contains($segments, v.segment))
    and ($peak_min is null or v.peak_score >= $peak_min)
    and ($peak_max is null or v.peak_score <= $peak_max)
    and ($exit_min is null or v.exit_score >= $exit_min)
    and ($exit_max is null or v.exit_score <= $exit_max)
    and ($overall_min is null or v.overall_score >= $overall_min)
    and ($overall_max is null or v.overall_score <= $overall_max)
    and ($abandoned is null or v.abandoned = $abandoned)
    and ($has_comment is null or (coalesce(trim(v.exit_comment), '') <> '') = $has_comment)
    and ($comment_contains is null or list_bool_and(list_transform($comment_contains, lambda p: coalesce(regexp_matches(v.exit_comment, p), false))))
    -- day notes marked leave_out: one line with its subquery (a filter line is dropped whole when unused)
    and ($skip_noted is null or not exists (select 1 from day_notes as n where n.leave_out and n.hall_id = v.hall_id and n.day = cast(v.arrived_at as date) and (n.hour_from is null or hour(v.arrived_at) between n.hour_from and n.hour_to)))  -- noqa
