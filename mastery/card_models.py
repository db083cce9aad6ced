"""Flashcards (models are defined here and exported by mastery.models).

A deck belongs to one topic of one student, and its cards are evidence about that topic: each
review is saved as a `CardReview` and as a `PerformanceRecord` (source "flashcard"), which the
mastery fold reads like any other evidence. A card's memory (FSRS state, stability, difficulty,
due) is the `fsrs` library's, stored in columns so the due queue is one indexed query.

`user` is stored on the card and the review as well as on the deck: every list and the due queue
filter by it without a join, and ownership cannot be lost through a deck moved by mistake.
"""

import uuid

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q

from accounts.history import HistoricalRecords
from courses.models import Topic

__all__ = [
    "Card",
    "CardKind",
    "CardMemoryState",
    "CardReview",
    "CardReviewSource",
    "CardStudyProfile",
    "Deck",
]

# Anki's own default for new cards per day; a student changes it on the review page.
DEFAULT_NEW_CARDS_PER_DAY = 20
MAX_NEW_CARDS_PER_DAY = 9999


class CardKind(models.TextChoices):
    BASIC = "basic", "Front and back"
    CLOZE = "cloze", "Cloze deletion"


class CardMemoryState(models.IntegerChoices):
    """The fsrs library's `State` plus "new" (never reviewed), which the library has no name
    for: it starts every card in Learning."""

    NEW = 0, "New"
    LEARNING = 1, "Learning"
    REVIEW = 2, "Review"
    RELEARNING = 3, "Relearning"


class CardReviewSource(models.TextChoices):
    APP = "app", "Reviewed here"
    ANKI = "anki", "Imported from Anki"


class DeckQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class Deck(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="decks", db_index=False
    )
    topic = models.ForeignKey(Topic, on_delete=models.CASCADE, related_name="decks")
    name = models.CharField(max_length=120)
    description = models.TextField(blank=True, max_length=2000)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = DeckQuerySet.as_manager()

    class Meta:
        ordering = ["name", "id"]
        constraints = [
            models.UniqueConstraint(fields=["user", "topic", "name"], name="deck_unique_name"),
        ]
        indexes = [models.Index(fields=["user", "name"], name="idx_deck_user")]

    def __str__(self) -> str:
        return self.name


class CardQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)

    def active(self):
        return self.filter(is_suspended=False)

    def new(self):
        return self.filter(memory_state=CardMemoryState.NEW)

    def due_by(self, moment):
        return self.exclude(memory_state=CardMemoryState.NEW).filter(due__lte=moment)

    def tagged(self, tag: str):
        # Tags are stored space-separated with a space at each end, so one tag matches whole.
        return self.filter(tags__contains=f" {tag} ")


class Card(models.Model):
    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="cards", db_index=False
    )
    deck = models.ForeignKey(Deck, on_delete=models.CASCADE, related_name="cards")
    kind = models.CharField(max_length=8, choices=CardKind.choices, default=CardKind.BASIC)
    # Basic: the prompt. Cloze: the whole text with {{c1::answer}} markers.
    front = models.TextField(max_length=4000)
    back = models.TextField(blank=True, max_length=4000)
    # Which {{cN::...}} of a cloze text this card asks (one card per index, as in Anki).
    cloze_index = models.PositiveSmallIntegerField(default=0)
    # " tag1 tag2 " (see CardQuerySet.tagged): searchable on SQLite and PostgreSQL alike.
    tags = models.CharField(max_length=500, blank=True, default="")
    # Small images are kept in the database: one student's cards are megabytes at most, and the
    # app then needs no media storage or public media URL (the image view checks the owner).
    image = models.BinaryField(null=True, blank=True, editable=False)
    image_content_type = models.CharField(max_length=32, blank=True, default="")
    is_suspended = models.BooleanField(default=False)

    memory_state = models.PositiveSmallIntegerField(
        choices=CardMemoryState.choices, default=CardMemoryState.NEW
    )
    step = models.PositiveSmallIntegerField(null=True, blank=True)
    stability = models.FloatField(null=True, blank=True)
    difficulty = models.FloatField(null=True, blank=True)
    due = models.DateTimeField(null=True, blank=True)
    last_review = models.DateTimeField(null=True, blank=True)
    reps = models.PositiveIntegerField(default=0)
    lapses = models.PositiveIntegerField(default=0)
    # Where an imported card came from (Anki's card id), so a re-import can be recognised.
    external_id = models.CharField(max_length=40, blank=True, default="")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords(excluded_fields=["image"])
    objects = CardQuerySet.as_manager()

    class Meta:
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["user", "is_suspended", "due"], name="idx_card_due"),
            models.Index(fields=["user", "memory_state"], name="idx_card_state"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(memory_state=0) | Q(due__isnull=False), name="card_reviewed_has_due"
            ),
            models.CheckConstraint(
                condition=Q(difficulty__isnull=True)
                | (Q(difficulty__gte=1) & Q(difficulty__lte=10)),
                name="card_difficulty_1_10",
            ),
        ]

    def __str__(self) -> str:
        return self.front[:60]

    @property
    def tag_list(self) -> list[str]:
        return self.tags.split()


class CardReviewQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class CardReview(models.Model):
    """One answer to one card: the grade, when, how long it took, and the memory after it.

    Append-only (no history): the review log is the history. `performance_record` is the
    evidence this review became; imported Anki history has none (docs/mastery.md).
    """

    id = models.BigAutoField(primary_key=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.CASCADE,
        related_name="card_reviews",
        db_index=False,
    )
    card = models.ForeignKey(Card, on_delete=models.CASCADE, related_name="reviews")
    rating = models.PositiveSmallIntegerField(
        validators=[MinValueValidator(1), MaxValueValidator(4)]
    )
    reviewed_at = models.DateTimeField()
    duration_ms = models.PositiveIntegerField(null=True, blank=True)
    state_before = models.PositiveSmallIntegerField(choices=CardMemoryState.choices)
    retrievability_before = models.FloatField(null=True, blank=True)
    stability_after = models.FloatField()
    difficulty_after = models.FloatField()
    due_after = models.DateTimeField()
    source = models.CharField(
        max_length=8, choices=CardReviewSource.choices, default=CardReviewSource.APP
    )
    performance_record = models.OneToOneField(
        "mastery.PerformanceRecord",
        on_delete=models.SET_NULL,
        null=True,
        blank=True,
        related_name="card_review",
    )

    objects = CardReviewQuerySet.as_manager()

    class Meta:
        ordering = ["reviewed_at", "id"]
        indexes = [
            models.Index(fields=["user", "reviewed_at"], name="idx_card_review_user"),
            models.Index(fields=["card", "reviewed_at"], name="idx_card_review_card"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(rating__gte=1) & Q(rating__lte=4), name="card_review_rating_1_4"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.card_id} rated {self.rating} at {self.reviewed_at:%Y-%m-%d %H:%M}"


class CardStudyProfileQuerySet(models.QuerySet):
    def for_user(self, user):
        return self.filter(user=user)


class CardStudyProfile(models.Model):
    """A student's flashcard settings and their own FSRS parameters.

    The parameters are used for the student's cards and for the spaced review of their topics
    (the mastery fold) once `fsrs_parameters` is set; empty means the library's defaults.
    """

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="card_study_profile"
    )
    new_cards_per_day = models.PositiveIntegerField(
        default=DEFAULT_NEW_CARDS_PER_DAY, validators=[MaxValueValidator(MAX_NEW_CARDS_PER_DAY)]
    )
    fsrs_parameters = models.JSONField(default=list, blank=True)
    parameters_fitted_at = models.DateTimeField(null=True, blank=True)
    # The fit's evidence: reviews used, and log loss of default and fitted parameters on them.
    parameters_review_count = models.PositiveIntegerField(default=0)
    parameters_metrics = models.JSONField(default=dict, blank=True)
    # Reviews since the last fit; a fit is queued when it reaches FSRS_REFIT_EVERY_REVIEWS.
    reviews_since_fit = models.PositiveIntegerField(default=0)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    history = HistoricalRecords()
    objects = CardStudyProfileQuerySet.as_manager()

    class Meta:
        constraints = [
            models.CheckConstraint(
                condition=Q(new_cards_per_day__lte=MAX_NEW_CARDS_PER_DAY),
                name="card_profile_new_cards_bounded",
            ),
        ]

    def __str__(self) -> str:
        return f"cards of {self.user_id}"
