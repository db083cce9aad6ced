"""Flashcards: decks, cards, bulk add, reviews (FSRS + evidence) and per-student parameters.

A review is one transaction: the card's new memory (the library's, moved by the load balancer),
a `CardReview`, and a `PerformanceRecord` of source "flashcard" for the card's topic, which
the mastery fold reads on commit like any other evidence (docs/mastery.md).
"""

from __future__ import annotations

import csv
import io
import logging
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import F
from django.utils import timezone
from simple_history.utils import bulk_create_with_history

from accounts import hygiene
from accounts.errors import ApplicationError
from accounts.tasking import enqueue_on_commit
from accounts.timezones import user_zone
from courses.models import Topic
from mastery import card_text
from mastery.card_models import MAX_NEW_CARDS_PER_DAY
from mastery.card_selectors import student_parameters
from mastery.engine import cards as card_engine
from mastery.engine import fsrs_fit
from mastery.engine.retention import GRADE_AGAIN
from mastery.models import (
    Card,
    CardKind,
    CardMemoryState,
    CardReview,
    CardReviewSource,
    CardStudyProfile,
    Deck,
    EvidenceSource,
)
from mastery.services.performance import performance_record_create

logger = logging.getLogger(__name__)

# A fit is queued after this many new reviews: about two weeks of a daily 20-card habit, when
# enough has changed to move the parameters; fitting after every review would only add noise.
FSRS_REFIT_EVERY_REVIEWS = 200

# Card text limits match the model columns; a card is a prompt, not a chapter.
CARD_TEXT_MAX = 4000

# The evidence record of a review needs whole minutes (the column's minimum is 1); the
# review's measured seconds go in its breakdown entry, which the fold uses.
EVIDENCE_MINUTES = 1

# A review lasting longer than this is a student who walked away, not thinking time; it is
# capped so one interrupted review cannot inflate the seconds per card of the plan.
MAX_REVIEW_MS = 5 * 60 * 1000

RATINGS = (1, 2, 3, 4)


def card_image_max_bytes() -> int:
    return int(getattr(settings, "CARD_IMAGE_MAX_BYTES", 512 * 1024))


# --- Profile -----------------------------------------------------------------------------------


def card_profile_get(*, user) -> CardStudyProfile:
    profile = CardStudyProfile.objects.for_user(user).first()
    if profile is None:
        profile, _ = CardStudyProfile.objects.get_or_create(user=user)
    return profile


def card_profile_update(*, user, new_cards_per_day: Any) -> CardStudyProfile:
    maximum = MAX_NEW_CARDS_PER_DAY
    if (
        isinstance(new_cards_per_day, bool)
        or not isinstance(new_cards_per_day, int)
        or not 0 <= new_cards_per_day <= maximum
    ):
        message = f"Give a whole number from 0 to {maximum}."
        raise ApplicationError(message, field_errors={"new_cards_per_day": [message]})
    profile = card_profile_get(user=user)
    profile.new_cards_per_day = new_cards_per_day
    profile.save(update_fields=["new_cards_per_day", "updated_at"])
    return profile


# --- Decks -------------------------------------------------------------------------------------


def _deck_errors(*, user, topic: Topic | None, name: Any, description: Any, deck=None):
    errors: dict[str, list[str]] = {}
    if topic is None or topic.course.user_id != user.pk:
        errors["topic"] = ["Not one of your topics."]
    if not isinstance(name, str) or not name.strip() or len(name.strip()) > 120:
        errors["name"] = ["Give a name of 1 to 120 characters."]
    elif not hygiene.is_clean_text(name):
        errors["name"] = [hygiene.TEXT_REFUSED]
    if not isinstance(description, str) or len(description) > 2000:
        errors["description"] = ["At most 2000 characters."]
    elif not hygiene.is_clean_text(description):
        errors["description"] = [hygiene.TEXT_REFUSED]
    if not errors:
        clash = Deck.objects.for_user(user).filter(topic=topic, name=name.strip())
        if deck is not None:
            clash = clash.exclude(pk=deck.pk)
        if clash.exists():
            errors["name"] = ["This topic already has a deck of that name."]
    return errors


