"""A review session in real Chromium, driven by the keyboard: Space shows the answer, 1-4
answer; the answers reach the database as reviews with their measured time."""

import pytest

from accounts.tests.factories import UserFactory
from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import Card, CardReview, EvidenceSource, PerformanceRecord
from mastery.services import cards as card_services
from planner.testing.a11y import unlabelled_controls
from planner.testing.browser import log_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

PASSWORD = "correct-horse-battery"


@pytest.fixture
def student(browser_now):
    user = UserFactory(email="cards@example.org", timezone="America/Chicago")
    topic = TopicFactory(course=CourseFactory(user=user), name="Capitals")
    deck = card_services.deck_create(user=user, topic=topic, name="Europe")
    card_services.cards_bulk_add(
        user=user, deck=deck, text="Capital of France;Paris\ncloze:{{c1::Rome}} is in Italy"
    )
    return user


def test_review_session_with_keyboard_shortcuts(page, student):
    log_in(page, student.email, PASSWORD)
    page.goto("/mastery/cards/")
    page.get_by_role("link", name="Review now").click()
    # The keys are read by a deferred script: a key pressed before it ran would be lost.
    page.wait_for_load_state("load")
    answer = page.locator("#card-answer")
    assert page.locator("#card-prompt").inner_text() == "Capital of France"
    assert answer.is_hidden()
    assert unlabelled_controls(page) == []

    page.keyboard.press("3")  # ignored: the answer is not shown yet
    assert answer.is_hidden() and not CardReview.objects.exists()
    page.clock.run_for(4000)  # four seconds of thinking on the page's clock
    page.keyboard.press("Space")
    assert answer.is_visible() and "Paris" in answer.inner_text()
    with page.expect_navigation():
        page.keyboard.press("3")

    # The next card is the cloze, its answer hidden as [...].
    assert page.locator("#card-prompt").inner_text() == "[...] is in Italy"
    page.keyboard.press(" ")
    assert "Rome" in page.locator("#card-answer").inner_text()
    with page.expect_navigation():
        page.keyboard.press("1")

    assert page.locator("#review-done").is_visible()
    reviews = list(CardReview.objects.order_by("reviewed_at", "id"))
    assert [review.rating for review in reviews] == [3, 1]
    assert reviews[0].duration_ms >= 4000
    assert Card.objects.filter(reps=1).count() == 2
    assert PerformanceRecord.objects.filter(source=EvidenceSource.FLASHCARD).count() == 2
