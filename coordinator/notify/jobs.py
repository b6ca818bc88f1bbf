from coordinator.notify.services import send_due
from coordinator.scheduler.registry import due_job
from coordinator.scheduler.services import acquire_lease


@due_job("send-outbox")
def send_outbox(holder, now):
    # A backlog can take longer than the lease: renew it as the sending goes, and stop if it was lost.
    return send_due(holder, now, still_holder=lambda: acquire_lease(holder))
