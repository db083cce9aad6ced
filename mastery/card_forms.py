"""Flashcard forms: shape only; the rules are in mastery.services.cards (shown on the fields)."""

from django import forms

from accounts.hygiene import HygieneForm
from courses.models import Topic
from mastery.card_models import MAX_NEW_CARDS_PER_DAY
from mastery.models import CardKind


class DeckForm(HygieneForm):
    topic = forms.ModelChoiceField(queryset=Topic.objects.none())
    name = forms.CharField(max_length=120)
    description = forms.CharField(max_length=2000, required=False, widget=forms.Textarea)

    def __init__(self, *args, user, course=None, **kwargs):
        """`course` narrows the topics offered to one course's: a student with many courses
        picks the course first, and the page never lists every topic they have."""
        super().__init__(*args, **kwargs)
        topics = Topic.objects.for_user(user).select_related("course")
        if course is not None:
            topics = topics.filter(course=course)
        self.fields["topic"].queryset = topics.order_by("course__name", "order_index", "name")
        self.fields["topic"].label_from_instance = lambda t: f"{t.course.code} · {t.name}"


class CardForm(HygieneForm):
    kind = forms.ChoiceField(choices=CardKind.choices, initial=CardKind.BASIC)
    front = forms.CharField(
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a cloze card, mark each answer as {{c1::answer}}.",
    )
    back = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(max_length=500, required=False, help_text="Separated by spaces.")
    image = forms.FileField(required=False, help_text="PNG, JPEG or GIF, up to 512 KB.")


class CardEditForm(HygieneForm):
    front = forms.CharField(max_length=4000, widget=forms.Textarea(attrs={"rows": 3}))
    back = forms.CharField(
        max_length=4000, required=False, widget=forms.Textarea(attrs={"rows": 3})
    )
    tags = forms.CharField(max_length=500, required=False, help_text="Separated by spaces.")
    image = forms.FileField(required=False, help_text="A new image replaces the old one.")
    remove_image = forms.BooleanField(required=False)
    is_suspended = forms.BooleanField(required=False, label="Suspended (left out of reviews)")


class BulkAddForm(HygieneForm):
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 6}),
        strip=False,
        help_text='One card per line: front;back;tags (tags optional). Start a line with "cloze:" '
        "for a cloze card.",
        required=False,
    )
    csv_file = forms.FileField(
        required=False, label="Or a CSV file", help_text="Columns: front, back, tags (optional)."
    )

    def clean(self):
        cleaned = super().clean()
        if not cleaned.get("text", "").strip() and not cleaned.get("csv_file"):
            raise forms.ValidationError("Paste some lines or choose a CSV file.")
        return cleaned


class ApkgImportForm(HygieneForm):
    file = forms.FileField(label="Anki package (.apkg)")


class NewCardsPerDayForm(HygieneForm):
    new_cards_per_day = forms.IntegerField(min_value=0, max_value=MAX_NEW_CARDS_PER_DAY)
