"""Forms of the accounts pages. They check shape; the services enforce the rules."""

from dataclasses import dataclass, field
from datetime import time

from django import forms
from django.conf import settings

from accounts.availability import WEEKDAYS, availability_errors, parse_hhmm
from accounts.errors import ApplicationError
from accounts.hygiene import HygieneForm
from accounts.models import (
    AcademicLevel,
    ApiToken,
    DifficultyCurve,
    TimeFormat,
    User,
    UserPreferences,
)
from accounts.services import API_TOKEN_MAX_DAYS, API_TOKEN_MIN_DAYS
from accounts.validators import (
    available_timezones,
    field_bounds,
    study_day_errors,
    validate_language_code,
)

# Blank range rows shown under each day so a range can be added without JavaScript.
EXTRA_RANGE_ROWS = 2
# More ranges than this in one day is a mistake, not a timetable.
MAX_RANGES_PER_DAY = 12
# Browsers send <input type="time"> as HH:MM; the seed stores exactly that.
TIME_INPUT_FORMATS = ["%H:%M"]


def add_application_error(
    form: forms.BaseForm, exc: ApplicationError, *, field_map: dict[str, str] | None = None
) -> None:
    """Put a service's field errors next to the matching form fields, the rest above the form."""
    field_map = field_map or {}
    if not exc.field_errors:
        form.add_error(None, exc.message)
    for name, messages in exc.field_errors.items():
        target = field_map.get(name, name)
        form.add_error(target if target in form.fields else None, messages)


def timezone_choices(*, with_blank: bool = False) -> list[tuple[str, str]]:
    choices = [(zone, zone) for zone in sorted(available_timezones())]
    if with_blank:
        choices.insert(0, ("", "Choose your timezone"))
    return choices


def _timezone_field(*, with_blank: bool) -> forms.ChoiceField:
    return forms.ChoiceField(
        choices=timezone_choices(with_blank=with_blank),
        help_text="An IANA timezone such as Europe/London; your plan uses it for every time.",
        widget=forms.Select(attrs={"data-timezone-detect": "true"}),
    )


class SignupForm(HygieneForm):
    """The planner's own sign-up fields; allauth's sign-up form adds email and passwords to it
    (ACCOUNT_SIGNUP_FORM_CLASS), and `accounts.allauth_adapter` saves the student."""

    full_name = forms.CharField(
        max_length=200, widget=forms.TextInput(attrs={"autocomplete": "name"})
    )
    timezone = _timezone_field(with_blank=True)

    def signup(self, request, user):
        # Everything is saved by the adapter's `save_user` through `user_signup`.
        return None


class ProfileForm(HygieneForm):
    full_name = forms.CharField(max_length=200, required=False)
    school_name = forms.CharField(max_length=200, required=False)
    academic_level = forms.ChoiceField(choices=AcademicLevel.choices)
    major = forms.CharField(max_length=200, required=False)
    timezone = _timezone_field(with_blank=False)
    language = forms.CharField(
        max_length=8,
        validators=[validate_language_code],
        help_text="An ISO 639-1 code such as en, fr or de.",
    )

    @classmethod
    def initial_for(cls, user: User) -> dict:
        return {name: getattr(user, name) for name in cls.base_fields}


def _bounded(form_field_class, name: str, **kwargs) -> forms.Field:
    lowest, highest = field_bounds(UserPreferences, name)
    return form_field_class(min_value=lowest, max_value=highest, **kwargs)


