-- one row per key moment of hall $hall_id's journey (the study's, the network's, its region's and its own), in journey order, with its catalogue entry and who added it
select *,
from journey_moments
where hall_id = $hall_id
order by stage_order, position
