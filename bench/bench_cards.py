"""Flashcards: a review answer end to end against the API floor, and a 10,000-card Anki import
against the same number of plain bulk inserts.

A throwaway test database (the configured one, SQLite by default) gets one student with a deck.

* Review answer: `POST /api/cards/{id}/review` through Django's test client with a real bearer
  token (the FSRS update through the library, the load balancer's query, the review, the
  flashcard evidence record and its recompute intent, the mastery fold run eagerly on commit,
  and the cache invalidation that follows), interleaved in rounds with `GET /api/ping`, the
  cheapest authenticated request, measured the same way. Reported as requests per second of
  each and the floor ratio (ping req/s / review req/s): how many floors one answer costs.
  In-process, so it measures the application's own work, not the web server's.
* Import: a package of 10,000 basic notes built with genanki, imported into an empty deck
  (`anki.apkg_import`: unzip, read SQLite, check, build, insert with history) against
  `Card.objects.bulk_create` of 10,000 equivalent rows, as a ratio.

Run: `.venv/bin/python -m bench bench_cards`.
"""

from __future__ import annotations

import os
import tempfile
import time as clock
import uuid
from datetime import timedelta

IMPORT_CARDS = 10_000
REVIEW_ROUNDS = 5
REQUESTS_PER_ROUND = 40


def _setup_django():
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "planner.settings")
    os.environ["CELERY_TASK_ALWAYS_EAGER"] = "true"
    import django

    django.setup()


def _package(count: int) -> bytes:
    import genanki

    deck = genanki.Deck(1_900_000_001, "Bench")
    for index in range(count):
        deck.add_note(
            genanki.Note(model=genanki.BASIC_MODEL, fields=[f"Question {index}", f"Answer {index}"])
        )
    handle, path = tempfile.mkstemp(suffix=".apkg")
    os.close(handle)
    try:
        genanki.Package(deck).write_to_file(path)
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)


def _client_for(user):
    from django.utils import timezone
    from rest_framework.test import APIClient

    from accounts.authentication import hash_token_key
    from accounts.models import ApiToken

    key = f"bench-{uuid.uuid4().hex}"
    ApiToken.objects.create(
        user=user,
        name="bench",
        prefix=key[:8],
        key_hash=hash_token_key(key),
        expires_at=timezone.now() + timedelta(days=1),
    )
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Bearer {key}")
    return client


def _rate(send, count: int) -> float:
    started = clock.perf_counter()
    for _ in range(count):
        send()
    return count / (clock.perf_counter() - started)


def run() -> list[dict]:
    _setup_django()
    from django.db import connection
    from django.test.utils import setup_test_environment, teardown_test_environment
    from django.utils import timezone

    from accounts.models import User
    from courses.models import Course, Topic
    from mastery.models import Card
    from mastery.services import anki
    from mastery.services import cards as card_services

    setup_test_environment()
    old_name = connection.creation.create_test_db(verbosity=0, autoclobber=True)
    try:
        user = User.objects.create_user(email="bench-cards@example.org", password=None)
        today = timezone.now().date()
        course = Course.objects.create(
            user=user,
            name="Bench",
            code="BEN 1",
            semester="Bench",
            start_date=today - timedelta(days=30),
            end_date=today + timedelta(days=90),
        )
        topic = Topic.objects.create(course=course, name="Cards")
        deck = card_services.deck_create(user=user, topic=topic, name="Bench")
        total = REVIEW_ROUNDS * REQUESTS_PER_ROUND
        card_services.cards_bulk_add(
            user=user, deck=deck, text="\n".join(f"q{n};a{n}" for n in range(total + 1))
        )
        card_services.card_profile_update(user=user, new_cards_per_day=total + 1)
        cards = iter(Card.objects.filter(deck=deck).order_by("created_at", "id"))
        client = _client_for(user)
        assert client.get("/api/ping").status_code == 200

        def review():
            response = client.post(
                f"/api/cards/{next(cards).pk}/review", {"rating": 3}, format="json"
            )
            assert response.status_code == 200, response.content

        def ping():
            assert client.get("/api/ping").status_code == 200

        review()  # warm-up: the first answer also creates the profile and the mastery row
        review_rates, ping_rates = [], []
        for _ in range(REVIEW_ROUNDS):
            ping_rates.append(_rate(ping, REQUESTS_PER_ROUND))
            review_rates.append(_rate(review, REQUESTS_PER_ROUND - 1))
        review_rps = sorted(review_rates)[len(review_rates) // 2]
        ping_rps = sorted(ping_rates)[len(ping_rates) // 2]

        package = _package(IMPORT_CARDS)
        target = card_services.deck_create(user=user, topic=topic, name="Imported")
        started = clock.perf_counter()
        report = anki.apkg_import(user=user, deck=target, data=package)
        import_seconds = clock.perf_counter() - started
        assert report.cards == IMPORT_CARDS
        plain = card_services.deck_create(user=user, topic=topic, name="Plain")
        rows = [
            Card(user=user, deck=plain, front=f"Question {n}", back=f"Answer {n}")
            for n in range(IMPORT_CARDS)
        ]
        started = clock.perf_counter()
        Card.objects.bulk_create(rows, batch_size=1000)
        insert_seconds = clock.perf_counter() - started
    finally:
        connection.creation.destroy_test_db(old_name, verbosity=0)
        teardown_test_environment()

    return [
        {
            "name": "card review answer (API, in-process)",
            "value": round(review_rps, 1),
            "unit": "req/s",
        },
        {"name": "GET /api/ping floor (same run)", "value": round(ping_rps, 1), "unit": "req/s"},
        {
            "name": "card review answer: floor ratio",
            "value": round(ping_rps / review_rps, 2),
            "unit": "x (floor req/s / review req/s)",
        },
        {
            "name": f"Anki import of {IMPORT_CARDS} cards",
            "value": round(import_seconds, 2),
            "unit": "s",
        },
        {
            "name": f"bulk insert of {IMPORT_CARDS} cards",
            "value": round(insert_seconds, 2),
            "unit": "s",
        },
        {
            "name": "Anki import / bulk insert",
            "value": round(import_seconds / insert_seconds, 1),
            "unit": "x",
        },
    ]


if __name__ == "__main__":
    for row in run():
        print(f"{row['name']}: {row['value']} {row['unit']}")
