"""Flashcards through the services: decks, cards, bulk add, reviews with FSRS, the daily new-card
limit, the load balancer, reviews as evidence and per-student parameters."""

import random
from datetime import UTC, datetime, timedelta

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from accounts.errors import ApplicationError
from courses.tests.factories import CourseFactory, TopicFactory
from mastery import card_selectors
from mastery.engine import cards as card_engine
from mastery.engine import fsrs_fit
from mastery.engine import rules as engine_rules
from mastery.engine.retention import FSRS_DEFAULT_PARAMETERS
from mastery.models import (
    Card,
    CardKind,
    CardMemoryState,
    CardReview,
    EvidenceSource,
    MasteryObservation,
    MasteryRecord,
    PerformanceRecord,
)
from mastery.services import cards as card_services

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32


@pytest.fixture
def topic(user):
    return TopicFactory(course=CourseFactory(user=user), name="Derivatives")


@pytest.fixture
def deck(user, topic):
    return card_services.deck_create(user=user, topic=topic, name="Rules")


def test_deck_and_cards_created_tagged_suspended(user, deck):
    (card,) = card_services.card_create(
        user=user, deck=deck, front="d/dx x^2", back="2x", tags="calculus, rules", image=PNG
    )
    assert card.tag_list == ["calculus", "rules"]
    assert card.image_content_type == "image/png"
    assert list(Card.objects.for_user(user).tagged("rules")) == [card]
    assert not Card.objects.for_user(user).tagged("rule").exists()
    card_services.card_update(card=card, back="2 x", is_suspended=True)
    card.refresh_from_db()
    assert (card.back, card.is_suspended) == ("2 x", True)
    assert card.history.count() == 2


def test_cloze_text_makes_one_card_per_number(user, deck):
    cards = card_services.card_create(
        user=user, deck=deck, kind=CardKind.CLOZE, front="{{c1::Paris}} is in {{c2::France}}"
    )
    assert sorted(card.cloze_index for card in cards) == [1, 2]


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"front": ""}, "front"),
        ({"front": "a", "back": ""}, "back"),
        ({"front": "no cloze", "kind": CardKind.CLOZE}, "front"),
        ({"front": "a", "back": "b", "tags": "bad tag!"}, "tags"),
        ({"front": "a\x00", "back": "b"}, "front"),
        ({"front": "a", "back": "b", "kind": "other"}, "kind"),
        ({"front": "a", "back": "b", "image": b"not an image"}, "image"),
    ],
)
def test_bad_card_is_refused_with_field_errors(user, deck, fields, field):
    with pytest.raises(ApplicationError) as error:
        card_services.card_create(user=user, deck=deck, **fields)
    assert field in error.value.field_errors
    assert not Card.objects.exists()


def test_other_students_deck_is_refused(user, other_user, deck):
    with pytest.raises(ApplicationError):
        card_services.card_create(user=other_user, deck=deck, front="a", back="b")
    with pytest.raises(ApplicationError):
        card_services.cards_bulk_add(user=other_user, deck=deck, text="a;b")
    other_topic = TopicFactory(course=CourseFactory(user=other_user))
    with pytest.raises(ApplicationError) as error:
        card_services.deck_create(user=user, topic=other_topic, name="Mine?")
    assert "topic" in error.value.field_errors


def test_bulk_add_is_all_or_nothing_with_a_report_per_line(user, deck):
    report = card_services.cards_bulk_add(
        user=user, deck=deck, text="a;b\n\n;missing front\nc;d;tag1\ne;f;g;h\n"
    )
    assert not report.is_valid
    assert [(line.line, bool(line.errors)) for line in report.lines] == [
        (1, False),
        (3, True),
        (4, False),
        (5, True),
    ]
    assert report.created == 0 and not Card.objects.exists()
    report = card_services.cards_bulk_add(
        user=user, deck=deck, text="a;b\ncloze:{{c1::x}} and {{c2::y}}\n"
    )
    assert report.is_valid and report.created == 3


def test_bulk_add_csv(user, deck):
    report = card_services.cards_bulk_add(
        user=user, deck=deck, text='front,back\n"a, with comma",b\n', is_csv=True
    )
    assert report.created == 2
    assert Card.objects.filter(front="a, with comma").exists()


