from coordinator.notify.services import send_due
from coordinator.scheduler.registry import due_job


@due_job("send-outbox")
def send_outbox(holder, now):
    return send_due(holder, now)
