"""PDFs of the pre-meeting pack, the minutes and the family's copy, read back with poppler's pdftotext as a
reader's own tools would: the content, the protective marking and whom the copy was made for on every page,
the page numbers, what is not for the family left out of its copy, the same access as the page, every
download audited."""
from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from collections import Counter
from pathlib import Path

import pytest
from sqlalchemy import select

from coordinator.extensions import db
from coordinator.timeutil import long_date
from tests.minutes.helpers import (
    SCHOOL_REASON,
    answer_invitations,
    audit_events,
    give_update,
    health_update,
    open_page,
    published,
    school_update,
    today,
)
from tests.support.people import signed_in

# Debian's poppler-utils reads the PDFs back (`make test` installs it: `make poppler`).
assert shutil.which("pdftotext"), "pdftotext is missing: run `make poppler`"

WORRIES = "A man seen leaving the flat early in the morning."
REASON = "Names a third party who has not been told."


class Downloaded(list):
    """Each page's text without the diagonal watermark, whitespace made single (a sentence may wrap over
    lines), as a reader's tools give the content; ``layouts``: each page as laid out, watermark included."""

    layouts: list[str]


def pdf_pages(pdf: bytes) -> Downloaded:
    assert pdf.startswith(b"%PDF-"), pdf[:40]
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "copy.pdf"
        path.write_bytes(pdf)
        info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True, check=True).stdout
        count = int(re.search(r"^Pages:\s+(\d+)", info, re.M).group(1))
        assert re.search(r"^Tagged:\s+yes", info, re.M), info  # a tagged PDF: structure for assistive technology

        def text(number: int, *options: str) -> str:
            return subprocess.run(["pdftotext", *options, "-f", str(number), "-l", str(number), str(path), "-"],
                                  capture_output=True, text=True, check=True).stdout

        pages = Downloaded(" ".join(text(n, "-nodiag").split()) for n in range(1, count + 1))
        pages.layouts = [text(n, "-layout") for n in range(1, count + 1)]
    return pages


def download(client, url: str) -> Downloaded:
    response = client.get(url)
    assert response.status_code == 200, (url, response.status_code)
    assert response.mimetype == "application/pdf"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    return pdf_pages(response.data)


def assert_every_page_marked(pages: Downloaded, user, marking: str = "OFFICIAL-SENSITIVE") -> None:
    """On every page: the marking and "Page n of N" at the head; the marking and whom the copy was made for
    (name, agency, the day) at the foot; and they again as the diagonal watermark."""
    made_for = f"{user.name}, {user.agency.name}, {long_date(today())}"
    for number, layout in enumerate(pages.layouts, start=1):
        lines = [line.split() for line in layout.splitlines() if line.strip()]
        head, foot = " ".join(lines[0]), " ".join(" ".join(line) for line in lines[-3:])
        assert marking in head and f"Page {number} of {len(pages)}" in head, (number, head)
        assert marking in foot and f"Made for {made_for}" in foot, (number, foot)
        # The diagonal watermark: its letters are on the page besides what reads across it.
        diagonal = Counter(layout.replace(" ", "").replace("\n", "")) - Counter(
            "".join(pages[number - 1].split()))
        assert not Counter(made_for.replace(" ", "")) - diagonal, (number, diagonal)


def long_minutes(team):
    """Minutes long enough to run over several pages, with a section and the school's worries withheld."""
    meeting = team.meetings[0]
    answer_invitations(team, meeting)
    give_update(meeting, team.member, health_update(team, scale=4))
    school = school_update(team, scale=6, withhold=True)
    school["not_for_family"] = ["worries"]
    give_update(meeting, team.school, school)
    decisions = "\n".join(f"Decision {n}: the plan continues, reviewed at each meeting." for n in range(1, 90))
    version = published(team, meeting, worries=WORRIES, decisions=decisions, strengths="Mum brings the baby to clinic.",
                        not_for_family=["worries"], withheld_reason=REASON)
    return meeting, version


