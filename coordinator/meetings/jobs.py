from coordinator.meetings.services import extend_all, withdraw_lapsed_invitations
from coordinator.scheduler.registry import due_job


@due_job("extend-meetings")
def extend_meetings(keeper, now):
    """Keep every active series' meetings generated up to the horizon."""
    return extend_all(now, may_go_on=keeper.may_go_on)


@due_job("withdraw-lapsed-invitations")
def withdraw_lapsed(keeper, now):
    """Take people whose place in a family's network has ended (by date) off its running series."""
    return withdraw_lapsed_invitations(now, may_go_on=keeper.may_go_on)
