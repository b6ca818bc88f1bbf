"""Oversight: a team manager's dashboard of the team's outstanding work, and the partnership's learning
(aggregate, de-identified measures). The top layer: it reads every area's records and nothing imports it
but the application factory."""