def test_the_minutes_pdf_has_the_content_the_marking_and_the_reader_on_every_numbered_page(team, client_for):
    meeting, version = long_minutes(team)
    pages = download(client_for(team.member), team.version(meeting, 1, "/minutes.pdf"))
    assert len(pages) >= 2
    assert_every_page_marked(pages, team.member)
    text = " ".join(pages)
    assert "Minutes, version 1" in text
    assert WORRIES in text  # the professionals' copy is whole
    assert "Decision 89: the plan continues" in text
    assert "Tired and hungry on Mondays" in text and "Oakfield Primary 6" in text
    events = audit_events("minutes_pdf_downloaded")
    assert [(e.actor_id, e.object_id, e.family_id) for e in events] == [(team.member.id, str(version.id), team.family.id)]
    # The page offers the download.
    page = open_page(client_for(team.member), team.version(meeting, 1))
    assert page.link("Download the minutes (PDF)") == team.version(meeting, 1, "/minutes.pdf")
    assert page.link("Download the family copy (PDF)") is None  # the chair or the lead makes the family's copy


def test_the_family_copy_pdf_leaves_out_exactly_what_is_withheld(team, client_for):
    meeting, version = long_minutes(team)
    url = team.version(meeting, 1, "/family-copy.pdf")
    pages = download(client_for(team.chair), url)
    assert_every_page_marked(pages, team.chair)
    text = " ".join(pages)
    assert "Copy for the family: minutes, version 1" in text
    assert WORRIES not in text  # the section marked not for the family
    assert "Tired and hungry on Mondays" not in text  # the school's worries, which it withheld
    assert "Oakfield Primary 6" in text  # ... but not its safety scale
    assert "Mum brings the baby to clinic." in text and "Health visiting 4" in text
    assert f"What we are worried about: {REASON}" in text
    assert SCHOOL_REASON in text
    assert "Distribution" not in text
    assert [e.actor_id for e in audit_events("minutes_family_copy_pdf_downloaded")] == [team.chair.id]
    page = open_page(client_for(team.chair), team.version(meeting, 1, "/family-copy"))
    assert page.link("Download the family copy (PDF)") == url


def test_a_pdf_follows_the_pages_access_rules_and_refusals_are_not_audited_as_downloads(team, client_for):
    meeting, _ = long_minutes(team)
    minutes_pdf = team.version(meeting, 1, "/minutes.pdf")
    family_pdf = team.version(meeting, 1, "/family-copy.pdf")
    assert client_for(team.outsider).get(minutes_pdf).status_code == 404
    assert client_for(team.outsider).get(family_pdf).status_code == 404
    assert client_for(team.school).get(family_pdf).status_code == 403  # only the chair or the lead
    assert client_for(team.gp).get(minutes_pdf).status_code == 200  # a guest invited to the meeting reads its minutes
    assert client_for(team.gp).get(family_pdf).status_code == 404
    assert [e.actor_id for e in audit_events("minutes_pdf_downloaded")] == [team.gp.id]
    assert audit_events("minutes_family_copy_pdf_downloaded") == []


def test_the_pack_pdf_is_the_pack_for_those_who_may_read_it(app, team, client_for):
    meeting = team.meetings[-1]
    give_update(meeting, team.member, health_update(team, scale=4))
    url = f"/families/{team.ref}/meetings/{meeting.id}/pack.pdf"
    pages = download(client_for(team.chair), url)
    assert_every_page_marked(pages, team.chair)
    text = " ".join(pages)
    assert "Pre-meeting pack" in text and "What needs attention" in text
    assert "Baby clean and fed at each of three visits." in text
    assert "download the pack" not in text  # the page's own links and buttons are not in the copy
    assert [e.actor_id for e in audit_events("pack_pdf_downloaded")] == [team.chair.id]
    assert client_for(team.outsider).get(url).status_code == 404
    assert client_for(team.school).get(url).status_code == 403  # the school sent no update: no pack
    assert len(audit_events("pack_pdf_downloaded")) == 1
    pack = open_page(client_for(team.chair), f"/families/{team.ref}/meetings/{meeting.id}/pack")
    assert pack.link("download the pack (PDF)") == url


def test_the_protective_marking_is_a_setting(app, team, client_for):
    meeting, _ = long_minutes(team)
    app.config["PROTECTIVE_MARKING"] = "OFFICIAL"
    try:
        pages = download(client_for(team.lead), team.version(meeting, 1, "/minutes.pdf"))
    finally:
        app.config["PROTECTIVE_MARKING"] = "OFFICIAL-SENSITIVE"
    assert_every_page_marked(pages, team.lead, marking="OFFICIAL")
    assert "OFFICIAL-SENSITIVE" not in " ".join(pages)


