"""The flashcard API: shapes, 400s with field errors, ownership (404 for another student's deck
or card, in paths and bodies), constant query counts on lists, the schema."""

from datetime import UTC, datetime

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import Card, CardReview, Deck, PerformanceRecord
from mastery.services import cards as card_services

pytestmark = [pytest.mark.django_db, pytest.mark.clock]

NOW = datetime(2026, 11, 2, 15, 0, tzinfo=UTC)


@pytest.fixture
def topic(user):
    return TopicFactory(course=CourseFactory(user=user), name="Derivatives")


@pytest.fixture
def deck(user, topic):
    return card_services.deck_create(user=user, topic=topic, name="Rules")


@pytest.fixture
def card(user, deck):
    return card_services.card_create(user=user, deck=deck, front="d/dx x^2", back="2x")[0]


def test_create_deck_and_cards_through_the_api(api_client, topic):
    response = api_client.post(
        "/api/decks", {"topic": str(topic.pk), "name": "Chain rule"}, format="json"
    )
    assert response.status_code == 201, response.content
    deck_id = response.json()["id"]
    response = api_client.post(
        f"/api/decks/{deck_id}/cards",
        {"kind": "cloze", "front": "{{c1::f'(g(x))}} times {{c2::g'(x)}}", "tags": ["chain"]},
        format="json",
    )
    assert response.status_code == 201, response.content
    assert [card["cloze_index"] for card in response.json()] == [1, 2]
    listed = api_client.get(f"/api/decks/{deck_id}/cards?tag=chain").json()
    assert listed["count"] == 2
    deck = api_client.get(f"/api/decks/{deck_id}").json()
    assert (deck["card_count"], deck["new_count"], deck["due_count"]) == (2, 2, 0)


def test_bad_input_is_a_400_with_field_errors_and_writes_nothing(api_client, deck, topic):
    response = api_client.post(f"/api/decks/{deck.pk}/cards", {"front": ""}, format="json")
    assert response.status_code == 400 and "front" in response.json()
    response = api_client.post(
        f"/api/decks/{deck.pk}/cards", {"kind": "cloze", "front": "no marker"}, format="json"
    )
    assert response.status_code == 400 and "front" in response.json()
    response = api_client.post("/api/decks", {"topic": str(topic.pk), "name": ""}, format="json")
    assert response.status_code == 400 and "name" in response.json()
    assert not Card.objects.exists()


def test_bulk_add_reports_every_line_and_writes_nothing_on_error(api_client, deck):
    response = api_client.post(
        f"/api/decks/{deck.pk}/cards/bulk", {"text": "a;b\n;no front\nc;d"}, format="json"
    )
    assert response.status_code == 400
    body = response.json()
    assert body["created"] == 0
    assert [bool(line["errors"]) for line in body["lines"]] == [False, True, False]
    assert not Card.objects.exists()
    response = api_client.post(
        f"/api/decks/{deck.pk}/cards/bulk", {"text": "a,b\nc,d", "format": "csv"}, format="json"
    )
    assert response.status_code == 201 and response.json()["created"] == 2


def test_review_through_the_api(api_client, card, topic):
    with time_machine.travel(NOW, tick=False):
        due = api_client.get("/api/cards/due").json()
        assert (due["new_count"], [c["id"] for c in due["cards"]]) == (1, [str(card.pk)])
        response = api_client.post(
            f"/api/cards/{card.pk}/review", {"rating": 3, "duration_ms": 4000}, format="json"
        )
    assert response.status_code == 200, response.content
    body = response.json()
    assert body["card"]["reps"] == 1
    record = PerformanceRecord.objects.get(pk=body["performance_record"])
    assert record.topic_breakdown[str(topic.pk)]["grade"] == 3


@pytest.mark.parametrize("payload", [{}, {"rating": 0}, {"rating": 5}, {"rating": "good"}])
def test_bad_rating_is_a_400(api_client, card, payload):
    response = api_client.post(f"/api/cards/{card.pk}/review", payload, format="json")
    assert response.status_code == 400 and "rating" in response.json()
    assert not CardReview.objects.exists()


def test_patch_suspends_and_tags_a_card(api_client, card):
    response = api_client.patch(
        f"/api/cards/{card.pk}", {"is_suspended": True, "tags": ["Rules"]}, format="json"
    )
    assert response.status_code == 200
    card.refresh_from_db()
    assert card.is_suspended and card.tag_list == ["rules"]
    assert api_client.get("/api/cards/due").json()["cards"] == []