def deck_create(*, user, topic: Topic, name: str, description: str = "") -> Deck:
    errors = _deck_errors(user=user, topic=topic, name=name, description=description)
    if errors:
        raise ApplicationError("The deck is invalid.", field_errors=errors)
    return Deck.objects.create(user=user, topic=topic, name=name.strip(), description=description)


def deck_update(*, deck: Deck, **fields: Any) -> Deck:
    unknown = sorted(set(fields) - {"name", "description", "topic"})
    if unknown:
        raise ApplicationError(f"Unknown field(s): {', '.join(unknown)}.")
    values = {"name": deck.name, "description": deck.description, "topic": deck.topic} | fields
    errors = _deck_errors(user=deck.user, deck=deck, **values)
    if errors:
        raise ApplicationError("The deck is invalid.", field_errors=errors)
    deck.name = values["name"].strip()
    deck.description = values["description"]
    deck.topic = values["topic"]
    deck.save()
    return deck


def deck_delete(*, deck: Deck) -> None:
    deck.delete()


# --- Cards -------------------------------------------------------------------------------------


@dataclass
class CardDraft:
    kind: str
    front: str
    back: str
    tags: str
    cloze_indexes: list[int] = field(default_factory=list)


def _text_errors(name: str, value: Any, *, required: bool) -> list[str]:
    if not isinstance(value, str):
        return ["Must be text."]
    if required and not value.strip():
        return ["This field is required."]
    if len(value) > CARD_TEXT_MAX:
        return [f"At most {CARD_TEXT_MAX} characters."]
    if not hygiene.is_clean_text(value):
        return [hygiene.TEXT_REFUSED]
    return []


def card_draft(
    *, kind: Any = CardKind.BASIC, front: Any, back: Any = "", tags: Any = None
) -> tuple[CardDraft | None, dict[str, list[str]]]:
    """Check one card's fields; a cloze text must hold at least one {{cN::...}}."""
    errors: dict[str, list[str]] = {}
    if kind not in CardKind.values:
        errors["kind"] = [f"One of: {', '.join(CardKind.values)}."]
    for name, value, required in (("front", front, True), ("back", back, kind == CardKind.BASIC)):
        problems = _text_errors(name, value, required=required)
        if problems:
            errors[name] = problems
    stored_tags, tag_errors = card_text.normalise_tags(tags)
    if tag_errors:
        errors["tags"] = tag_errors
    indexes: list[int] = []
    if not errors and kind == CardKind.CLOZE:
        indexes = card_text.cloze_indexes(front)
        if not indexes:
            errors["front"] = ["A cloze card needs at least one {{c1::...}} in its text."]
    if errors:
        return None, errors
    return CardDraft(kind, front.strip(), (back or "").strip(), stored_tags, indexes), {}


def _image_errors(image: bytes | None) -> tuple[str, list[str]]:
    if image is None:
        return "", []
    if len(image) > card_image_max_bytes():
        return "", [f"The image may be at most {card_image_max_bytes() // 1024} KB."]
    content_type = card_text.image_content_type(image)
    if content_type is None:
        return "", ["The image must be a PNG, JPEG or GIF file."]
    return content_type, []


def _cards_from_draft(*, user, deck: Deck, draft: CardDraft, **extra) -> list[Card]:
    indexes = draft.cloze_indexes if draft.kind == CardKind.CLOZE else [0]
    return [
        Card(
            user=user,
            deck=deck,
            kind=draft.kind,
            front=draft.front,
            back=draft.back,
            tags=draft.tags,
            cloze_index=index,
            **extra,
        )
        for index in indexes
    ]


