"""Recurring meeting series, their occurrences, invitees and answers."""
from __future__ import annotations

from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy import Date, ForeignKey, Index, Integer, String, Time, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from coordinator.auth.models import User
from coordinator.enums import Labelled, stored_enum
from coordinator.extensions import Model
from coordinator.families.models import Family
from coordinator.timeutil import UTCDateTime, utcnow


class MeetingType(Labelled):
    PROFESSIONALS = "Professionals meeting"
    CORE_GROUP = "Core group"
    REVIEW_CONFERENCE = "Review child protection conference"
    CIN_REVIEW = "Child in need review"
    TEAM_AROUND_FAMILY = "Team around the family"

    @property
    def in_a_sentence(self) -> str:
        """"the core group meeting", "the review child protection conference": for running text."""
        words = self.value[0].lower() + self.value[1:]
        return f"the {words}" if words.endswith(("meeting", "conference", "review")) else f"the {words} meeting"


class Recurrence(Labelled):
    WEEKLY = "Every few weeks on the same weekday"
    MONTHLY_WEEKDAY = "Monthly on the same weekday, for example the second Tuesday"
    MONTHLY_DATE = "Monthly on the same date"


class SeriesEnd(Labelled):
    NEVER = "No end date"
    ON_DATE = "On a date"
    AFTER_COUNT = "After a number of meetings"


class SeriesStatus(Labelled):
    ACTIVE = "Active"
    ENDED = "Ended"
    SPLIT = "Replaced by a new schedule"


class OccurrenceStatus(Labelled):
    SCHEDULED = "Scheduled"
    MOVED = "Moved"
    CANCELLED = "Cancelled"
    HELD = "Held"


class Response(Labelled):
    ATTENDING = "Attending"
    APOLOGIES = "Sending apologies"
    DEPUTY = "Sending a deputy"
    REPORT_ONLY = "Sending a report only"
    TENTATIVE = "Not sure yet"

    @property
    def partstat(self) -> str:
        """The iCalendar participation status (RFC 5545 3.2.12) this answer is sent as."""
        return {"ATTENDING": "ACCEPTED", "APOLOGIES": "DECLINED", "DEPUTY": "DELEGATED",
                "REPORT_ONLY": "DECLINED", "TENTATIVE": "TENTATIVE"}[self.name]

    @classmethod
    def from_partstat(cls, partstat: str) -> Response | None:
        """An answer from a calendar's PARTSTAT; None for one that is no answer (NEEDS-ACTION, unknown)."""
        return {"ACCEPTED": cls.ATTENDING, "DECLINED": cls.APOLOGIES, "TENTATIVE": cls.TENTATIVE,
                "DELEGATED": cls.DEPUTY}.get(partstat.upper())