def test_review_updates_memory_and_records_evidence(
    user, deck, topic, django_capture_on_commit_callbacks
):
    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        result = card_services.card_review_answer(user=user, card=card, rating=3, duration_ms=7000)
    card.refresh_from_db()
    assert card.memory_state == CardMemoryState.LEARNING  # the library's learning step
    assert card.due == NOW + timedelta(minutes=10)
    record = PerformanceRecord.objects.get()
    assert record.source == EvidenceSource.FLASHCARD
    assert record.topic_breakdown[str(topic.pk)]["grade"] == 3
    assert result.review.performance_record == record
    observation = MasteryObservation.objects.get(topic=topic)
    assert observation.kind == "flashcard"
    assert observation.alpha == pytest.approx(engine_rules.FLASHCARD_ALPHA)
    # The neutral prior of 50 moved towards 100 by the flashcard rate.
    assert MasteryRecord.objects.get(topic=topic).mastery_score == pytest.approx(
        50 + 50 * engine_rules.FLASHCARD_ALPHA
    )


def test_again_is_a_wrong_answer_in_evidence(user, deck, topic, django_capture_on_commit_callbacks):
    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        card_services.card_review_answer(user=user, card=card, rating=1)
    assert MasteryRecord.objects.get(topic=topic).mastery_score == pytest.approx(
        50 - 50 * engine_rules.FLASHCARD_ALPHA
    )


@pytest.mark.parametrize("rating", [0, 5, "3", True, None])
def test_bad_rating_is_refused_and_writes_nothing(user, deck, rating):
    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    with pytest.raises(ApplicationError) as error:
        card_services.card_review_answer(user=user, card=card, rating=rating)
    assert "rating" in error.value.field_errors
    assert not CardReview.objects.exists() and not PerformanceRecord.objects.exists()


def test_suspended_card_cannot_be_reviewed(user, deck):
    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    card_services.card_suspend(card=card)
    with pytest.raises(ApplicationError):
        card_services.card_review_answer(user=user, card=card, rating=3)


def test_review_answer_costs_the_same_queries_for_a_big_deck(user, deck):
    card_services.cards_bulk_add(user=user, deck=deck, text="a;b\nc;d\ne;f")
    warm_up, first, second = Card.objects.order_by("front")
    with time_machine.travel(NOW, tick=False):
        # The first review ever also creates the student's profile row.
        card_services.card_review_answer(user=user, card=warm_up, rating=3)
        with CaptureQueriesContext(connection) as small:
            card_services.card_review_answer(user=user, card=first, rating=3)
        card_services.cards_bulk_add(
            user=user, deck=deck, text="\n".join(f"q{n};a{n}" for n in range(60))
        )
        with CaptureQueriesContext(connection) as big:
            card_services.card_review_answer(user=user, card=second, rating=3)
    assert len(big.captured_queries) == len(small.captured_queries)


def test_daily_new_card_limit_counts_from_the_students_midnight(user, deck):
    card_services.card_profile_update(user=user, new_cards_per_day=2)
    card_services.cards_bulk_add(user=user, deck=deck, text="\n".join(f"q{n};a" for n in range(5)))
    with time_machine.travel(NOW, tick=False):
        queue = card_selectors.due_queue(user=user, now=NOW, limit=10)
        assert (queue.new_count, len(queue.cards)) == (2, 2)
        for card in queue.cards:
            card_services.card_review_answer(user=user, card=card, rating=4)
        assert card_selectors.due_queue(user=user, now=NOW, limit=10).new_count == 0
    tomorrow = NOW + timedelta(days=1)
    assert card_selectors.due_queue(user=user, now=tomorrow, limit=10).new_count == 2


def test_new_card_limit_is_validated(user):
    for bad in (-1, 10_000, "5", 2.5, True):
        with pytest.raises(ApplicationError):
            card_services.card_profile_update(user=user, new_cards_per_day=bad)


def test_load_balancer_spreads_a_busy_day_evenly():
    """A thousand reviews of one interval land on the window's days in equal shares."""
    load: dict[int, int] = {}
    for _ in range(1000):
        day = card_engine.balanced_interval(40, load)
        load[day] = load.get(day, 0) + 1
    low, high = card_engine.balance_window(40)
    assert set(load) == set(range(low, high + 1))
    assert max(load.values()) - min(load.values()) <= 1