def card_create(
    *,
    user,
    deck: Deck,
    front: Any,
    back: Any = "",
    kind: Any = CardKind.BASIC,
    tags: Any = None,
    image: bytes | None = None,
) -> list[Card]:
    """One card, or one per cloze number of a cloze text (as Anki makes them)."""
    if deck.user_id != user.pk:
        raise ApplicationError("Not one of your decks.", field_errors={"deck": ["Not found."]})
    draft, errors = card_draft(kind=kind, front=front, back=back, tags=tags)
    content_type, image_errors = _image_errors(image)
    if image_errors:
        errors["image"] = image_errors
    if errors:
        raise ApplicationError("The card is invalid.", field_errors=errors)
    extra = {"image": image, "image_content_type": content_type} if image else {}
    with transaction.atomic():
        return bulk_create_with_history(
            _cards_from_draft(user=user, deck=deck, draft=draft, **extra), Card
        )


def card_update(
    *,
    card: Card,
    front: Any = None,
    back: Any = None,
    tags: Any = None,
    is_suspended: Any = None,
    image: bytes | None = None,
    remove_image: bool = False,
) -> Card:
    """Change a card's text, tags, image or suspension; its memory is kept."""
    draft, errors = card_draft(
        kind=card.kind,
        front=card.front if front is None else front,
        back=card.back if back is None else back,
        tags=card.tag_list if tags is None else tags,
    )
    if is_suspended is not None and not isinstance(is_suspended, bool):
        errors["is_suspended"] = ["Must be true or false."]
    content_type, image_errors = _image_errors(image)
    if image_errors:
        errors["image"] = image_errors
    if not errors and card.kind == CardKind.CLOZE and card.cloze_index not in draft.cloze_indexes:
        errors["front"] = [f"This card asks cloze c{card.cloze_index}; keep it in the text."]
    if errors:
        raise ApplicationError("The card is invalid.", field_errors=errors)
    card.front, card.back, card.tags = draft.front, draft.back, draft.tags
    if is_suspended is not None:
        card.is_suspended = is_suspended
    if image is not None:
        card.image, card.image_content_type = image, content_type
    elif remove_image:
        card.image, card.image_content_type = None, ""
    card.save()
    return card


def card_suspend(*, card: Card, is_suspended: bool = True) -> Card:
    card.is_suspended = is_suspended
    card.save(update_fields=["is_suspended", "updated_at"])
    return card


def card_delete(*, card: Card) -> None:
    card.delete()


# --- Bulk add ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class BulkLineReport:
    line: int
    front: str
    errors: list[str]


@dataclass
class BulkAddReport:
    created: int
    lines: list[BulkLineReport]

    @property
    def is_valid(self) -> bool:
        return all(not line.errors for line in self.lines)


def _bulk_rows(text: str, *, is_csv: bool) -> list[tuple[int, list[str]]]:
    if is_csv:
        reader = csv.reader(io.StringIO(text))
        return [(reader.line_num, row) for row in reader if any(cell.strip() for cell in row)]
    return [
        (number, line.split(";"))
        for number, line in enumerate(text.splitlines(), start=1)
        if line.strip()
    ]