class MeetingSeries(Model):
    __tablename__ = "meeting_series"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    family_id: Mapped[int] = mapped_column(ForeignKey("families.id"), index=True)
    meeting_type: Mapped[MeetingType] = mapped_column(stored_enum(MeetingType))
    organiser_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    chair_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    minute_taker_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))
    first_date: Mapped[date] = mapped_column(Date)
    start_time: Mapped[time] = mapped_column(Time)  # wall-clock time in ``timezone``
    duration_minutes: Mapped[int] = mapped_column(Integer)
    timezone: Mapped[str] = mapped_column(String(64))
    recurrence: Mapped[Recurrence] = mapped_column(stored_enum(Recurrence))
    interval: Mapped[int] = mapped_column(Integer)  # weeks for WEEKLY, months otherwise
    end_kind: Mapped[SeriesEnd] = mapped_column(stored_enum(SeriesEnd))
    until_date: Mapped[date | None] = mapped_column(Date)
    count: Mapped[int | None] = mapped_column(Integer)
    location: Mapped[str | None] = mapped_column(String(300))
    online_link: Mapped[str | None] = mapped_column(String(500))
    # Calendar identity: one random UID for the series' life, one SEQUENCE raised on every change sent.
    uid: Mapped[str] = mapped_column(String(100), unique=True)
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[SeriesStatus] = mapped_column(stored_enum(SeriesStatus), default=SeriesStatus.ACTIVE)
    split_from_id: Mapped[int | None] = mapped_column(ForeignKey("meeting_series.id"))
    # Occurrences exist up to here; the scheduler extends series whose horizon is running out.
    generated_until: Mapped[datetime | None] = mapped_column(UTCDateTime, index=True)
    # Raised on every saved change, so two editors cannot overwrite each other unawares.
    revision: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    family: Mapped[Family] = relationship()
    organiser: Mapped[User] = relationship(foreign_keys=[organiser_id])
    chair: Mapped[User | None] = relationship(foreign_keys=[chair_id])
    minute_taker: Mapped[User | None] = relationship(foreign_keys=[minute_taker_id])
    occurrences: Mapped[list[Occurrence]] = relationship(back_populates="series", order_by="Occurrence.starts_at")
    invitees: Mapped[list[Invitee]] = relationship(back_populates="series", order_by="Invitee.id")

    @property
    def title(self) -> str:
        """What calendars show: the meeting type and the family's opaque reference, nothing else."""
        return f"{self.meeting_type.label} - ref {self.family.reference}"

    @property
    def current_invitees(self) -> list[Invitee]:
        return [i for i in self.invitees if i.removed_at is None]

    @property
    def rule(self):
        from coordinator.meetings.recurrence import Rule

        return Rule(self.recurrence.name, self.interval, self.first_date, self.start_time, self.timezone,
                    until_date=self.until_date if self.end_kind is SeriesEnd.ON_DATE else None,
                    count=self.count if self.end_kind is SeriesEnd.AFTER_COUNT else None)

    @property
    def zone(self) -> ZoneInfo:
        return ZoneInfo(self.timezone)

    @property
    def first_start(self) -> datetime:
        from coordinator.meetings.recurrence import to_utc

        return to_utc(datetime.combine(self.first_date, self.start_time), self.zone)

    @property
    def rule_occurrences(self) -> list[Occurrence]:
        """The meetings the RRULE makes (not the extra one-off ones, which are events of their own)."""
        return [o for o in self.occurrences if o.extra_uid is None]

    @property
    def organiser_email(self) -> str:
        from flask import current_app

        return current_app.config.get("MEETINGS_ORGANISER_EMAIL") or self.organiser.email

    @property
    def organiser_name(self) -> str:
        from flask import current_app

        return current_app.config.get("MEETINGS_ORGANISER_NAME") or self.organiser.name


class Occurrence(Model):
    __tablename__ = "occurrences"
    __table_args__ = (UniqueConstraint("series_id", "original_start"),
                      Index("ix_occurrences_series_id_starts_at", "series_id", "starts_at"))

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id"), index=True)
    # The start the rule gave it (its RECURRENCE-ID); for an extra one-off meeting, its first start.
    original_start: Mapped[datetime] = mapped_column(UTCDateTime)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    status: Mapped[OccurrenceStatus] = mapped_column(stored_enum(OccurrenceStatus), default=OccurrenceStatus.SCHEDULED)
    cancel_reason: Mapped[str | None] = mapped_column(String(500))
    move_reason: Mapped[str | None] = mapped_column(String(500))  # the organiser's, for the latest move
    location: Mapped[str | None] = mapped_column(String(300))  # when moved to another place
    online_link: Mapped[str | None] = mapped_column(String(500))
    # An extra one-off meeting is its own calendar event, with its own UID.
    extra_uid: Mapped[str | None] = mapped_column(String(100), unique=True)
    revision: Mapped[int] = mapped_column(Integer, default=1)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)

    series: Mapped[MeetingSeries] = relationship(back_populates="occurrences")
    responses: Mapped[list[InvitationResponse]] = relationship(back_populates="occurrence")

    @property
    def status_name(self) -> str:
        return self.status.name

    @property
    def family_id(self) -> int:
        return self.series.family_id

    @property
    def day(self) -> date:
        """The meeting's date where it happens (the series' zone)."""
        return self.starts_at.astimezone(self.series.zone).date()

    @property
    def is_extra(self) -> bool:
        return self.extra_uid is not None

    @property
    def where(self) -> str | None:
        return self.location or self.series.location

    @property
    def link(self) -> str | None:
        return self.online_link or self.series.online_link


