"""Forms of the teacher and class pages. They check shape; the services enforce the rules."""

from __future__ import annotations

import json

from django import forms

from accounts.hygiene import HygieneForm
from courses.models import AssessmentType, Difficulty, ResourceType
from courses.template_models import JOIN_CODE_LENGTH

# A bank pasted as text: the import caps a file at 1000 questions; this bounds the text the
# same order of magnitude before any JSON is parsed.
MAX_QUESTIONS_TEXT = 2_000_000


class CourseTemplateForm(HygieneForm):
    name = forms.CharField(max_length=200)
    code = forms.CharField(max_length=40)
    instructor_name = forms.CharField(max_length=200, required=False)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 3}), required=False)
    start_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))
    end_date = forms.DateField(widget=forms.DateInput(attrs={"type": "date"}))


class TemplateTopicForm(HygieneForm):
    name = forms.CharField(max_length=200)
    description = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    estimated_difficulty = forms.ChoiceField(choices=Difficulty.choices, initial=Difficulty.MEDIUM)
    prerequisite_ids = forms.MultipleChoiceField(
        label="Prerequisites", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, template, exclude_topic=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["prerequisite_ids"].choices = [
            (str(topic.pk), topic.name)
            for topic in template.topics.all()
            if exclude_topic is None or topic.pk != exclude_topic.pk
        ]


class QuestionBankForm(HygieneForm):
    document = forms.CharField(
        label="Question bank (JSON, the import format)",
        widget=forms.Textarea(attrs={"rows": 12}),
        max_length=MAX_QUESTIONS_TEXT,
    )

    def clean_document(self):
        try:
            return json.loads(self.cleaned_data["document"])
        except ValueError as exc:
            raise forms.ValidationError(f"Not valid JSON: {exc}.") from exc


class TemplateAssessmentForm(HygieneForm):
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
        min_value=1, max_value=24 * 60, initial=60, label="Estimated duration (minutes)"
    )
    topic_ids = forms.MultipleChoiceField(
        label="Topics covered", required=False, widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, template, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["topic_ids"].choices = [(str(t.pk), t.name) for t in template.topics.all()]


class TemplateResourceForm(HygieneForm):
    title = forms.CharField(max_length=200)
    type = forms.ChoiceField(choices=ResourceType.choices, initial=ResourceType.READING)
    # A plain text field: the service applies the student's-course rule (http or https with a
    # host), one message for the page and the API alike.
    url = forms.CharField(
        max_length=2000,
        label="URL",
        widget=forms.URLInput(attrs={"placeholder": "https://"}),
    )
    notes = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 2}),
        required=False,
        max_length=5000,
        help_text="Optional: what to read or watch for, and why.",
    )


class PublishForm(HygieneForm):
    name = forms.CharField(
        max_length=200, required=False, help_text="Optional, such as “Section B, spring”."
    )


class JoinForm(HygieneForm):
    join_code = forms.CharField(max_length=JOIN_CODE_LENGTH * 2, label="Join code")


class ConsentDecision:
    SHARE = "share"
    PRIVATE = "private"


class ConsentForm(HygieneForm):
    decision = forms.ChoiceField(
        choices=[
            (ConsentDecision.SHARE, "Join and share my progress with the teacher"),
            (ConsentDecision.PRIVATE, "Join without sharing anything"),
        ],
        widget=forms.RadioSelect,
    )

    @property
    def has_consented(self) -> bool:
        return self.cleaned_data["decision"] == ConsentDecision.SHARE