def cards_bulk_add(*, user, deck: Deck, text: Any, is_csv: bool = False) -> BulkAddReport:
    """Add "front;back[;tags]" lines (or CSV rows front,back[,tags]): every line or none.

    The report has one entry per non-blank line; nothing is written while any line is wrong.
    A line starting with "cloze:" makes a cloze card from the rest of its text.
    """
    if deck.user_id != user.pk:
        raise ApplicationError("Not one of your decks.", field_errors={"deck": ["Not found."]})
    if not isinstance(text, str) or not hygiene.is_clean_text(text):
        raise ApplicationError("Unreadable text.", field_errors={"text": [hygiene.TEXT_REFUSED]})
    if len(text.encode()) > hygiene.import_max_bytes():
        message = f"At most {hygiene.import_max_bytes() // 1024} KB at once."
        raise ApplicationError(message, field_errors={"text": [message]})
    try:
        rows = _bulk_rows(text, is_csv=is_csv)
    except csv.Error as exc:
        raise ApplicationError("Unreadable CSV.", field_errors={"text": [str(exc)]}) from exc
    if not rows:
        raise ApplicationError("No cards given.", field_errors={"text": ["No cards given."]})
    if len(rows) > hygiene.import_max_rows():
        message = f"At most {hygiene.import_max_rows()} lines at once."
        raise ApplicationError(message, field_errors={"text": [message]})
    reports: list[BulkLineReport] = []
    new_cards: list[Card] = []
    for number, cells in rows:
        cells = [cell.strip() for cell in cells]
        front = cells[0] if cells else ""
        kind = CardKind.BASIC
        if front.lower().startswith("cloze:"):
            kind, front = CardKind.CLOZE, front[len("cloze:") :].strip()
        if len(cells) > 3:
            reports.append(BulkLineReport(number, front[:80], ["Too many fields (at most 3)."]))
            continue
        back = cells[1] if len(cells) > 1 else ""
        tags = cells[2] if len(cells) > 2 else ""
        draft, errors = card_draft(kind=kind, front=front, back=back, tags=tags)
        messages = [f"{name}: {message}" for name, items in errors.items() for message in items]
        reports.append(BulkLineReport(number, front[:80], messages))
        if draft is not None:
            new_cards.extend(_cards_from_draft(user=user, deck=deck, draft=draft))
    report = BulkAddReport(created=0, lines=reports)
    if report.is_valid:
        with transaction.atomic():
            report.created = len(bulk_create_with_history(new_cards, Card))
    return report


# --- Reviews -----------------------------------------------------------------------------------


def _memory_of(card: Card) -> card_engine.CardMemory:
    return card_engine.CardMemory(
        state=card.memory_state,
        step=card.step,
        stability=card.stability,
        difficulty=card.difficulty,
        due=card.due,
        last_review=card.last_review,
    )


def _review_load(*, user, day_zero, low: int, high: int, zone) -> dict[int, int]:
    """Reviews already due per day (days after `day_zero`, the student's date) in [low, high]."""
    start = datetime.combine(day_zero + timedelta(days=low), time(0), tzinfo=zone)
    end = datetime.combine(day_zero + timedelta(days=high + 1), time(0), tzinfo=zone)
    load: dict[int, int] = {}
    dues = (
        Card.objects.for_user(user)
        .active()
        .filter(memory_state=CardMemoryState.REVIEW, due__gte=start, due__lt=end)
        .values_list("due", flat=True)
    )
    for due in dues:
        day = (due.astimezone(zone).date() - day_zero).days
        load[day] = load.get(day, 0) + 1
    return load


@dataclass(frozen=True)
class CardReviewResult:
    card: Card
    review: CardReview
    interval_days: int