class Invitee(Model):
    __tablename__ = "invitees"
    __table_args__ = (UniqueConstraint("series_id", "email"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    series_id: Mapped[int] = mapped_column(ForeignKey("meeting_series.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    email: Mapped[str] = mapped_column(String(254))
    added_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    removed_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    # An answer for the whole series, from a calendar (a REPLY with no RECURRENCE-ID): each meeting without
    # an answer of its own takes it, those generated later too. ``answer_stamp``: the reply's DTSTAMP, so an
    # older reply read later never overrides a newer one (RFC 5546 2.1.5).
    series_answer: Mapped[Response | None] = mapped_column(stored_enum(Response))
    answer_stamp: Mapped[datetime | None] = mapped_column(UTCDateTime)

    series: Mapped[MeetingSeries] = relationship(back_populates="invitees")
    user: Mapped[User] = relationship()

    def invited_to(self, occurrence: Occurrence) -> bool:
        """Whether this invitation covered the meeting: those the series was set up with were invited to
        all its meetings; one added later, to the meetings from then on, until taken off."""
        since = self.added_at if self.added_at > self.series.created_at else None
        return ((since is None or since <= occurrence.starts_at)
                and (self.removed_at is None or self.removed_at > occurrence.starts_at))


class InvitationResponse(Model):
    """An invitee's answer for one meeting, given in the application."""

    __tablename__ = "invitation_responses"
    __table_args__ = (UniqueConstraint("occurrence_id", "user_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    response: Mapped[Response] = mapped_column(stored_enum(Response))
    reason: Mapped[str | None] = mapped_column(String(500))
    deputy_name: Mapped[str | None] = mapped_column(String(200))
    deputy_email: Mapped[str | None] = mapped_column(String(254))
    responded_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # Where it was given: None in the application; "calendar" from a calendar's reply (with its DTSTAMP).
    source: Mapped[str | None] = mapped_column(String(20))
    answer_stamp: Mapped[datetime | None] = mapped_column(UTCDateTime)

    occurrence: Mapped[Occurrence] = relationship(back_populates="responses")
    user: Mapped[User] = relationship()


class CalendarFeed(Model):
    """A user's personal calendar feed. Its URL carries a token signed with the application key and this
    per-user secret; resetting the secret invalidates every earlier URL."""

    __tablename__ = "calendar_feeds"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"), unique=True)
    secret: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    # The feed's version (its ETag) when last fetched, and since when it has been that (a whole second,
    # later than any earlier version's): its Last-Modified, which rises whenever the feed changes in any way.
    version_etag: Mapped[str | None] = mapped_column(String(64))
    version_since: Mapped[datetime | None] = mapped_column(UTCDateTime)


class MeetingDeputy(Model):
    """Someone an invitee sends to one meeting in their place: invited to that meeting only (it, its
    pack's update request of the invitee, its minutes), never to the series."""

    __tablename__ = "meeting_deputies"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    for_user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))  # the invitee who sends them
    deputy_id: Mapped[int] = mapped_column(ForeignKey("users.id"), index=True)
    named_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    withdrawn_at: Mapped[datetime | None] = mapped_column(UTCDateTime)  # the invitee answered otherwise later

    occurrence: Mapped[Occurrence] = relationship()
    for_user: Mapped[User] = relationship(foreign_keys=[for_user_id])
    deputy: Mapped[User] = relationship(foreign_keys=[deputy_id])


class ProposalStatus(Labelled):
    WAITING = "Waiting for the organiser"
    ACCEPTED = "Accepted: the meeting was moved"
    DECLINED = "Declined"


class ProposedTime(Model):
    """A new time an invitee proposed from their calendar (an iTIP COUNTER) for one meeting: the lead
    accepts it (the meeting moves, everyone is sent the change) or declines it (DECLINECOUNTER to them)."""

    __tablename__ = "proposed_times"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(ForeignKey("occurrences.id"), index=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("users.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    comment: Mapped[str | None] = mapped_column(String(500))
    inbound_message_id: Mapped[int | None] = mapped_column(Integer, unique=True)  # one proposal per message
    status: Mapped[ProposalStatus] = mapped_column(stored_enum(ProposalStatus), default=ProposalStatus.WAITING)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utcnow)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id"))

    occurrence: Mapped[Occurrence] = relationship()
    user: Mapped[User] = relationship(foreign_keys=[user_id])