class PreferencesForm(HygieneForm):
    max_hours_per_day = _bounded(
        forms.FloatField,
        "max_hours_per_day",
        label="Most study hours per day",
        widget=forms.NumberInput(attrs={"step": "0.25"}),
    )
    preferred_block_length_min = _bounded(
        forms.IntegerField, "preferred_block_length_min", label="Study block length (minutes)"
    )
    break_length_min = _bounded(
        forms.IntegerField, "break_length_min", label="Break length (minutes)"
    )
    earliest_start_time = forms.TimeField(
        label="Earliest start",
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    latest_end_time = forms.TimeField(
        label="Latest end",
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    difficulty_curve = forms.ChoiceField(
        choices=DifficultyCurve.choices,
        help_text="How quickly the plan moves you on to harder material.",
    )
    enable_spaced_repetition = forms.BooleanField(
        required=False, label="Schedule spaced-repetition reviews"
    )
    min_review_interval_days = _bounded(
        forms.IntegerField, "min_review_interval_days", label="Shortest review interval (days)"
    )
    # Module 3's placement rules. Optional in a submission: a form that leaves one out (an
    # older page, the setup wizard) keeps the value in force.
    max_block_length_min = _bounded(
        forms.IntegerField,
        "max_block_length_min",
        label="Longest study block (minutes)",
        required=False,
        help_text="No block is ever longer, even when the plan is full or your block length "
        "is longer.",
    )
    min_break_between_courses_min = _bounded(
        forms.IntegerField,
        "min_break_between_courses_min",
        label="Break when switching course (minutes)",
        required=False,
    )
    calendar_buffer_min = _bounded(
        forms.IntegerField,
        "calendar_buffer_min",
        label="Free time before calendar events (minutes)",
        required=False,
    )
    max_blocks_per_day = _bounded(
        forms.IntegerField, "max_blocks_per_day", label="Most blocks per day", required=False
    )
    # Optional like the rules above: a form without it (the setup wizard) keeps the one in force.
    time_format = forms.ChoiceField(
        choices=TimeFormat.choices,
        label="Clock times",
        required=False,
        help_text="How times are written on every page.",
    )

    def clean(self):
        cleaned = super().clean()
        # Checked here as well as in the model so the message sits by the field at once,
        # instead of behind an error on every range that no longer fits the day.
        errors = study_day_errors(
            cleaned.get("earliest_start_time"), cleaned.get("latest_end_time")
        )
        if errors:
            self.add_error(None, errors)
        return cleaned


OPTIONAL_RULE_FIELDS = frozenset(
    {
        "max_block_length_min",
        "min_break_between_courses_min",
        "calendar_buffer_min",
        "max_blocks_per_day",
        "time_format",
    }
)


class TimeRangeForm(HygieneForm):
    """One availability range of a day. A row left blank is ignored, so rows can be removed."""

    start = forms.TimeField(
        required=False,
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )
    end = forms.TimeField(
        required=False,
        input_formats=TIME_INPUT_FORMATS,
        widget=forms.TimeInput(format="%H:%M", attrs={"type": "time"}),
    )

    # Set by the editor before validation, from the earliest start and latest end.
    earliest: time | None = None
    latest: time | None = None

    def clean(self):
        cleaned = super().clean()
        if self.errors:
            return cleaned
        start, end = cleaned.get("start"), cleaned.get("end")
        if start is None and end is None:
            return cleaned
        if start is None:
            self.add_error("start", "Give a start, or clear the end to remove this range.")
        elif end is None:
            self.add_error("end", "Give an end, or clear the start to remove this range.")
        elif start >= end:
            self.add_error("end", "The end must be after the start.")
        else:
            if self.earliest and start < self.earliest:
                self.add_error("start", f"Starts before your earliest start {self.earliest:%H:%M}.")
            if self.latest and end > self.latest:
                self.add_error("end", f"Ends after your latest end {self.latest:%H:%M}.")
        return cleaned

    def as_range(self) -> dict[str, str] | None:
        start, end = self.cleaned_data.get("start"), self.cleaned_data.get("end")
        if start is None or end is None:
            return None
        return {"start": f"{start:%H:%M}", "end": f"{end:%H:%M}"}


TimeRangeFormSet = forms.formset_factory(
    TimeRangeForm,
    extra=EXTRA_RANGE_ROWS,
    max_num=MAX_RANGES_PER_DAY,
    validate_max=True,
)


@dataclass
class DayAvailability:
    key: str
    label: str
    formset: forms.BaseFormSet
    errors: list[str] = field(default_factory=list)


def _initial_ranges(ranges: object) -> list[dict]:
    initial = []
    for item in ranges if isinstance(ranges, list) else []:
        try:
            initial.append({"start": parse_hhmm(item["start"]), "end": parse_hhmm(item["end"])})
        except (KeyError, TypeError, ValueError):
            continue
    return initial


class PreferencesEditor:
    """The preferences form plus one range formset per weekday, validated together because
    the ranges must fall within the earliest start and latest end chosen in the same form."""

    def __init__(self, *, preferences: UserPreferences, data=None):
        initial = {name: getattr(preferences, name) for name in PreferencesForm.base_fields}
        self.form = PreferencesForm(data=data, initial=initial)
        stored = (
            preferences.weekly_availability
            if isinstance(preferences.weekly_availability, dict)
            else {}
        )
        self.days = [
            DayAvailability(
                key=day,
                label=day.capitalize(),
                formset=TimeRangeFormSet(
                    data=data, prefix=day, initial=_initial_ranges(stored.get(day, []))
                ),
            )
            for day in WEEKDAYS
        ]
        # Service errors about the availability as a whole, shown atop the editor.
        self.availability_errors: list[str] = []

    def is_valid(self) -> bool:
        form_is_valid = self.form.is_valid()
        earliest = self.form.cleaned_data.get("earliest_start_time")
        # A latest end that failed validation is absent here, so rows are not judged by it.
        latest = self.form.cleaned_data.get("latest_end_time")
        days_are_valid = True
        for day in self.days:
            for row in day.formset.forms:
                row.earliest, row.latest = earliest, latest
            if not day.formset.is_valid():
                days_are_valid = False
                continue
            # Rows are checked one by one above; overlaps need the whole day.
            day.errors = availability_errors({day.key: self._ranges_of(day)}).get(day.key, [])
            days_are_valid = days_are_valid and not day.errors
        return form_is_valid and days_are_valid

    @staticmethod
    def _ranges_of(day: DayAvailability) -> list[dict[str, str]]:
        ranges = [row.as_range() for row in day.formset.forms]
        return sorted((r for r in ranges if r), key=lambda r: r["start"])

    def cleaned_fields(self) -> dict:
        # A rule left blank (or not in the submission) keeps the value in force.
        fields = {
            name: value
            for name, value in self.form.cleaned_data.items()
            if not (name in OPTIONAL_RULE_FIELDS and value in (None, ""))
        }
        return {
            **fields,
            "weekly_availability": {day.key: self._ranges_of(day) for day in self.days},
        }

    def add_application_error(self, exc: ApplicationError) -> None:
        other = {k: v for k, v in exc.field_errors.items() if k != "weekly_availability"}
        self.availability_errors = list(exc.field_errors.get("weekly_availability", []))
        if other or not self.availability_errors:
            add_application_error(self.form, ApplicationError(exc.message, field_errors=other))


class ApiTokenCreateForm(HygieneForm):
    name = forms.CharField(
        max_length=ApiToken._meta.get_field("name").max_length,
        help_text="What the token is for, such as “grade sync script”.",
    )
    expires_in_days = forms.IntegerField(
        label="Expires in (days)",
        min_value=API_TOKEN_MIN_DAYS,
        max_value=API_TOKEN_MAX_DAYS,
        # Read when the form is shown, not when this module is imported.
        initial=lambda: settings.API_TOKEN_DEFAULT_DAYS,
    )
