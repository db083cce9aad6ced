"""Forms check shape only; the services enforce the rules and their errors land on fields."""

from __future__ import annotations

from django import forms

from accounts.errors import ApplicationError
from accounts.hygiene import HygieneForm
from courses.models import AssessmentType, Course, Difficulty
from courses.validation import course_dates_errors

STUDY_MODES = (
    ("reading", "Reading"),
    ("problem_sets", "Problem sets"),
    ("flashcards", "Flashcards"),
    ("practice_quizzes", "Practice quizzes"),
    ("review", "Review"),
)


def apply_service_errors(form: forms.Form, exc: ApplicationError, aliases=None) -> None:
    """Put a service's field errors next to the matching form fields."""
    aliases = aliases or {}
    if not exc.field_errors:
        form.add_error(None, exc.message)
        return
    for field_name, messages in exc.field_errors.items():
        target = aliases.get(field_name, field_name)
        target = target if target in form.fields else None
        for message in messages if isinstance(messages, list | tuple) else [messages]:
            form.add_error(target, str(message))


class CourseForm(HygieneForm):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=40, help_text="For example MATH 2413.")
    semester = forms.CharField(max_length=60, help_text="For example Fall 2026.")
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    instructor_name = forms.CharField(max_length=200, required=False, label="Instructor")
    credit_hours = forms.FloatField(min_value=0, initial=3.0)
    color = forms.RegexField(
        regex=r"^#[0-9a-fA-F]{6}$",
        initial="#3366cc",
        widget=forms.TextInput(attrs={"type": "color"}),
        help_text="Used to tell courses apart in the planner.",
    )
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)

    def clean(self):
        cleaned = super().clean()
        errors = course_dates_errors(cleaned.get("start_date"), cleaned.get("end_date"))
        if errors:
            self.add_error(None, errors)
        return cleaned


