"""Forms of the journey pages. They check shape; the services enforce the rules."""

from __future__ import annotations

from django import forms

from accounts.errors import ApplicationError
from accounts.forms import timezone_choices
from accounts.hygiene import HygieneForm
from courses.models import Course
from journey.onboarding import course_templates
from scheduling import forms as scheduling_forms

RATING_MIN, RATING_MAX = 1, 5
# The slider starts in the middle so an untouched slider is an honest "about right".
RATING_MIDDLE = 3


def add_service_error(form: forms.BaseForm, exc: ApplicationError) -> None:
    """A service's field errors go next to their fields, anything else above the form."""
    if not exc.field_errors:
        form.add_error(None, exc.message)
    for name, messages in exc.field_errors.items():
        form.add_error(name if name in form.fields else None, messages)


class ProfileStepForm(HygieneForm):
    full_name = forms.CharField(max_length=200, required=False, label="Your name")
    timezone = forms.ChoiceField(
        label="Your timezone",
        choices=(),
        help_text="Guessed from your browser; check it, as every time in your plan uses it.",
        widget=forms.Select(attrs={"data-timezone-detect": "true"}),
    )

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["timezone"].choices = timezone_choices()


class TemplateChoiceForm(HygieneForm):
    template = forms.ChoiceField(label="Course template", choices=())

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["template"].choices = [
            (
                t.code,
                f"{t.code} {t.name} ({t.topic_count} topics, {t.assessment_count} assessments)",
            )
            for t in course_templates()
        ]


class QuickCourseForm(HygieneForm):
    name = forms.CharField(max_length=200, label="Course name")
    code = forms.CharField(max_length=40, label="Course code", help_text="For example MATH 2413.")
    semester = forms.CharField(max_length=60, help_text="For example Fall 2026.")
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))

    def clean(self):
        cleaned = super().clean()
        start, end = cleaned.get("start_date"), cleaned.get("end_date")
        if start and end and end <= start:
            self.add_error("end_date", "The end date must be after the start date.")
        return cleaned


class GradeHistoryForm(HygieneForm):
    course = forms.ModelChoiceField(queryset=Course.objects.none(), label="Course")
    grades = forms.CharField(
        label="Grades, one per line",
        help_text=(
            "assessment name, score, maximum score, date (YYYY-MM-DD), and optionally topics "
            "separated by semicolons. Example: Quiz 1, 8, 10, 2026-09-14, Limits; Continuity"
        ),
        widget=forms.Textarea(attrs={"rows": 5}),
        max_length=20000,
    )

    def __init__(self, *args, user, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].queryset = Course.objects.for_user(user).active()


class CheckInForm(scheduling_forms.CheckInForm):
    """The scheduling check-in, with sliders for the two ratings on the dashboard."""

    difficulty = forms.IntegerField(
        label="How hard did today's study feel? (1 easy, 5 too hard)",
        min_value=RATING_MIN,
        max_value=RATING_MAX,
        initial=RATING_MIDDLE,
        widget=forms.NumberInput(attrs={"type": "range", "step": "1"}),
    )
    time_burden = forms.IntegerField(
        label="How heavy was the time? (1 light, 5 too much)",
        min_value=RATING_MIN,
        max_value=RATING_MAX,
        initial=RATING_MIDDLE,
        widget=forms.NumberInput(attrs={"type": "range", "step": "1"}),
    )


class AccountDeleteForm(HygieneForm):
    password = forms.CharField(
        label="Your password, to confirm",
        strip=False,
        widget=forms.PasswordInput(attrs={"autocomplete": "current-password"}),
    )
    confirm = forms.BooleanField(
        label="I understand that my account and all my data will be deleted for good",
        required=True,
    )
