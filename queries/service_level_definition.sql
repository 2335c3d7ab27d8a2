-- one row: the service-level definition in force (which abandoned visits count against the service level) and the short-abandon limit in seconds
select
    sl_rule as rule,
    sl_short_abandon_s as short_abandon_s,
from service_level_setting