# --- the demo family -------------------------------------------------------------------------------------------

DEMO_PASSWORD = "demo password for the pdf tests"


@pytest.fixture
def harrow(app):
    from coordinator.demo import load_demo
    from coordinator.families.models import Family

    load_demo(DEMO_PASSWORD)
    db.session.commit()
    return db.session.scalar(select(Family).where(Family.family_name == "Harrow"))


def test_the_demo_familys_pdfs_show_the_actions_household_and_family_copy(app, harrow):
    from coordinator.auth.services import user_by_email
    from coordinator.meetings.models import MeetingSeries, OccurrenceStatus
    from coordinator.minutes import services

    held = sorted((o for s in db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == harrow.id))
                   for o in s.occurrences if o.status is OccurrenceStatus.HELD), key=lambda o: o.starts_at)
    second, latest = held[1], held[-1]
    lead = signed_in(app, "lead@demo.invalid")
    base = f"/families/{harrow.reference}/minutes"

    # Actions stay owned: the social worker's visit to Dean Carter was not done, and was carried forward.
    number = services.minutes_for(second).latest_version.number
    response = lead.get(f"{base}/{second.id}/v{number}/minutes.pdf")
    pages = pdf_pages(response.data)
    text = " ".join(pages)
    assert re.search(r"Social worker to meet Dean Carter: Carried forward from \w+ \d+ \w+ \d{4} to \w+ \d+ \w+ \d{4}, "
                     r"owned by [\w ]+: not done because Two visits, no answer", text), text
    lead_user = user_by_email("lead@demo.invalid")
    assert_every_page_marked(pages, lead_user)

    # The household in the pack: the unknown man reported by the health visitor, and Dean never seen.
    upcoming = next(o for s in db.session.scalars(select(MeetingSeries).where(MeetingSeries.family_id == harrow.id))
                    for o in sorted(s.occurrences, key=lambda o: o.starts_at)
                    if o.status is not OccurrenceStatus.CANCELLED and o.day >= today())
    chair = signed_in(app, "chair@demo.invalid")
    response = chair.get(f"/families/{harrow.reference}/meetings/{upcoming.id}/pack.pdf")
    assert response.status_code == 200
    pack = " ".join(pdf_pages(response.data))
    assert "Dean Carter: never seen by any agency" in pack
    assert "Man in his 20s with a dog" in pack
    # What issue 15 brings to the pack reaches its PDF too: the parent's account against what was seen, each
    # man's known concerns beside the domestic-abuse enquiries, the overdue action and its owner, the last
    # decisions, each child's goals with their trend, and the baby's not-brought timeline.
    assert ("Reported and observed disagree: the parent told Demo NHS Trust Health Visiting the children went to "
            "every appointment") in pack
    assert "Dean Carter: known concerns on the family record: violence or offending" in pack
    assert re.search(r"Action overdue since \w+day \d+ \w+ \d{4}: Social worker to meet Dean Carter \(owned by Lee "
                     r"Lead", pack), pack
    assert "Decisions at the last meeting" in pack and "Goals, their scores and trend" in pack
    assert "Ruby Harrow was not brought to 3 appointments over 2 meetings" in pack
    assert "Domestic abuse: each adult" in pack

    # The family copy of the latest minutes: the worries withheld, the reason given.
    number = services.minutes_for(latest).latest_version.number
    whole = " ".join(pdf_pages(lead.get(f"{base}/{latest.id}/v{number}/minutes.pdf").data))
    copy_pages = pdf_pages(lead.get(f"{base}/{latest.id}/v{number}/family-copy.pdf").data)
    assert_every_page_marked(copy_pages, lead_user)
    copy = " ".join(copy_pages)
    assert "A neighbour told the school of shouting late at night." in whole
    assert "A neighbour told the school of shouting late at night." not in copy
    assert "Names a neighbour who spoke to the school in confidence." in copy
    assert "Ruby is cared for every day by adults who meet her needs" in copy  # goals are kept