def test_settings_take_the_daily_new_card_limit(api_client):
    response = api_client.patch("/api/cards/settings", {"new_cards_per_day": 5}, format="json")
    assert response.status_code == 200 and response.json()["new_cards_per_day"] == 5
    response = api_client.patch("/api/cards/settings", {"new_cards_per_day": -1}, format="json")
    assert response.status_code == 400 and "new_cards_per_day" in response.json()


def test_another_students_decks_and_cards_are_404_everywhere(
    api_client, other_api_client, other_user, deck, card, topic
):
    """The ownership matrix: every path with Ada's deck or card, as Mallory, is a 404, and a
    body naming Ada's topic is refused; nothing of Ada's changes."""
    as_mallory = [
        other_api_client.get(f"/api/decks/{deck.pk}"),
        other_api_client.patch(f"/api/decks/{deck.pk}", {"name": "Mine"}, format="json"),
        other_api_client.delete(f"/api/decks/{deck.pk}"),
        other_api_client.get(f"/api/decks/{deck.pk}/cards"),
        other_api_client.post(f"/api/decks/{deck.pk}/cards", {"front": "a", "back": "b"}),
        other_api_client.post(f"/api/decks/{deck.pk}/cards/bulk", {"text": "a;b"}),
        other_api_client.post(f"/api/decks/{deck.pk}/import", {}),
        other_api_client.get(f"/api/decks/{deck.pk}/export"),
        other_api_client.get(f"/api/cards/{card.pk}"),
        other_api_client.patch(f"/api/cards/{card.pk}", {"is_suspended": True}, format="json"),
        other_api_client.delete(f"/api/cards/{card.pk}"),
        other_api_client.post(f"/api/cards/{card.pk}/review", {"rating": 3}, format="json"),
        other_api_client.options(f"/api/cards/{card.pk}"),
    ]
    assert [r.status_code for r in as_mallory] == [404] * len(as_mallory)
    response = other_api_client.post(
        "/api/decks", {"topic": str(topic.pk), "name": "Stolen"}, format="json"
    )
    assert response.status_code == 400 and "topic" in response.json()
    response = other_api_client.get(f"/api/cards/due?deck={deck.pk}")
    assert response.status_code == 400 and "deck" in response.json()
    assert other_api_client.get("/api/decks").json()["count"] == 0
    assert Deck.objects.get().name == "Rules"
    card.refresh_from_db()
    assert not card.is_suspended and card.reps == 0
    assert not CardReview.objects.exists()
    assert Card.objects.count() == 1


def test_anonymous_callers_are_refused(anon_api_client, deck, card):
    for response in (
        anon_api_client.get("/api/decks"),
        anon_api_client.get("/api/cards/due"),
        anon_api_client.post(f"/api/cards/{card.pk}/review", {"rating": 3}, format="json"),
    ):
        assert response.status_code in (401, 403)


def _queries(client, url) -> int:
    with CaptureQueriesContext(connection) as context:
        assert client.get(url).status_code == 200
    return len(context.captured_queries)


def test_lists_cost_the_same_for_one_row_and_many(api_client, user, topic, deck, card):
    one = [
        _queries(api_client, "/api/decks"),
        _queries(api_client, f"/api/decks/{deck.pk}/cards"),
        _queries(api_client, "/api/cards/due?limit=50"),
    ]
    for index in range(8):
        more = card_services.deck_create(user=user, topic=topic, name=f"Deck {index}")
        card_services.cards_bulk_add(user=user, deck=more, text="a;b\nc;d")
    card_services.cards_bulk_add(user=user, deck=deck, text="\n".join(f"q{n};a" for n in range(30)))
    many = [
        _queries(api_client, "/api/decks"),
        _queries(api_client, f"/api/decks/{deck.pk}/cards"),
        _queries(api_client, "/api/cards/due?limit=50"),
    ]
    assert many == one


def test_every_card_operation_is_in_the_schema_with_its_400(api_client):
    schema = api_client.get("/api/schema/?format=json").json()
    for path, methods in {
        "/api/decks": ["get", "post"],
        "/api/decks/{id}": ["get", "patch", "delete"],
        "/api/decks/{id}/cards": ["get", "post"],
        "/api/decks/{id}/cards/bulk": ["post"],
        "/api/decks/{id}/import": ["post"],
        "/api/decks/{id}/export": ["get"],
        "/api/cards/due": ["get"],
        "/api/cards/settings": ["get", "patch"],
        "/api/cards/{id}": ["get", "patch", "delete"],
        "/api/cards/{id}/review": ["post"],
    }.items():
        documented = next(
            (
                value
                for key, value in schema["paths"].items()
                if key.replace("{pk}", "{id}") == path
            ),
            None,
        )
        assert documented is not None, path
        for method in methods:
            assert "400" in documented[method]["responses"], (path, method)
