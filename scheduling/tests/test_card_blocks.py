"""Due flashcards become review blocks sized by the student's pace; readiness counts the
predicted recall of the exam's cards on the exam date."""

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache

from accounts.timezones import user_zone
from mastery.models import Card, CardMemoryState, CardReview
from mastery.services import cards as card_services
from scheduling import rules, services
from scheduling.models import StudyTask
from scheduling.tests.conftest import NOW, make_setup

pytestmark = [pytest.mark.django_db, pytest.mark.clock]


@pytest.fixture(autouse=True)
def _clear_cache():
    cache.clear()
    yield
    cache.clear()


@pytest.fixture
def setup(user):
    with time_machine.travel(NOW, tick=False):
        yield make_setup(user)


def _cards(user, topic, count, *, due, stability=10.0, last_review=None):
    deck = card_services.deck_create(user=user, topic=topic, name=f"Deck {count} {due:%d%H}")
    card_services.cards_bulk_add(
        user=user, deck=deck, text="\n".join(f"q{n};a{n}" for n in range(count))
    )
    Card.objects.filter(deck=deck).update(
        memory_state=CardMemoryState.REVIEW,
        stability=stability,
        difficulty=5.0,
        due=due,
        last_review=last_review or NOW - timedelta(days=5),
    )
    return deck


def _pace(user, deck, seconds: int):
    card = Card.objects.filter(deck=deck).first()
    CardReview.objects.create(
        user=user,
        card=card,
        rating=3,
        reviewed_at=NOW - timedelta(days=5),
        duration_ms=seconds * 1000,
        state_before=CardMemoryState.NEW,
        stability_after=10.0,
        difficulty_after=5.0,
        due_after=NOW,
    )


def test_due_cards_become_blocks_sized_by_count_and_pace(user, setup):
    today_deck = _cards(user, setup.topic_b, 30, due=NOW - timedelta(hours=3))
    _cards(user, setup.topic_b, 12, due=NOW + timedelta(days=2))
    _pace(user, today_deck, 20)
    with time_machine.travel(NOW, tick=False):
        services.plan_regenerate(user=user)
    blocks = {
        task.work_key: task
        for task in StudyTask.objects.for_user(user).filter(work_key__startswith="cards:")
    }
    today = NOW.astimezone(user_zone(user)).date()
    later = (NOW + timedelta(days=2)).astimezone(user_zone(user)).date()
    first = blocks[f"cards:{setup.topic_b.pk}:{today.isoformat()}"]
    second = blocks[f"cards:{setup.topic_b.pk}:{later.isoformat()}"]
    assert first.estimated_duration_min == rules.card_review_minutes(30, 20) == 10
    assert second.estimated_duration_min == rules.card_review_minutes(12, 20) == 5
    assert first.task_type == rules.FLASHCARDS
    assert "30 flashcards due" in first.reason and "20 s a card" in first.reason


def test_suspended_and_new_cards_make_no_block(user, setup):
    deck = _cards(user, setup.topic_b, 5, due=NOW - timedelta(hours=1))
    Card.objects.filter(deck=deck).update(is_suspended=True)
    card_services.card_create(user=user, deck=deck, front="new", back="card")
    with time_machine.travel(NOW, tick=False):
        services.plan_regenerate(user=user)
    assert not StudyTask.objects.for_user(user).filter(work_key__startswith="cards:").exists()


def test_other_students_cards_are_not_in_my_plan(user, other_user, setup, other_setup_cards):
    with time_machine.travel(NOW, tick=False):
        services.plan_regenerate(user=user)
    assert not StudyTask.objects.for_user(user).filter(work_key__startswith="cards:").exists()


@pytest.fixture
def other_setup_cards(other_user):
    with time_machine.travel(NOW, tick=False):
        other = make_setup(other_user)
    _cards(other_user, other.topic_b, 10, due=NOW - timedelta(hours=1))


def test_readiness_counts_predicted_recall_of_the_exams_cards(user, setup):
    with time_machine.travel(NOW, tick=False):
        services.plan_regenerate(user=user)
        without = _final_readiness(user, setup)
        # Well-learnt cards (stability 200 days) of the final's weaker topic.
        _cards(user, setup.topic_b, 40, due=NOW + timedelta(days=60), stability=200.0)
        services.plan_regenerate(user=user)
        with_cards = _final_readiness(user, setup)
    assert without["card_count"] == 0 and without["card_recall"] is None
    assert with_cards["card_count"] == 40
    assert with_cards["card_recall"] > 0.95
    assert with_cards["p_ready_now"] > without["p_ready_now"]


def test_forgotten_cards_lower_readiness(user, setup):
    with time_machine.travel(NOW, tick=False):
        services.plan_regenerate(user=user)
        without = _final_readiness(user, setup)
        # Cards last seen long ago with a short memory: little recall left on the exam day.
        _cards(
            user,
            setup.topic_b,
            40,
            due=NOW - timedelta(days=50),
            stability=0.3,
            last_review=NOW - timedelta(days=60),
        )
        services.plan_regenerate(user=user)
        with_cards = _final_readiness(user, setup)
    assert with_cards["card_recall"] < 0.5
    assert with_cards["p_ready_now"] < without["p_ready_now"]


def _final_readiness(user, setup) -> dict:
    from scheduling.models import PlanSnapshot

    snapshot = PlanSnapshot.objects.for_user(user).get()
    return next(r for r in snapshot.readiness if r["assessment_id"] == str(setup.final.pk))
