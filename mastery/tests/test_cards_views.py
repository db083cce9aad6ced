"""Flashcard pages: reachable from the navigation, forms refused with 400 and errors, every view
404 for another student's deck or card, and constant queries on the list pages."""

import io
from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import Card, CardReview, Deck
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


@pytest.fixture
def card(user, deck):
    return card_services.card_create(user=user, deck=deck, front="d/dx x^2", back="2x", image=PNG)[
        0
    ]


def test_navigation_links_to_the_decks(logged_in_client):
    body = logged_in_client.get("/mastery/").content.decode()
    assert 'href="/mastery/cards/"' in body


def test_create_a_deck_and_add_cards_on_pages(logged_in_client, topic):
    response = logged_in_client.post(
        "/mastery/cards/", {"topic": str(topic.pk), "name": "Chain rule"}
    )
    deck = Deck.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"/mastery/cards/decks/{deck.pk}/"
    )
    response = logged_in_client.post(
        f"/mastery/cards/decks/{deck.pk}/", {"kind": "basic", "front": "f(g(x))'", "back": "f'g'"}
    )
    assert response.status_code == 302
    response = logged_in_client.post(
        f"/mastery/cards/decks/{deck.pk}/",
        {"action": "bulk", "text": "a;b\nc;d;tagged"},
    )
    assert response.status_code == 302
    assert Card.objects.count() == 3
    page = logged_in_client.get(f"/mastery/cards/decks/{deck.pk}/?tag=tagged").content.decode()
    assert "Cards (1 tagged" in page


def test_refused_forms_show_errors_with_400(logged_in_client, deck):
    response = logged_in_client.post(
        f"/mastery/cards/decks/{deck.pk}/", {"kind": "cloze", "front": "no marker"}
    )
    assert response.status_code == 400
    assert "needs at least one" in response.content.decode()
    response = logged_in_client.post(
        f"/mastery/cards/decks/{deck.pk}/", {"action": "bulk", "text": "ok;fine\n;missing"}
    )
    assert response.status_code == 400
    body = response.content.decode()
    assert "Nothing was added" in body and "front: This field is required." in body
    bad = io.BytesIO(b"not a zip")
    bad.name = "deck.apkg"
    response = logged_in_client.post(
        f"/mastery/cards/decks/{deck.pk}/", {"action": "import", "file": bad}
    )
    assert response.status_code == 400 and "not a zip file" in response.content.decode()
    response = logged_in_client.post("/mastery/cards/", {"new_cards_per_day": "-3"})
    assert response.status_code == 400
    assert not Card.objects.exists()


def test_bulk_add_from_a_csv_file(logged_in_client, deck):
    upload = io.BytesIO(b"front,back\nq,a\n")
    upload.name = "cards.csv"
    response = logged_in_client.post(
        f"/mastery/cards/decks/{deck.pk}/", {"action": "bulk", "csv_file": upload}
    )
    assert response.status_code == 302 and Card.objects.count() == 2


def test_edit_suspend_and_image_of_a_card(logged_in_client, card):
    response = logged_in_client.post(
        f"/mastery/cards/{card.pk}/edit/", {"front": "d/dx x^3", "back": "3x^2", "tags": "power"}
    )
    assert response.status_code == 302
    card.refresh_from_db()
    assert (card.front, card.tag_list) == ("d/dx x^3", ["power"])
    logged_in_client.post(f"/mastery/cards/{card.pk}/suspend/")
    card.refresh_from_db()
    assert card.is_suspended
    image = logged_in_client.get(f"/mastery/cards/{card.pk}/image/")
    assert image["Content-Type"] == "image/png" and image.content == PNG


def test_review_page_answers_the_shown_card(logged_in_client, card):
    with time_machine.travel(NOW, tick=False):
        page = logged_in_client.get("/mastery/cards/review/").content.decode()
        assert "d/dx x^2" in page and 'data-key="1"' in page
        response = logged_in_client.post(
            "/mastery/cards/review/", {"card": str(card.pk), "rating": "4", "duration_ms": "3000"}
        )
        assert response.status_code == 302
        refused = logged_in_client.post(
            "/mastery/cards/review/", {"card": str(card.pk), "rating": "9"}
        )
    assert refused.status_code == 400
    assert CardReview.objects.get().duration_ms == 3000


