from coordinator.minutes.actions import remind_overdue
from coordinator.scheduler.registry import due_job


@due_job("overdue-actions")
def overdue_actions(keeper, now):
    """Email each owner, once per due date, a link to an action of theirs that is overdue."""
    return remind_overdue(now, may_go_on=keeper.may_go_on)