def card_review_answer(
    *,
    user,
    card: Card,
    rating: Any,
    duration_ms: Any = None,
    reviewed_at: datetime | None = None,
) -> CardReviewResult:
    """Grade one card (1 Again .. 4 Easy): new memory, the review, and its evidence."""
    errors: dict[str, list[str]] = {}
    if isinstance(rating, bool) or rating not in RATINGS:
        errors["rating"] = ["1 (Again), 2 (Hard), 3 (Good) or 4 (Easy)."]
    if duration_ms is not None and (
        isinstance(duration_ms, bool) or not isinstance(duration_ms, int) or duration_ms < 0
    ):
        errors["duration_ms"] = ["A whole number of milliseconds, at least 0."]
    if card.user_id != user.pk:
        errors["card"] = ["Not found."]
    elif card.is_suspended:
        errors["card"] = ["This card is suspended; unsuspend it to review it."]
    if errors:
        raise ApplicationError("The review is invalid.", field_errors=errors)
    now = reviewed_at or timezone.now()
    zone = user_zone(user)
    parameters = student_parameters(user=user)
    with transaction.atomic():
        card = Card.objects.select_for_update().select_related("deck__topic").get(pk=card.pk)
        state_before = card.memory_state
        outcome = card_engine.review_card(_memory_of(card), rating, now, parameters=parameters)
        interval = outcome.interval_days
        if outcome.memory.state == CardMemoryState.REVIEW:
            low, high = card_engine.balance_window(interval)
            if low != high:
                today = now.astimezone(zone).date()
                load = _review_load(user=user, day_zero=today, low=low, high=high, zone=zone)
                interval = card_engine.balanced_interval(interval, load)
                outcome = card_engine.with_due(outcome, now, interval)
        memory = outcome.memory
        card.memory_state = memory.state
        card.step = memory.step
        card.stability = memory.stability
        card.difficulty = memory.difficulty
        card.due = memory.due
        card.last_review = memory.last_review
        card.reps += 1
        card.lapses += int(rating == GRADE_AGAIN and state_before == CardMemoryState.REVIEW)
        card.save()
        seconds = min(duration_ms, MAX_REVIEW_MS) / 1000 if duration_ms is not None else None
        topic = card.deck.topic
        record = performance_record_create(
            user=user,
            course=topic.course,
            score=float(rating != GRADE_AGAIN),
            max_score=1.0,
            time_spent_min=EVIDENCE_MINUTES,
            completed_at=now,
            topic_breakdown={
                str(topic.pk): {
                    "correct": int(rating != GRADE_AGAIN),
                    "total": 1,
                    "time_min": (seconds or 0) / 60,
                    "grade": rating,
                }
            },
            source=EvidenceSource.FLASHCARD,
        )
        review = CardReview.objects.create(
            user=user,
            card=card,
            rating=rating,
            reviewed_at=now,
            duration_ms=min(duration_ms, MAX_REVIEW_MS) if duration_ms is not None else None,
            state_before=state_before,
            retrievability_before=outcome.retrievability_before,
            stability_after=memory.stability,
            difficulty_after=memory.difficulty,
            due_after=memory.due,
            source=CardReviewSource.APP,
            performance_record=record,
        )
        _count_toward_refit(user=user)
    return CardReviewResult(card=card, review=review, interval_days=interval)


def _count_toward_refit(*, user) -> None:
    """One more review; at the threshold a fit is queued after commit. The counter is durable,
    so a lost enqueue is retried by the next review (and by the weekly command)."""
    profile = card_profile_get(user=user)
    CardStudyProfile.objects.filter(pk=profile.pk).update(
        reviews_since_fit=F("reviews_since_fit") + 1
    )
    if profile.reviews_since_fit + 1 >= FSRS_REFIT_EVERY_REVIEWS:
        from mastery.tasks import fit_card_parameters  # the task module imports services

        enqueue_on_commit(fit_card_parameters, str(user.pk), robust=True)


# --- Per-student FSRS parameters -----------------------------------------------------------------


def review_events(*, user) -> list[fsrs_fit.ReviewEvent]:
    return [
        fsrs_fit.ReviewEvent(str(card_id), reviewed_at, rating)
        for card_id, reviewed_at, rating in CardReview.objects.for_user(user)
        .order_by("reviewed_at", "id")
        .values_list("card_id", "reviewed_at", "rating")
    ]


def card_parameters_fit(*, user) -> fsrs_fit.FsrsFit:
    """Fit the student's FSRS parameters from their reviews; keep them only when they predict
    the student's later reviews better than the defaults (fsrs_fit). Their topics are then
    folded again, since the spaced review of topics uses the same parameters."""
    result = fsrs_fit.fit_parameters(review_events(user=user))
    with transaction.atomic():
        profile = card_profile_get(user=user)
        before = list(profile.fsrs_parameters or [])
        profile.parameters_review_count = result.review_count
        profile.parameters_metrics = result.metrics
        profile.parameters_fitted_at = timezone.now()
        profile.reviews_since_fit = 0
        if result.is_fitted:
            profile.fsrs_parameters = list(result.parameters)
        profile.save()
        if result.is_fitted and before != list(result.parameters):
            from mastery.services.recompute import _enqueue_recompute

            _enqueue_recompute(
                user_id=user.pk, topic_ids=Topic.objects.for_user(user).values_list("pk", flat=True)
            )
    return result
