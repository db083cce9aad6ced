from django import forms

from accounts.errors import ApplicationError
from accounts.hygiene import HygieneForm

RATING_CHOICES = [(n, str(n)) for n in range(1, 6)]
OPTIONAL_RATING_CHOICES = [("", "—"), *RATING_CHOICES]


def add_application_error(form: forms.BaseForm, exc: ApplicationError) -> None:
    """A service's field errors go next to their fields, the rest above the form."""
    if not exc.field_errors:
        form.add_error(None, exc.message)
    for name, messages in exc.field_errors.items():
        form.add_error(name if name in form.fields else None, messages)


class CompleteForm(HygieneForm):
    completion_percentage = forms.FloatField(
        label="How much did you finish (%)", min_value=1, max_value=100, initial=100
    )
    self_rating = forms.TypedChoiceField(
        label="How well do you understand it now (1 = not at all, 5 = fully)",
        choices=OPTIONAL_RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )


class SkipForm(HygieneForm):
    reason = forms.CharField(label="Why are you skipping it", max_length=2000, required=False)


class MoveForm(HygieneForm):
    # Read in the student's zone: the view activates it around validation and rendering.
    new_start_time = forms.DateTimeField(
        label="New start (your local time)",
        input_formats=["%Y-%m-%dT%H:%M", "%Y-%m-%d %H:%M"],
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
    )


class CheckInForm(HygieneForm):
    difficulty = forms.TypedChoiceField(
        label="How hard did today's study feel (1 = easy, 5 = too hard)",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    time_burden = forms.TypedChoiceField(
        label="How heavy was the time (1 = light, 5 = too much)",
        choices=RATING_CHOICES,
        coerce=int,
        widget=forms.RadioSelect,
    )
    mood = forms.TypedChoiceField(
        label="Mood (optional)",
        choices=OPTIONAL_RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    energy = forms.TypedChoiceField(
        label="Energy (optional)",
        choices=OPTIONAL_RATING_CHOICES,
        coerce=int,
        empty_value=None,
        required=False,
    )
    note = forms.CharField(
        label="Note (optional)",
        max_length=2000,
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
    )
