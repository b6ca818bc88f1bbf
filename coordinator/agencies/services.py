"""Agencies: created and changed by administrators. Names are unique whatever their case."""
from __future__ import annotations

from sqlalchemy import func, select

from coordinator.agencies.models import Agency, AgencyKind
from coordinator.audit import services as audit
from coordinator.concurrency import claim_revision, flush_or_raise
from coordinator.extensions import db


class AgencyError(ValueError):
    """A rule refused the change; ``field`` names the form field it concerns."""

    def __init__(self, message: str, field: str = "name"):
        super().__init__(message)
        self.field = field


class StaleAgency(AgencyError):
    """Someone else saved the agency since the form was opened."""


NAME_TAKEN = "An agency with this name already exists"


def name_taken(name: str, but: int | None = None) -> bool:
    return db.session.scalar(select(Agency.id).where(func.lower(Agency.name) == name.strip().lower(),
                                                     Agency.id != (but or 0))) is not None


def save_agency(agency: Agency | None, *, name: str, kind: AgencyKind, secure_email_domain: str | None, active: bool,
                expected_revision: int | None = None) -> Agency:
    """Create (``agency`` None) or change an agency. A name another agency has, in any case, is refused; so is
    a save made from a form opened before someone else's save. The database's case-insensitive unique
    index decides between two administrators saving the same name at the same instant."""
    name = name.strip()
    if name_taken(name, but=agency.id if agency else None):
        raise AgencyError(NAME_TAKEN)
    new = agency is None
    if agency is None:
        agency = Agency()
        db.session.add(agency)
    else:
        claim_revision(agency, expected_revision, StaleAgency(
            "Someone else saved this agency while you were editing it"))
    agency.name = name
    agency.kind = kind
    agency.secure_email_domain = (secure_email_domain or "").strip().lower() or None
    agency.active = bool(active)
    flush_or_raise(AgencyError(NAME_TAKEN))
    audit.record("agency_created" if new else "agency_updated", object_type="agency", object_id=agency.id,
                 detail=f"{agency.name}; active={agency.active}")
    return agency


def active_agencies() -> list[Agency]:
    return list(db.session.scalars(select(Agency).where(Agency.active.is_(True)).order_by(Agency.name)))
