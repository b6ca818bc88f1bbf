"""Goals: agreed at a meeting, scored 0 to 10 at each meeting; the family page charts the goal scores and
each agency's safety scale over the meetings, with the same figures in a table."""
from __future__ import annotations

from sqlalchemy import select

from coordinator.extensions import db
from coordinator.minutes.models import Goal, GoalScore
from coordinator.timeutil import long_date
from tests.minutes.helpers import (
    Page,
    assert_form_error,
    banners,
    count,
    give_update,
    health_update,
    meeting_day,
    open_page,
    press,
    school_update,
)

GOAL = "The baby is cared for every day by adults who meet her needs"


def raw_text(node) -> str:
    """The text of an element the page reader leaves out as invisible (an SVG's <title>)."""
    return "".join(c for c in node.children if isinstance(c, str)).strip()


def add_goal(team, client, meeting, description=GOAL, score="3"):
    return press(team, client, meeting, "add_goal", {"goal-description": description, "goal-score": score})


def score(team, client, meeting, goal, value):
    return press(team, client, meeting, "scores", {f"score-{goal.id}": value})


def test_a_goal_is_added_at_a_meeting_and_scored_at_each_meeting(team, client_for):
    first, second, third = team.meetings
    client = client_for(team.taker)
    assert add_goal(team, client, first).status_code == 302
    goal = db.session.scalar(select(Goal))
    assert (goal.description, goal.agreed_at_id) == (GOAL, first.id)
    assert "Goal added, and the minutes saved." in banners(open_page(client, team.editor(first)))

    assert score(team, client, second, goal, "5").status_code == 302
    assert score(team, client, third, goal, "6").status_code == 302
    page = open_page(client, team.editor(third))
    assert "Scores saved (1), and the minutes saved." in banners(page)
    assert page.value(f"score-{goal.id}") == "6"
    db.session.expire_all()
    scores = db.session.scalars(select(GoalScore).where(GoalScore.goal_id == goal.id).order_by(GoalScore.id)).all()
    assert [(s.occurrence_id, s.score) for s in scores] == [(first.id, 3), (second.id, 5), (third.id, 6)]

    # Scoring the same meeting again changes its score rather than adding another.
    assert score(team, client, third, goal, "7").status_code == 302
    assert count(GoalScore) == 3
    assert db.session.scalar(select(GoalScore.score).where(GoalScore.occurrence_id == third.id)) == 7


def test_a_goal_is_for_one_child_or_for_the_whole_family(team, client_for):
    first = team.meetings[0]
    client = client_for(team.taker)
    page = open_page(client, team.editor(first))
    options = [o.text() for o in page.find("select", name="goal-child_id").find_all("option")]
    assert options == ["The whole family", team.child.display_name]
    assert press(team, client, first, "add_goal", {"goal-description": GOAL, "goal-score": "3",
                                                    "goal-child_id": str(team.child.id)}).status_code == 302
    assert press(team, client, first, "add_goal", {"goal-description": "The home is warm and safe",
                                                    "goal-score": ""}).status_code == 302
    db.session.expire_all()
    goals = db.session.scalars(select(Goal).order_by(Goal.id)).all()
    assert [(g.description, g.child_id) for g in goals] == [(GOAL, team.child.id), ("The home is warm and safe", None)]
    page = open_page(client, team.editor(first))
    assert f"{team.child.display_name}: {GOAL}: score today (0 to 10)" in page.text
    # Another family's child is refused, and nothing is added.
    response = press(team, client, first, "add_goal", {"goal-description": "Someone else's", "goal-child_id": "99999"})
    assert response.status_code == 200
    assert_form_error(Page(response), "Choose one of the family's children, or the whole family", "goal-child_id")
    assert count(Goal) == 2


def test_a_score_of_11_is_refused(team, client_for):
    first, second = team.meetings[:2]
    client = client_for(team.taker)
    page = Page(add_goal(team, client, first, score="11"))
    assert_form_error(page, "The score must be a whole number from 0 to 10", "goal-score")
    assert page.value("goal-description") == GOAL
    assert count(Goal) == 0

    assert add_goal(team, client, first).status_code == 302
    goal = db.session.scalar(select(Goal))
    for bad in ("11", "-1", "seven"):
        page = Page(score(team, client, second, goal, bad))
        assert page.status_code == 200 and page.title.startswith("Error: ")
        assert any("must be a whole number from 0 to 10" in m for m in page.summary_errors().values())
        assert page.value(f"score-{goal.id}") == bad  # kept, to correct
        assert count(GoalScore, GoalScore.occurrence_id == second.id) == 0


def test_the_family_page_charts_goal_scores_and_safety_scales_over_three_meetings(team, client_for):
    meetings = team.meetings
    client = client_for(team.taker)
    assert add_goal(team, client, meetings[0], score="3").status_code == 302
    goal = db.session.scalar(select(Goal))
    assert add_goal(team, client, meetings[0], description="Mum has support for her mood", score="2").status_code == 302
    second_goal = db.session.scalar(select(Goal).where(Goal.id != goal.id))
    for meeting, first_score, second_score in ((meetings[1], "5", "2"), (meetings[2], "6", "4")):
        assert press(team, client, meeting, "scores",
                     {f"score-{goal.id}": first_score, f"score-{second_goal.id}": second_score}).status_code == 302
    for meeting, health, school in zip(meetings, (3, 4, 6), (5, 5, 7), strict=True):
        give_update(meeting, team.member, health_update(team, scale=health))
        give_update(meeting, team.school, school_update(team, scale=school, withhold=False))

    page = open_page(client_for(team.member), team.family_page)
    days = [long_date(meeting_day(m)) for m in meetings]

    goals = page.section("Goals")
    svg = goals.find("svg", role="img")
    assert svg is not None
    title = svg.find("title")
    assert title is not None and raw_text(title) == "Goal scores at each meeting"
    assert svg.attrs["aria-labelledby"].split()[0] == title.attrs["id"]
    assert len(svg.find_all("polyline")) == 2  # one line per goal
    header = [th.text() for th in goals.find("thead").find_all("th")]
    assert header == ["Meeting", GOAL, "Mum has support for her mood"]
    assert page.table_rows(goals) == [[days[0], "3", "2"], [days[1], "5", "2"], [days[2], "6", "4"]]

    scales = page.section(f"{team.child.display_name}: each agency's safety scale")
    svg = scales.find("svg", role="img")
    assert svg is not None and raw_text(svg.find("title")) == (
        f"{team.child.display_name}: safety scale by agency at each meeting")
    header = [th.text() for th in scales.find("thead").find_all("th")]
    assert header == ["Meeting", "Health visiting", "Oakfield Primary"]
    assert page.table_rows(scales) == [[days[0], "3", "5"], [days[1], "4", "5"], [days[2], "6", "7"]]
