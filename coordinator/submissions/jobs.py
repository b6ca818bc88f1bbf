from coordinator.scheduler.registry import due_job
from coordinator.submissions.services import run_requests


@due_job("update-requests")
def update_requests(keeper, now):
    """Send agencies' update requests and reminders that have fallen due; close finished ones."""
    return run_requests(now, may_go_on=keeper.may_go_on)