def test_every_view_is_404_for_another_students_deck_or_card(client, other_user, deck, card):
    client.force_login(other_user)
    responses = [
        client.get(f"/mastery/cards/decks/{deck.pk}/"),
        client.post(f"/mastery/cards/decks/{deck.pk}/", {"front": "a", "back": "b"}),
        client.post(f"/mastery/cards/decks/{deck.pk}/", {"action": "bulk", "text": "a;b"}),
        client.get(f"/mastery/cards/decks/{deck.pk}/export/"),
        client.get(f"/mastery/cards/{card.pk}/edit/"),
        client.post(f"/mastery/cards/{card.pk}/edit/", {"front": "x", "back": "y"}),
        client.post(f"/mastery/cards/{card.pk}/suspend/"),
        client.get(f"/mastery/cards/{card.pk}/image/"),
        client.get(f"/mastery/cards/review/?deck={deck.pk}"),
        client.post("/mastery/cards/review/", {"card": str(card.pk), "rating": "3"}),
    ]
    assert [response.status_code for response in responses] == [404] * len(responses)
    response = client.post("/mastery/cards/", {"topic": str(deck.topic_id), "name": "Stolen"})
    assert response.status_code == 400
    card.refresh_from_db()
    assert (card.front, card.is_suspended, card.reps) == ("d/dx x^2", False, 0)
    assert Card.objects.count() == 1 and Deck.objects.count() == 1
    own_list = client.get("/mastery/cards/").content.decode()
    assert "Rules" not in own_list


def test_pages_need_a_login(client, deck, card):
    for url in ("/mastery/cards/", f"/mastery/cards/decks/{deck.pk}/", "/mastery/cards/review/"):
        response = client.get(url)
        assert response.status_code == 302 and "/accounts/login/" in response["Location"]


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_list_pages_cost_the_same_for_one_row_and_many(logged_in_client, user, topic, deck, card):
    urls = ["/mastery/cards/", f"/mastery/cards/decks/{deck.pk}/", "/mastery/cards/review/"]
    for url in urls:  # the first visit also creates the student's card settings row
        logged_in_client.get(url)
    one = [_queries(logged_in_client, url) for url in urls]
    for index in range(6):
        more = card_services.deck_create(user=user, topic=topic, name=f"Deck {index}")
        card_services.cards_bulk_add(user=user, deck=more, text="a;b\nc;d")
    card_services.cards_bulk_add(user=user, deck=deck, text="\n".join(f"q{n};a" for n in range(25)))
    many = [_queries(logged_in_client, url) for url in urls]
    assert many == one


def test_the_new_deck_form_offers_one_courses_topics_and_the_course_is_chosen(
    logged_in_client, user
):
    first = CourseFactory(user=user, code="AAA 100")
    second = CourseFactory(user=user, code="BBB 200")
    TopicFactory(course=first, name="Limits")
    derivatives = TopicFactory(course=second, name="Derivatives")
    TopicFactory(course=CourseFactory(), name="Someone else's")

    page = logged_in_client.get("/mastery/cards/").content.decode()
    assert "Limits" in page and "Derivatives" not in page
    assert "Someone else" not in page

    page = logged_in_client.get(f"/mastery/cards/?course={second.pk}").content.decode()
    assert "Derivatives" in page and "AAA 100 · Limits" not in page
    # A malformed or foreign course falls back to the first course.
    for value in ("not-a-uuid", str(CourseFactory().pk)):
        page = logged_in_client.get(f"/mastery/cards/?course={value}").content.decode()
        assert "AAA 100 · Limits" in page

    response = logged_in_client.post(
        f"/mastery/cards/?course={second.pk}", {"topic": str(derivatives.pk), "name": "Rules"}
    )
    assert response.status_code == 302
    assert Deck.objects.get(user=user).topic == derivatives
