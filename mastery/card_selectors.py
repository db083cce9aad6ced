"""Composed reads of flashcards: the due queue, decks with counts, seconds per card, and the
predicted recall of a topic's cards on a day (readiness)."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, time
from statistics import median

from django.db.models import Count, Q, QuerySet

from accounts.timezones import user_zone
from mastery.card_models import DEFAULT_NEW_CARDS_PER_DAY
from mastery.engine import cards as card_engine
from mastery.engine.retention import FSRS_DEFAULT_PARAMETERS
from mastery.models import Card, CardMemoryState, CardReview, CardStudyProfile, Deck

# Before a student has timed reviews: Anki's statistics put a typical answer near 8-10 seconds;
# 10 rounds the plan up rather than down.
DEFAULT_SECONDS_PER_CARD = 10.0

# The measured pace is the median of the student's latest reviews: recent enough to follow
# a change of habit, many enough that one slow card does not move it.
SECONDS_PER_CARD_SAMPLE = 200


def student_parameters(*, user) -> tuple[float, ...]:
    """The student's fitted FSRS parameters, or the library's defaults."""
    values = (
        CardStudyProfile.objects.for_user(user).values_list("fsrs_parameters", flat=True).first()
    )
    if values and len(values) == len(FSRS_DEFAULT_PARAMETERS):
        return tuple(float(value) for value in values)
    return FSRS_DEFAULT_PARAMETERS


def new_cards_per_day(*, user) -> int:
    value = (
        CardStudyProfile.objects.for_user(user).values_list("new_cards_per_day", flat=True).first()
    )
    return DEFAULT_NEW_CARDS_PER_DAY if value is None else value


def local_day_start(user, moment: datetime) -> datetime:
    zone = user_zone(user)
    return datetime.combine(moment.astimezone(zone).date(), time(0), tzinfo=zone)


def new_cards_left_today(*, user, now: datetime) -> int:
    """The daily limit less the new cards already answered since the student's midnight."""
    introduced = (
        CardReview.objects.for_user(user)
        .filter(state_before=CardMemoryState.NEW, reviewed_at__gte=local_day_start(user, now))
        .count()
    )
    return max(0, new_cards_per_day(user=user) - introduced)


@dataclass(frozen=True)
class DueQueue:
    cards: list[Card]
    due_count: int  # learning and review cards due now
    new_count: int  # new cards still allowed today (and available)

    @property
    def total(self) -> int:
        return self.due_count + self.new_count


def due_queue(*, user, now: datetime, deck: Deck | None = None, limit: int = 1) -> DueQueue:
    """Cards to answer now: due learning and review cards first (oldest due first), then new
    cards up to what the daily limit leaves. `limit` bounds the cards loaded, not the counts."""
    scope = Card.objects.for_user(user).active().select_related("deck")
    if deck is not None:
        scope = scope.filter(deck=deck)
    due = scope.due_by(now).order_by("due", "id")
    left = new_cards_left_today(user=user, now=now)
    counts = scope.aggregate(
        due=Count("pk", filter=~Q(memory_state=CardMemoryState.NEW) & Q(due__lte=now)),
        new=Count("pk", filter=Q(memory_state=CardMemoryState.NEW)),
    )
    new_count = min(left, counts["new"])
    cards = list(due[:limit])
    if len(cards) < limit and new_count:
        cards += list(
            scope.new().order_by("created_at", "id")[: min(new_count, limit - len(cards))]
        )
    return DueQueue(cards=cards, due_count=counts["due"], new_count=new_count)


def decks_with_counts(*, user, now: datetime) -> QuerySet[Deck]:
    """The student's decks with card, suspended, new and due counts (one query)."""
    return (
        Deck.objects.for_user(user)
        .select_related("topic__course")
        .annotate(
            card_count=Count("cards"),
            suspended_count=Count("cards", filter=Q(cards__is_suspended=True)),
            new_count=Count(
                "cards",
                filter=Q(cards__memory_state=CardMemoryState.NEW, cards__is_suspended=False),
            ),
            due_count=Count(
                "cards",
                filter=~Q(cards__memory_state=CardMemoryState.NEW)
                & Q(cards__due__lte=now, cards__is_suspended=False),
            ),
        )
        .order_by("topic__course__name", "name", "id")
    )


def seconds_per_card(*, user) -> float:
    """The student's median answer time over their latest timed reviews."""
    durations = list(
        CardReview.objects.for_user(user)
        .filter(duration_ms__isnull=False)
        .order_by("-reviewed_at")
        .values_list("duration_ms", flat=True)[:SECONDS_PER_CARD_SAMPLE]
    )
    if not durations:
        return DEFAULT_SECONDS_PER_CARD
    return max(1.0, median(durations) / 1000)


def due_cards_by_topic_day(*, user, until: datetime) -> dict[str, dict]:
    """Topic id -> {local date: number of active cards due that day or earlier (first day)}.

    New cards are not counted: how many to start is the daily limit's choice, not a due date.
    """
    zone = user_zone(user)
    counts: dict[str, dict] = defaultdict(lambda: defaultdict(int))
    rows = (
        Card.objects.for_user(user)
        .active()
        .exclude(memory_state=CardMemoryState.NEW)
        .filter(due__lte=until)
        .values_list("deck__topic_id", "due")
    )
    for topic_id, due in rows:
        counts[str(topic_id)][due.astimezone(zone).date()] += 1
    return {topic: dict(days) for topic, days in counts.items()}


def card_recall_rows(*, user, topic_ids: Iterable[str]) -> list[tuple[str, float, datetime]]:
    """(topic id, stability, last review) of the student's reviewed, active cards of these
    topics: what `mean_card_recall` needs, in one query for any number of exams."""
    return [
        (str(topic_id), stability, last_review)
        for topic_id, stability, last_review in Card.objects.for_user(user)
        .active()
        .exclude(memory_state=CardMemoryState.NEW)
        .filter(deck__topic_id__in=list(topic_ids), stability__isnull=False)
        .values_list("deck__topic_id", "stability", "last_review")
    ]


def mean_card_recall(
    rows: Iterable[tuple[str, float, datetime]], *, at: datetime, parameters
) -> dict[str, tuple[float, int]]:
    """Topic id -> (mean predicted recall of its cards at `at`, card count).

    The library's forgetting curve with the student's parameters, assuming no review before
    `at`: what the student would remember on the exam day if they stopped reviewing now.
    """
    totals: dict[str, list[float]] = defaultdict(list)
    for topic_id, stability, last_review in rows:
        memory = card_engine.CardMemory(
            state=CardMemoryState.REVIEW, stability=stability, last_review=last_review
        )
        recall = card_engine.card_retrievability(memory, at, parameters)
        if recall is not None:
            totals[topic_id].append(recall)
    return {topic: (sum(values) / len(values), len(values)) for topic, values in totals.items()}


def predicted_card_recall(
    *, user, topic_ids: Iterable[str], at: datetime
) -> dict[str, tuple[float, int]]:
    """Topic id -> (mean predicted recall of its reviewed cards at `at`, card count)."""
    return mean_card_recall(
        card_recall_rows(user=user, topic_ids=topic_ids),
        at=at,
        parameters=student_parameters(user=user),
    )