def test_load_balancer_avoids_a_day_already_full():
    assert card_engine.balanced_interval(20, {20: 5, 19: 5, 21: 0}) == 21
    assert card_engine.balanced_interval(2, {2: 100}) == 2  # short intervals never move


def test_reviews_land_on_the_least_loaded_day(user, deck):
    """Through the service: cards graduating the same day are spread over their window."""
    card_services.cards_bulk_add(user=user, deck=deck, text="\n".join(f"q{n};a" for n in range(9)))
    memory = card_engine.CardMemory(
        state=CardMemoryState.REVIEW,
        stability=20.0,
        difficulty=5.0,
        due=NOW,
        last_review=NOW - timedelta(days=20),
    )
    Card.objects.update(
        memory_state=memory.state,
        stability=memory.stability,
        difficulty=memory.difficulty,
        due=memory.due,
        last_review=memory.last_review,
    )
    with time_machine.travel(NOW, tick=False):
        for card in Card.objects.all():
            card_services.card_review_answer(user=user, card=card, rating=3)
    days = [(card.due.date() - NOW.date()).days for card in Card.objects.all()]
    counts = {day: days.count(day) for day in set(days)}
    assert len(counts) > 1
    assert max(counts.values()) - min(counts.values()) <= 1


def test_seconds_per_card_is_the_students_median(user, deck):
    assert card_selectors.seconds_per_card(user=user) == card_selectors.DEFAULT_SECONDS_PER_CARD
    card_services.cards_bulk_add(user=user, deck=deck, text="a;b\nc;d\ne;f")
    with time_machine.travel(NOW, tick=False):
        for card, ms in zip(Card.objects.all(), (4000, 6000, 60_000), strict=True):
            card_services.card_review_answer(user=user, card=card, rating=3, duration_ms=ms)
    assert card_selectors.seconds_per_card(user=user) == 6.0


MAX_SIMULATED_REVIEWS = 60


def _simulated_history(true_parameters, *, cards=80, days=120, seed=11):
    """Reviews of a student whose memory follows `true_parameters` while the app schedules with
    the defaults: each review is recalled with the true predicted recall as its probability
    (a seeded generator, so the history is the same on every run)."""
    rng = random.Random(seed)
    events = []
    for index in range(cards):
        truth, scheduled = card_engine.CardMemory(), card_engine.CardMemory()
        at = NOW - timedelta(days=days) + timedelta(hours=index)
        for _ in range(MAX_SIMULATED_REVIEWS):
            if at >= NOW:
                break
            recall = card_engine.card_retrievability(truth, at, true_parameters)
            rating = 3 if recall is None or rng.random() < recall else 1
            events.append(fsrs_fit.ReviewEvent(str(index), at, rating))
            truth = card_engine.review_card(truth, rating, at, parameters=true_parameters).memory
            scheduled = card_engine.review_card(scheduled, rating, at).memory
            at = scheduled.due
    return events


def test_parameter_fit_needs_enough_reviews(user):
    fit = fsrs_fit.fit_parameters(_simulated_history(FSRS_DEFAULT_PARAMETERS, cards=3, days=10))
    assert not fit.is_fitted
    assert fit.parameters == FSRS_DEFAULT_PARAMETERS
    assert fit.metrics["reason"] == "too_few_reviews"


def test_parameter_fit_recovers_a_student_who_forgets_fast():
    """A student whose stability grows far less after each recall (w8 one lower, about a third of
    the growth): the fit predicts their later reviews better than the defaults do, and its w8
    moves from the default towards the student's."""
    forgetful = list(FSRS_DEFAULT_PARAMETERS)
    forgetful[8] = FSRS_DEFAULT_PARAMETERS[8] - 1.0
    fit = fsrs_fit.fit_parameters(_simulated_history(tuple(forgetful), cards=120, days=200))
    assert fit.review_count >= fsrs_fit.MIN_FIT_REVIEWS
    assert fit.metrics["holdout_log_loss_fitted"] < fit.metrics["holdout_log_loss_default"]
    assert fit.is_fitted
    assert forgetful[8] <= fit.parameters[8] < FSRS_DEFAULT_PARAMETERS[8] - 0.5


