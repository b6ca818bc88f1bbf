from __future__ import annotations

from flask_wtf import FlaskForm
from govuk_frontend_wtf.wtforms_widgets import (
    GovCheckboxesInput,
    GovRadioInput,
    GovSelect,
    GovSubmitInput,
    GovTextArea,
    GovTextInput,
)
from wtforms import (
    HiddenField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    SubmitField,
    TextAreaField,
)
from wtforms.validators import InputRequired, Length, NumberRange, Optional

from coordinator.forms import GovDateField, WholeNumberField, choices, enum_choices
from coordinator.minutes import document
from coordinator.minutes.models import ActionDecision, ActionStatus
from coordinator.minutes.services import SECTIONS

TEXT = 20000

ATTENDANCE = choices([("present", "Present"), ("apologies", "Apologies"), ("absent", "Absent"),
                      ("report_received", "Absent, report received")])
PARENTS = choices([("attended", "Attended"), ("excluded", "Excluded, with the reason recorded"),
                   ("told", "Told of the meeting and its outcome")])
HOUSEHOLD = choices([("confirmed", "Confirmed at the meeting"), ("left", "Has left"), ("unknown", "Not known")])


def _text(label, hint=None):
    return TextAreaField(label, widget=GovTextArea(), description=hint,
                         validators=[Optional(), Length(max=TEXT, message=f"{label} must be {TEXT} characters or fewer")])


class MinutesFormBase(FlaskForm):
    parents_status = RadioField("Did the parents attend?", widget=GovRadioInput(), choices=PARENTS, validators=[Optional()])
    parents = _text(SECTIONS["parents"], "Who attended, or why they were excluded, and how they were told.")
    confidentiality = _text(SECTIONS["confidentiality"])
    household = _text(SECTIONS["household"], "Who lives in or visits the home, as confirmed at this meeting.")
    child_view = _text(SECTIONS["child_view"])
    worries = _text(SECTIONS["worries"])
    strengths = _text(SECTIONS["strengths"])
    needs = _text(SECTIONS["needs"])
    decisions = _text(SECTIONS["decisions"], "Each decision with its reason.")
    dissent = _text(SECTIONS["dissent"], "Who disagreed with what, and why.")
    contingency = _text(SECTIONS["contingency"], "What happens if the plan is not followed or things get worse.")
    not_for_family = SelectMultipleField("Sections that must not be shared with the family", widget=GovCheckboxesInput(),
                                         choices=choices(SECTIONS.items()), validators=[Optional()])
    withheld_reason = _text("Why they must not be shared")
    revision = HiddenField()


def build_minutes_form(*, invitees, agencies, children, members, **kwargs):
    class MinutesForm(MinutesFormBase):
        pass

    for invitee in invitees:
        setattr(MinutesForm, document.attendance_key(invitee.user_id), RadioField(
            invitee.user.name, widget=GovRadioInput(), choices=ATTENDANCE, validators=[Optional()]))
        setattr(MinutesForm, document.deputy_key(invitee.user_id), StringField(
            "Deputy, if someone came instead", widget=GovTextInput(),
            validators=[Optional(), Length(max=200, message="The deputy's name must be 200 characters or fewer")]))
    for member in members:
        setattr(MinutesForm, document.household_key(member.id), RadioField(member.display_name, widget=GovRadioInput(),
                                                                  choices=HOUSEHOLD, validators=[Optional()]))
    for agency in agencies:
        setattr(MinutesForm, document.agency_facts_key(agency.id), _text(f"{agency.name}: facts",
                                                                "What the agency saw, heard or checked."))
        setattr(MinutesForm, document.agency_opinion_key(agency.id), _text(f"{agency.name}: opinion and judgement"))
        for child in children:
            setattr(MinutesForm, document.scale_key(agency.id, child.id), WholeNumberField(
                f"{agency.name}: safety scale for {child.display_name}", widget=GovTextInput(),
                validators=[Optional(), NumberRange(min=0, max=10, message="A safety scale is a whole number from 0 to 10")]))
    return MinutesForm(**kwargs)


class ActionForm(FlaskForm):
    description = TextAreaField("What needs to be done", widget=GovTextArea(),
                                validators=[InputRequired(message="Describe the action"),
                                            Length(max=2000, message="The action must be 2000 characters or fewer")])
    owner_id = SelectField("Who will do it", widget=GovSelect(), coerce=int, validators=[Optional()])
    due_date = GovDateField("By when", validators=[InputRequired(message="Enter the date it is due by")])
    intended_outcome = TextAreaField("Intended outcome for the child", widget=GovTextArea(),
                                     validators=[Optional(), Length(max=2000, message="The outcome must be 2000 characters or fewer")])
    submit = SubmitField("Add the action", widget=GovSubmitInput())


class GoalForm(FlaskForm):
    # Each child's own goal (the view lists the family's children; empty: a goal for the whole family).
    child_id = SelectField("Which child is the goal for?", widget=GovSelect(), validate_choice=False,
                           validators=[Optional()])
    description = TextAreaField("What life should be like for the child", widget=GovTextArea(),
                                validators=[InputRequired(message="Describe the goal"),
                                            Length(max=2000, message="The goal must be 2000 characters or fewer")])
    score = WholeNumberField("Today's score (0 to 10)", widget=GovTextInput(),
                         validators=[Optional(), NumberRange(min=0, max=10, message="The score must be a whole number from 0 to 10")])
    submit = SubmitField("Add the goal", widget=GovSubmitInput())


# "Not done" needs a decision: carried forward (a new due date and owner) or closed once the chair approves.
NOT_DONE_DECISIONS = choices([(ActionDecision.CARRIED, "Carry it forward, with a new due date and owner"),
                              (ActionDecision.CLOSURE_ASKED, "Close it, with the reason: the chair approves")])