class TopicForm(HygieneForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    estimated_difficulty = forms.ChoiceField(choices=Difficulty.choices, initial=Difficulty.MEDIUM)
    prerequisite_topic_ids = forms.MultipleChoiceField(
        label="Prerequisites",
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="Topics to master before this one.",
    )
    order_index = forms.IntegerField(min_value=0, required=False, label="Position")

    def __init__(self, *args, course: Course, exclude_topic=None, **kwargs):
        super().__init__(*args, **kwargs)
        topics = course.topics.all()
        if exclude_topic is not None:
            topics = topics.exclude(pk=exclude_topic.pk)
        self.fields["prerequisite_topic_ids"].choices = [
            (str(topic.pk), topic.name) for topic in topics
        ]


class AssessmentForm(HygieneForm):
    name = forms.CharField(max_length=200)
    type = forms.ChoiceField(choices=AssessmentType.choices)
    weight_percent = forms.FloatField(
        min_value=0, max_value=100, label="Weight (% of the course grade)"
    )
    due_date = forms.DateTimeField(
        widget=forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        help_text="In your timezone.",
    )
    estimated_duration_min = forms.IntegerField(
        min_value=0, initial=60, label="Estimated duration (minutes)"
    )
    max_score = forms.FloatField(min_value=0.01, initial=100.0)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    is_completed = forms.BooleanField(required=False, label="Completed")
    topic_ids = forms.MultipleChoiceField(
        label="Topics covered", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, course: Course, **kwargs):
        super().__init__(*args, **kwargs)
        self.course_topics = list(course.topics.all())
        self.fields["topic_ids"].choices = [
            (str(topic.pk), topic.name) for topic in self.course_topics
        ]
        for topic in self.course_topics:
            self.fields[self.weight_field_name(topic)] = forms.FloatField(
                label=f"Weight of {topic.name} in this assessment (%)",
                min_value=0,
                max_value=100,
                required=False,
            )

    @staticmethod
    def weight_field_name(topic) -> str:
        return f"weight_{topic.pk}"

    def main_fields(self):
        """Every field but the per-topic weights, which the template shows beside each topic."""
        return [self[name] for name in self.base_fields]

    def topic_rows(self):
        """(checkbox, weight field) per topic, for a table in the template."""
        checkboxes = {str(widget.data["value"]): widget for widget in self["topic_ids"]}
        return [
            (topic, checkboxes.get(str(topic.pk)), self[self.weight_field_name(topic)])
            for topic in self.course_topics
        ]

    def clean(self):
        cleaned = super().clean()
        selected = set(cleaned.get("topic_ids") or [])
        weights = {}
        for topic in self.course_topics:
            weight = cleaned.get(self.weight_field_name(topic))
            if weight is None:
                continue
            if str(topic.pk) not in selected:
                self.add_error(self.weight_field_name(topic), "Tick the topic to give it a weight.")
            weights[str(topic.pk)] = weight
        cleaned["topic_weights"] = weights
        return cleaned

    def service_fields(self) -> dict:
        data = self.cleaned_data
        names = [name for name in self.base_fields if name != "topic_ids"]
        fields = {name: data[name] for name in names}
        fields["topic_ids"] = list(data.get("topic_ids") or [])
        fields["topic_weights"] = data.get("topic_weights") or {}
        return fields


class AssessmentWeightConfirmForm(HygieneForm):
    weight_percent = forms.FloatField(
        label="Weight (% of the course grade)",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Leave as it is to confirm the estimate.",
    )


class CsvUploadForm(HygieneForm):
    file = forms.FileField(
        label="CSV file",
        help_text="Columns: name, code, semester, start_date, end_date, instructor.",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )


class LmsUploadForm(HygieneForm):
    file = forms.FileField(
        label="Calendar file (.ics)",
        required=False,
        widget=forms.ClearableFileInput(attrs={"accept": ".ics,text/calendar"}),
    )
    url = forms.URLField(
        label="…or the calendar feed URL",
        required=False,
        assume_scheme="https",
        help_text="In Canvas: Calendar → Calendar Feed. In Moodle: Calendar → Export calendar.",
    )
    course = forms.ChoiceField(
        label="Course for events that name no course",
        required=False,
        help_text="Moodle exports one course per file without its code in the event names.",
    )

    def __init__(self, *args, courses=(), **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["course"].choices = [("", "None: skip them")] + [
            (str(course.pk), f"{course.code} {course.name}") for course in courses
        ]

    def clean(self):
        cleaned = super().clean()
        if bool(cleaned.get("file")) == bool(cleaned.get("url")):
            raise forms.ValidationError("Upload an .ics file or give a feed URL (one of the two).")
        return cleaned


class StudyModesForm(HygieneForm):
    def __init__(self, *args, courses=(), current=None, **kwargs):
        super().__init__(*args, **kwargs)
        current = current or {}
        self.courses = list(courses)
        for course in self.courses:
            self.fields[self.field_name(course)] = forms.MultipleChoiceField(
                label=f"{course.code} {course.name}",
                choices=STUDY_MODES,
                required=False,
                widget=forms.CheckboxSelectMultiple,
                initial=current.get(str(course.pk), []),
            )

    @staticmethod
    def field_name(course) -> str:
        return f"modes_{course.pk}"

    def rows(self) -> list[dict]:
        """Per course, its field and its checkboxes (id, value, label, checked), for a page
        that writes the inputs itself: a checkbox rendered through the widget's templates
        costs a dozen template lookups, and the page has five per course."""
        rows = []
        for course in self.courses:
            field = self[self.field_name(course)]
            selected = {str(value) for value in field.value() or ()}
            rows.append(
                {
                    "field": field,
                    "options": [
                        {
                            "id": f"{field.auto_id}_{index}",
                            "value": value,
                            "label": label,
                            "checked": value in selected,
                        }
                        for index, (value, label) in enumerate(STUDY_MODES)
                    ],
                }
            )
        return rows

    def study_mode_preferences(self, current: dict) -> dict:
        """The new mapping: this form's courses replaced, other keys (archived or deleted
        courses) kept so editing one term does not erase another's choices."""
        updated = dict(current)
        known = dict(STUDY_MODES)
        for course in self.courses:
            modes = [mode for mode in known if mode in self.cleaned_data[self.field_name(course)]]
            updated[str(course.pk)] = modes
        return updated
