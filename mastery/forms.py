from django import forms

from accounts.hygiene import HygieneForm, harden_form_field
from mastery import grading
from mastery.models import Question
from mastery.quiz_selectors import question_spec


class AnswerForm(HygieneForm):
    """The answer to one question; its widget depends on the question type.

    `clean_answer` runs the same parser as the API, so an unknown option or a malformed number
    is a form error next to the field.
    """

    question_id = forms.UUIDField(widget=forms.HiddenInput)

    def __init__(self, *args, question: Question, **kwargs):
        super().__init__(*args, **kwargs)
        self.question = question
        self.spec = question_spec(question)
        choices = [(option["id"], option["text"]) for option in self.spec.options]
        label = question.question_text
        if question.type in (grading.MULTIPLE_CHOICE, grading.TRUE_FALSE):
            field = forms.ChoiceField(label=label, choices=choices, widget=forms.RadioSelect)
        elif question.type == grading.MULTIPLE_SELECT:
            field = forms.MultipleChoiceField(
                label=label,
                choices=choices,
                widget=forms.CheckboxSelectMultiple,
                help_text="Select every correct option.",
            )
        elif question.type == grading.NUMERIC:
            field = forms.CharField(
                label=label,
                max_length=64,
                help_text="A number, such as 3.5, -2 or 1.2e3.",
                widget=forms.TextInput(attrs={"inputmode": "decimal", "autocomplete": "off"}),
            )
        else:
            field = forms.CharField(
                label=label,
                max_length=grading.MAX_ANSWER_LENGTH,
                help_text="Case and spaces do not matter.",
                widget=forms.TextInput(attrs={"autocomplete": "off"}),
            )
        self.fields["answer"] = field
        self.initial.setdefault("question_id", question.pk)

    def clean_answer(self):
        raw = self.cleaned_data["answer"]
        try:
            return grading.parse_answer(self.spec, raw)
        except grading.AnswerError as error:
            raise forms.ValidationError(error.message) from None

    def clean_question_id(self):
        question_id = self.cleaned_data["question_id"]
        if question_id != self.question.pk:
            raise forms.ValidationError(
                "This page showed an earlier question; here is the current one."
            )
        return question_id


class GradeTargetForm(HygieneForm):
    target_percent = forms.FloatField(
        label="Target grade (%)",
        min_value=0,
        max_value=100,
        required=False,
        help_text="Leave empty to clear the target.",
        widget=forms.NumberInput(attrs={"step": "0.5"}),
    )


SELF_RATING_CHOICES = [
    ("", "Not rated"),
    ("1", "1: I don't know it"),
    ("2", "2: I know a little"),
    ("3", "3: I know the basics"),
    ("4", "4: I know it well"),
    ("5", "5: I could teach it"),
]


class SelfRatingForm(HygieneForm):
    """One 1-to-5 confidence rating per topic the diagnostic cannot quiz; each is optional,
    and the service checks the range again, so the API and the page share its rules."""

    def __init__(self, *args, topics, **kwargs):
        super().__init__(*args, **kwargs)
        self.topics = list(topics)
        for topic in self.topics:
            field = forms.ChoiceField(label=topic.name, choices=SELF_RATING_CHOICES, required=False)
            # Added after HygieneForm.__init__ hardened the declared fields, so harden here.
            harden_form_field(field)
            self.fields[self.field_name(topic.pk)] = field

    @staticmethod
    def field_name(topic_id) -> str:
        return f"rating_{topic_id}"

    def ratings(self) -> dict[str, int]:
        return {
            str(topic.pk): int(self.cleaned_data[self.field_name(topic.pk)])
            for topic in self.topics
            if self.cleaned_data.get(self.field_name(topic.pk))
        }

    def clean(self):
        cleaned = super().clean()
        if self.topics and not any(cleaned.get(name) for name in self.fields):
            raise forms.ValidationError("Rate at least one topic.")
        return cleaned

    def add_service_errors(self, error) -> None:
        field_errors = getattr(error, "field_errors", None) or {}
        for key, messages in field_errors.items():
            name = self.field_name(key)
            self.add_error(name if name in self.fields else None, messages)
        if not field_errors:
            self.add_error(None, error.message)
