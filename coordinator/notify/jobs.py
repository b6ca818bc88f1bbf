from coordinator.notify.services import send_due
from coordinator.scheduler.registry import due_job


@due_job("send-outbox")
def send_outbox(keeper, now):
    # A backlog can take longer than the lease: the keeper renews it as the sending goes, and stops the
    # sender (after the message in hand) once it is lost or the scheduler is stopping.
    return send_due(keeper.holder, now, still_holder=keeper.may_go_on)


@due_job("notification-digests")
def notification_digests(keeper, now):
    """Each morning from NOTIFICATION_DIGEST_HOUR: one email per person with what waited for their digest."""
    from coordinator.notify.personal import send_digests

    return send_digests(now)


@due_job("read-organiser-mailbox")
def read_organiser_mailbox(keeper, now):
    """Calendar answers and replies sent to the organiser address (MAIL_INBOUND): keep each, then apply it."""
    import logging

    from coordinator.notify.inbound import InboundError, collect, process_waiting

    try:
        kept = collect(keeper.may_go_on)
    except InboundError as problem:
        logging.getLogger(__name__).warning("organiser mailbox: %s", problem)
        kept = 0
    return {"kept": kept, "handled": process_waiting(keeper.may_go_on, now)}
