"""Demo families: three plan types, one unborn child, and households that show every flag."""
from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from coordinator.auth.services import existing_user
from coordinator.extensions import db
from coordinator.families import services
from coordinator.families.models import (
    Family,
    NetworkRole,
    PlanType,
    Presence,
    Relationship,
    Sex,
    SightingKind,
    YesNoUnknown,
)
from coordinator.timeutil import today

DEMO_FAMILY_NAMES = ("Harrow", "Okafor", "Patel")


def load_demo_families() -> list[Family]:
    existing = db.session.scalars(select(Family).where(Family.family_name.in_(DEMO_FAMILY_NAMES))).all()
    if existing:
        return list(existing)
    lead = existing_user("lead@demo.invalid")
    chair = existing_user("chair@demo.invalid")
    health = existing_user("health@demo.invalid")
    school = existing_user("school@demo.invalid")
    t = today()

    def network(family, members):
        for user, role, reason in members:
            services.add_to_network(family, user, role, reason=reason, actor=lead, from_date=t - timedelta(days=120))

    def member(family, actor, relationships, *, days_ago, kind, **fields):
        return services.add_member(family, actor=actor, relationships=relationships,
                                   first_recorded_on=t - timedelta(days=days_ago), source_agency_id=actor.agency_id,
                                   source_kind=kind, **fields)

    # 1. Child protection: a baby whose father, known for serious offending, no agency has seen.
    harrow = services.create_family(lead=lead, family_name="Harrow", plan_type=PlanType.CHILD_PROTECTION,
                                    address="14 Mill Lane, Demotown DT1 4AB", language="English",
                                    reason_for_sharing="Allocated social worker: child protection plan")
    harrow.created_at = harrow.created_at - timedelta(days=120)
    for m in harrow.network:
        m.from_date = t - timedelta(days=120)
    network(harrow, [
        (chair, NetworkRole.CHAIR, "Chairs the core group"),
        (health, NetworkRole.MEMBER, "Health visitor for the baby"),
        (school, NetworkRole.MEMBER, "Designated safeguarding lead at the older child's school"),
    ])
    ruby = services.add_child(harrow, actor=lead, name="Ruby Harrow", date_of_birth=t - timedelta(days=160),
                              sex=Sex.FEMALE, nhs_number="9434765919", on_plan=True)
    jack = services.add_child(harrow, actor=lead, name="Jack Harrow", date_of_birth=t - timedelta(days=6 * 365 + 40),
                              sex=Sex.MALE, school_or_setting="Demo Primary School", on_plan=True)
    kelly = member(harrow, health, {ruby.id: Relationship.MOTHER, jack.id: Relationship.MOTHER}, days_ago=110,
           kind=SightingKind.SEEN, name="Kelly Harrow", sex=Sex.FEMALE, presence=Presence.LIVES_IN,
           parental_responsibility=YesNoUnknown.YES, mental_health=True,
           concern_notes="Post-natal depression; told the health visitor she is coping.")
    services.record_sighting(kelly, actor=health, kind=SightingKind.SEEN, on=t - timedelta(days=6),
                             note="Home visit; baby seen")
    dean = member(harrow, lead, {ruby.id: Relationship.FATHER}, days_ago=100, kind=SightingKind.TOLD_OF,
                  name="Dean Carter", sex=Sex.MALE, presence=Presence.SIGNIFICANT_ELSEWHERE,
                  parental_responsibility=YesNoUnknown.NOT_KNOWN, violence_offending=True, mental_health=True,
                  da_perpetrator=True, source_note="Named by the mother as Ruby's father",
                  concern_notes="Known to police and probation for serious violent offending, including domestic abuse "
                                "of a former partner; complex mental health needs.")
    services.record_sighting(dean, actor=lead, kind=SightingKind.TOLD_OF, on=t - timedelta(days=10),
                             note="Mother says he visits 'now and then'")

    # 2. Child in need: an unborn baby, a partner not confirmed for over 42 days, an unknown man reported.
    okafor = services.create_family(lead=lead, family_name="Okafor", plan_type=PlanType.CHILD_IN_NEED,
                                    address="Flat 3, 22 Station Road, Demotown DT2 9XY", language="Yoruba",
                                    interpreter_needed=True, interpreter_notes="Yoruba, female interpreter preferred",
                                    reason_for_sharing="Allocated social worker: child in need plan")
    network(okafor, [
        (chair, NetworkRole.CHAIR, "Chairs the child in need reviews"),
        (health, NetworkRole.MEMBER, "Midwifery and health visiting for the unborn baby"),
    ])
    unborn = services.add_child(okafor, actor=lead, name="Unborn baby Okafor", expected_due_date=t + timedelta(days=90),
                                sex=Sex.NOT_KNOWN, on_plan=True)
    amara = services.add_child(okafor, actor=lead, name="Amara Okafor", date_of_birth=t - timedelta(days=4 * 365),
                               sex=Sex.FEMALE, school_or_setting="Little Acorns Nursery", on_plan=True)
    member(okafor, health, {unborn.id: Relationship.MOTHER, amara.id: Relationship.MOTHER}, days_ago=30,
           kind=SightingKind.SEEN, name="Grace Okafor", sex=Sex.FEMALE, presence=Presence.LIVES_IN,
           parental_responsibility=YesNoUnknown.YES, da_victim=True)
    member(okafor, health, {unborn.id: Relationship.FATHER, amara.id: Relationship.STEP_PARENT}, days_ago=60,
           kind=SightingKind.SEEN, name="Tom Baker", sex=Sex.MALE, presence=Presence.LIVES_IN,
           parental_responsibility=YesNoUnknown.NO, da_perpetrator=True,
           concern_notes="Police call-out for a domestic incident last year.")
    member(okafor, lead, {amara.id: Relationship.FATHER}, days_ago=40, kind=SightingKind.TOLD_OF,
           name="Daniel Okafor", sex=Sex.MALE, presence=Presence.WHEREABOUTS_UNKNOWN,
           parental_responsibility=YesNoUnknown.YES, source_note="Amara's father: Grace has not seen him since 2024")
    member(okafor, lead, {}, days_ago=12, kind=SightingKind.TOLD_OF, sex=Sex.MALE, presence=Presence.VISITS,
           description="Man in his 30s, drives a red van, seen leaving early in the morning",
           source_note="Reported by a neighbour")

    # 3. Early help: a family where everyone has been seen recently.
    patel = services.create_family(lead=lead, family_name="Patel", plan_type=PlanType.EARLY_HELP,
                                   address="7 Orchard Close, Demotown DT3 2CD", language="English",
                                   reason_for_sharing="Early help lead professional")
    network(patel, [
        (chair, NetworkRole.CHAIR, "Chairs the team around the family"),
        (school, NetworkRole.MEMBER, "Class teacher and safeguarding lead"),
    ])
    arjun = services.add_child(patel, actor=lead, name="Arjun Patel", date_of_birth=t - timedelta(days=9 * 365),
                               sex=Sex.MALE, school_or_setting="Demo Primary School", on_plan=True)
    member(patel, school, {arjun.id: Relationship.MOTHER}, days_ago=20, kind=SightingKind.SEEN, name="Priya Patel",
           sex=Sex.FEMALE, presence=Presence.LIVES_IN, parental_responsibility=YesNoUnknown.YES)
    member(patel, school, {arjun.id: Relationship.FATHER}, days_ago=20, kind=SightingKind.SEEN, name="Raj Patel",
           sex=Sex.MALE, presence=Presence.LIVES_IN, parental_responsibility=YesNoUnknown.YES, substance_misuse=True)
    member(patel, school, {arjun.id: Relationship.GRANDPARENT}, days_ago=15, kind=SightingKind.SEEN,
           name="Meena Patel", sex=Sex.FEMALE, presence=Presence.STAYS_SOMETIMES)
    db.session.commit()
    return [harrow, okafor, patel]
