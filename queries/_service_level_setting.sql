-- one row: the service-level definition every hall is counted by (set by a data admin through warehouse.set_service_level_rule; the DESIGN.md one until then)
select
    coalesce(max(value) filter (where key = 'service_level_rule'), 'after_target') as sl_rule,
    coalesce(max(try_cast(value as double)) filter (where key = 'service_level_short_abandon_s'), 0) as sl_short_abandon_s,
from meta