class ActionStatusForm(FlaskForm):
    status = RadioField("Status", widget=GovRadioInput(), choices=enum_choices(ActionStatus),
                        validators=[InputRequired(message="Choose the action's status")])
    comment = TextAreaField("Evidence or comment", widget=GovTextArea(),
                            description="If it was not done: why not.",
                            validators=[Optional(), Length(max=2000, message="The comment must be 2000 characters or fewer")])
    decision = RadioField("If it was not done: what happens to it", widget=GovRadioInput(), choices=NOT_DONE_DECISIONS,
                          validators=[Optional()])
    new_due = GovDateField("New due date, if carried forward", validators=[Optional()])
    new_owner = SelectField("Who owns it from now on, if carried forward", widget=GovSelect(), coerce=int,
                            validators=[Optional()])
    revision = HiddenField()
    submit = SubmitField("Save", widget=GovSubmitInput())


class ClosureForm(FlaskForm):
    decision = RadioField("Do you approve closing this action as not done?", widget=GovRadioInput(),
                          choices=choices([("approve", "Yes: close it"), ("decline", "No: it stays open and owned")]),
                          validators=[InputRequired(message="Choose whether to approve closing the action")])
    note = TextAreaField("A note (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000, message="The note must be 2000 characters or fewer")])
    revision = HiddenField()
    submit = SubmitField("Save the decision", widget=GovSubmitInput())


class NoteForm(FlaskForm):
    note = TextAreaField("What needs to change", widget=GovTextArea(),
                         validators=[InputRequired(message="Say what needs to change"),
                                     Length(max=2000, message="The note must be 2000 characters or fewer")])
    submit = SubmitField("Ask for the change", widget=GovSubmitInput())


class CorrectionForm(FlaskForm):
    section = SelectField("Section", widget=GovSelect(), choices=choices([("", "Choose a section")] + list(SECTIONS.items())),
                          validators=[InputRequired(message="Choose the section to correct")])
    text = TextAreaField("What is wrong, and what it should say", widget=GovTextArea(),
                         validators=[InputRequired(message="Say what should be corrected"),
                                     Length(max=5000, message="The correction must be 5000 characters or fewer")])
    submit = SubmitField("Ask for the correction", widget=GovSubmitInput())


class DecideCorrectionForm(FlaskForm):
    decision = RadioField("Your decision", widget=GovRadioInput(),
                          choices=choices([("accept", "Accept: publish a corrected version"), ("decline", "Decline")]),
                          validators=[InputRequired(message="Choose to accept or decline the correction")])
    new_text = TextAreaField("The corrected text of the section", widget=GovTextArea(),
                             validators=[Optional(), Length(max=TEXT, message="The text is too long")])
    note = TextAreaField("A note to the person who asked (optional)", widget=GovTextArea(),
                         validators=[Optional(), Length(max=2000, message="The note must be 2000 characters or fewer")])
    submit = SubmitField("Save the decision", widget=GovSubmitInput())


# The editor's review of earlier actions and its goal scores: one field per action and per goal, rendered by
# templates/minutes/edit.html inside the editor's one form (no CSRF token of their own).

def build_review_form(actions, owners=(), **kwargs) -> FlaskForm:
    """``owners``: (user id, label) of who may own an action carried forward."""

    class ReviewForm(FlaskForm):
        class Meta:
            csrf = False

    for action in actions:
        short = action.description[:60]
        setattr(ReviewForm, f"review-{action.id}-decision", RadioField(
            "If it was not done: what happens to it", widget=GovRadioInput(), choices=NOT_DONE_DECISIONS,
            validators=[Optional()]))
        setattr(ReviewForm, f"review-{action.id}-due", GovDateField(
            "New due date, if carried forward", validators=[Optional()],
            invalid_message=f"The new due date of \u201c{short}\u201d must be a real date, like 27 3 2024"))
        setattr(ReviewForm, f"review-{action.id}-owner", SelectField(
            "Who owns it from now on, if carried forward", widget=GovSelect(), coerce=int,
            choices=choices([(0, "Choose the owner")] + list(owners)), validators=[Optional()]))
        setattr(ReviewForm, f"review-{action.id}", RadioField(
            action.description, choices=enum_choices(ActionStatus), validators=[Optional()]))
        setattr(ReviewForm, f"review-{action.id}-comment", StringField(
            "Evidence or comment", validators=[Optional(), Length(max=2000, message=(
                f"The comment on \u201c{action.description[:60]}\u201d must be 2000 characters or fewer"))]))
        setattr(ReviewForm, f"review-{action.id}-revision", HiddenField())
    return ReviewForm(**kwargs)


def build_scores_form(goals, **kwargs) -> FlaskForm:
    class ScoresForm(FlaskForm):
        class Meta:
            csrf = False

    for goal in goals:
        message = f"The score for \u201c{goal.description[:60]}\u201d must be a whole number from 0 to 10"
        setattr(ScoresForm, f"score-{goal.id}", _Score(
            f"{goal.description}: score today (0 to 10)", message=message,
            validators=[Optional(), NumberRange(min=0, max=10, message=message)]))
        setattr(ScoresForm, f"score-{goal.id}-revision", HiddenField())
    return ScoresForm(**kwargs)


class _Score(WholeNumberField):
    """A goal's score: its own message when something other than a whole number is typed."""

    def __init__(self, label=None, validators=None, *, message: str, **kwargs):
        super().__init__(label, validators, **kwargs)
        self.not_a_number = message

    def process_formdata(self, valuelist):
        try:
            super().process_formdata(valuelist)
        except ValueError:
            raise ValueError(self.not_a_number) from None
