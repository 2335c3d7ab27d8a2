"""The morning brief (晨会简报) and the wall sheet (上墙): a hall's numbers put together from
the hall page, Insights and the peers' ranks, on screen and as one printed page."""
