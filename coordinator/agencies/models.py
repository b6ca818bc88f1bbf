from __future__ import annotations

import enum

from sqlalchemy import Boolean, Enum, Index, Integer, String, func, text
from sqlalchemy.orm import Mapped, mapped_column

from coordinator.extensions import Model
from coordinator.timeutil import UTCDateTime, utcnow


class AgencyKind(enum.Enum):
    CHILDRENS_SOCIAL_CARE = "Children's social care"
    HEALTH_VISITING = "Health visiting"
    MIDWIFERY = "Midwifery"
    GP = "GP"
    SCHOOL = "School"
    EARLY_YEARS = "Early years"
    POLICE = "Police"
    PROBATION = "Probation"
    ADULT_MENTAL_HEALTH = "Adult mental health"
    SUBSTANCE_MISUSE = "Substance misuse"
    HOUSING = "Housing"
    DOMESTIC_ABUSE_SERVICE = "Domestic-abuse service"
    OTHER = "Other"

    @property
    def label(self) -> str:
        return self.value


class Agency(Model):
    __tablename__ = "agencies"
    # Names are unique whatever their case ("Name" and "NAME" are one agency), enforced by the database so
    # that two administrators saving at once cannot both succeed.
    __table_args__ = (Index("uq_agencies_name_lower", func.lower(text("name")), unique=True),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    kind: Mapped[AgencyKind] = mapped_column(Enum(AgencyKind, native_enum=False, length=40))
    # The domain its staff's secure email comes from (e.g. nhs.net); shown to admins when inviting.
    secure_email_domain: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at = mapped_column(UTCDateTime, default=utcnow)
    revision: Mapped[int] = mapped_column(Integer, default=1, server_default="1")  # coordinator.concurrency

    def __repr__(self) -> str:
        return f"<Agency {self.id} {self.name!r}>"
