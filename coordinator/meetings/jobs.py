from coordinator.meetings.services import extend_all
from coordinator.scheduler.registry import due_job


@due_job("extend-meetings")
def extend_meetings(keeper, now):
    """Keep every active series' meetings generated up to the horizon."""
    return extend_all(now, may_go_on=keeper.may_go_on)
