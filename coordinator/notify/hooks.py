"""The outbox's part in what other areas announce (coordinator.hooks)."""
import logging

from coordinator.hooks import on
from coordinator.notify.services import release_abandoned_claims
from coordinator.scheduler.signals import lease_taken_over

log = logging.getLogger(__name__)


@on(lease_taken_over)
def return_abandoned_claims(holder: str) -> int:
    released = release_abandoned_claims(holder)
    if released:
        log.warning("took over the scheduler lease; %d message(s) claimed by the previous holder returned to "
                    "the queue", released)
    return released