def test_fitted_parameters_are_stored_and_used_for_topics_and_cards(
    user, deck, topic, django_capture_on_commit_callbacks
):
    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        card_services.card_review_answer(user=user, card=card, rating=3)
    default_memory = MasteryRecord.objects.get(topic=topic).memory
    profile = card_services.card_profile_get(user=user)
    custom = list(FSRS_DEFAULT_PARAMETERS)
    custom[2] = 0.5  # a much shorter first stability after Good
    profile.fsrs_parameters = custom
    profile.save()
    assert card_selectors.student_parameters(user=user) == tuple(custom)
    from mastery.services import mastery_recompute

    mastery_recompute(user=user, topic=topic)
    refolded = MasteryRecord.objects.get(topic=topic).memory
    assert refolded["stability_days"] < default_memory["stability_days"]


def test_fit_task_runs_after_enough_reviews(
    user, deck, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(card_services, "FSRS_REFIT_EVERY_REVIEWS", 2)
    card_services.cards_bulk_add(user=user, deck=deck, text="a;b\nc;d")
    with time_machine.travel(NOW, tick=False), django_capture_on_commit_callbacks(execute=True):
        for card in Card.objects.all():
            card_services.card_review_answer(user=user, card=card, rating=3)
    profile = card_services.card_profile_get(user=user)
    # Two reviews are far too few to fit: the task ran, stored why, and kept the defaults.
    assert profile.parameters_fitted_at is not None
    assert profile.parameters_metrics["reason"] == "too_few_reviews"
    assert profile.reviews_since_fit == 0
    assert profile.fsrs_parameters == []


def test_predicted_recall_of_a_topics_cards_falls_towards_the_exam(user, deck, topic):
    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    Card.objects.filter(pk=card.pk).update(
        memory_state=CardMemoryState.REVIEW,
        stability=10.0,
        difficulty=5.0,
        due=NOW + timedelta(days=10),
        last_review=NOW,
    )
    soon = card_selectors.predicted_card_recall(
        user=user, topic_ids=[str(topic.pk)], at=NOW + timedelta(days=10)
    )
    later = card_selectors.predicted_card_recall(
        user=user, topic_ids=[str(topic.pk)], at=NOW + timedelta(days=60)
    )
    assert soon[str(topic.pk)][0] == pytest.approx(0.9, abs=0.01)
    assert later[str(topic.pk)][0] < soon[str(topic.pk)][0]
    assert soon[str(topic.pk)][1] == 1


def test_the_students_data_export_carries_cards_and_their_image(user, deck, other_user):
    """'Your data' export: the student's decks, cards (image as base64) and reviews, JSON-ready;
    another student's export has none of them."""
    import base64
    import json

    from journey.exports import EXPORT_ENCODER, user_data_export

    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a", image=PNG)
    with time_machine.travel(NOW, tick=False):
        card_services.card_review_answer(user=user, card=card, rating=3)
    export = json.loads(json.dumps(user_data_export(user=user), cls=EXPORT_ENCODER))
    (row,) = export["tables"]["mastery.Card"]
    assert base64.b64decode(row["image"]) == PNG
    assert len(export["tables"]["mastery.CardReview"]) == 1
    assert len(export["tables"]["mastery.Deck"]) == 1
    other = user_data_export(user=other_user)["tables"]
    assert "mastery.Card" not in other and "mastery.Deck" not in other


def test_fit_command_fits_each_reviewing_student(user, deck, other_user):
    from io import StringIO

    from django.core.management import call_command

    (card,) = card_services.card_create(user=user, deck=deck, front="q", back="a")
    with time_machine.travel(NOW, tick=False):
        card_services.card_review_answer(user=user, card=card, rating=3)
    out = StringIO()
    call_command("fit_card_parameters", stdout=out)
    # Only the student with reviews is fitted; one review is too few, so defaults are kept.
    assert out.getvalue().strip() == f"{user.email}: kept defaults (0 long-term reviews)"
    assert card_services.card_profile_get(user=user).parameters_fitted_at is not None
