"""Anki interchange with packages built in the tests by genanki: notes, cards and review
history come in all-or-nothing; malformed packages are refused clearly with nothing written;
an exported deck is a package genanki's reader (SQLite in a zip) and our importer accept."""

import io
import os
import sqlite3
import tempfile
import zipfile
from datetime import UTC, datetime, timedelta

import genanki
import pytest

from accounts.errors import ApplicationError
from courses.tests.factories import CourseFactory, TopicFactory
from mastery.models import Card, CardKind, CardMemoryState, CardReview, CardReviewSource
from mastery.services import anki
from mastery.services import cards as card_services

pytestmark = pytest.mark.django_db

REVIEWED_AT = datetime(2026, 10, 1, 9, 0, tzinfo=UTC)


@pytest.fixture
def deck(user):
    topic = TopicFactory(course=CourseFactory(user=user), name="Capitals")
    return card_services.deck_create(user=user, topic=topic, name="Europe")


def build_apkg(notes, *, revlog=(), drop_revlog_table=False) -> bytes:
    """A package as Anki would export it: genanki writes the collection; review history is
    added to its revlog table the way Anki stores it (id = epoch ms, ease 1-4, time in ms)."""
    anki_deck = genanki.Deck(2059400110, "Test deck")
    for model, fields, tags in notes:
        anki_deck.add_note(genanki.Note(model=model, fields=fields, tags=tags))
    handle, path = tempfile.mkstemp(suffix=".apkg")
    os.close(handle)
    try:
        genanki.Package(anki_deck).write_to_file(path)
        with open(path, "rb") as file:
            data = file.read()
    finally:
        os.unlink(path)
    if not revlog and not drop_revlog_table:
        return data
    source = zipfile.ZipFile(io.BytesIO(data))
    collection = source.read("collection.anki2")
    handle, db_path = tempfile.mkstemp(suffix=".anki2")
    with os.fdopen(handle, "wb") as file:
        file.write(collection)
    try:
        connection = sqlite3.connect(db_path)
        card_ids = [row[0] for row in connection.execute("SELECT id FROM cards ORDER BY id")]
        for card_index, moment, ease, duration_ms in revlog:
            connection.execute(
                "INSERT INTO revlog (id, cid, usn, ease, ivl, lastIvl, factor, time, type) "
                "VALUES (?, ?, -1, ?, 1, 0, 2500, ?, 0)",
                (int(moment.timestamp() * 1000), card_ids[card_index], ease, duration_ms),
            )
        if drop_revlog_table:
            connection.execute("DROP TABLE revlog")
        connection.commit()
        connection.close()
        with open(db_path, "rb") as file:
            collection = file.read()
    finally:
        os.unlink(db_path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        for name in source.namelist():
            target.writestr(name, collection if name == "collection.anki2" else source.read(name))
    return out.getvalue()


BASIC = [
    (genanki.BASIC_MODEL, ["Capital of France", "Paris"], ["geo"]),
    (genanki.BASIC_MODEL, ["Capital of <b>Spain</b>", "Madrid"], []),
    (genanki.CLOZE_MODEL, ["{{c1::Rome}} is the capital of {{c2::Italy}}", ""], ["geo"]),
]


def test_import_brings_notes_cards_and_history(user, deck):
    history = [
        (0, REVIEWED_AT, 3, 6000),
        (0, REVIEWED_AT + timedelta(minutes=10), 3, 4000),
        (0, REVIEWED_AT + timedelta(days=3), 1, 9000),
    ]
    report = anki.apkg_import(user=user, deck=deck, data=build_apkg(BASIC, revlog=history))
    assert (report.cards, report.reviews, report.skipped_notes) == (4, 3, 0)
    cards = {card.front: card for card in Card.objects.filter(deck=deck, cloze_index__lte=1)}
    assert cards["Capital of Spain"].back == "Madrid"  # HTML is stripped
    assert cards["Capital of France"].tag_list == ["geo"]
    cloze = Card.objects.filter(deck=deck, kind=CardKind.CLOZE).order_by("cloze_index")
    assert [card.cloze_index for card in cloze] == [1, 2]
    reviewed = cards["Capital of France"]
    # Good, Good (graduated to Review), then Again three days later: a lapse into Relearning.
    assert reviewed.memory_state == CardMemoryState.RELEARNING
    assert reviewed.reps == 3 and reviewed.last_review == REVIEWED_AT + timedelta(days=3)
    assert set(CardReview.objects.values_list("source", flat=True)) == {CardReviewSource.ANKI}
    assert cards["Capital of Spain"].memory_state == CardMemoryState.NEW


def test_import_without_a_revlog_table_still_imports_cards(user, deck):
    report = anki.apkg_import(user=user, deck=deck, data=build_apkg(BASIC, drop_revlog_table=True))
    assert (report.cards, report.reviews) == (4, 0)


def _corrupt_sqlite_package() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("collection.anki2", b"SQLite format 3\x00" + b"\x13" * 4000)
        target.writestr("media", "{}")
    return out.getvalue()


def _zip_without_collection() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("media", "{}")
    return out.getvalue()


def _newest_format() -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("collection.anki21b", b"\x28\xb5\x2f\xfd")
    return out.getvalue()


def _not_anki_sqlite() -> bytes:
    handle, path = tempfile.mkstemp()
    os.close(handle)
    connection = sqlite3.connect(path)
    connection.execute("CREATE TABLE other (x)")
    connection.commit()
    connection.close()
    with open(path, "rb") as file:
        blob = file.read()
    os.unlink(path)
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as target:
        target.writestr("collection.anki2", blob)
    return out.getvalue()


@pytest.mark.parametrize(
    ("data", "message"),
    [
        (b"front;back\n", "not a zip"),
        (_zip_without_collection(), "no Anki collection"),
        (_corrupt_sqlite_package(), "not a readable Anki database"),
        (_not_anki_sqlite(), "not a readable Anki database"),
        (_newest_format(), "newest format"),
    ],
    ids=["not-a-zip", "zip-without-collection", "corrupt-sqlite", "not-anki-tables", "anki21b"],
)
def test_malformed_package_is_refused_clearly_and_writes_nothing(user, deck, data, message):
    with pytest.raises(ApplicationError) as error:
        anki.apkg_import(user=user, deck=deck, data=data)
    assert message in error.value.field_errors["file"][0]
    assert not Card.objects.exists() and not CardReview.objects.exists()


def test_a_failure_midway_writes_nothing(user, deck, monkeypatch):
    """All or nothing even when the database refuses the history after the cards went in."""

    def refuse(*args, **kwargs):
        raise RuntimeError("the database went away")

    monkeypatch.setattr(CardReview.objects, "bulk_create", refuse)
    with pytest.raises(RuntimeError):
        anki.apkg_import(
            user=user, deck=deck, data=build_apkg(BASIC, revlog=[(0, REVIEWED_AT, 3, 5000)])
        )
    assert not Card.objects.exists()


def test_import_into_another_students_deck_is_refused(other_user, deck):
    with pytest.raises(ApplicationError):
        anki.apkg_import(user=other_user, deck=deck, data=build_apkg(BASIC))
    assert not Card.objects.exists()


def test_export_round_trips_through_the_importer(user, deck):
    card_services.cards_bulk_add(
        user=user, deck=deck, text="Capital of Peru;Lima;geo\ncloze:{{c1::Quito}} is in Ecuador"
    )
    data = anki.apkg_export(deck=deck)
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        assert "collection.anki2" in archive.namelist()
    other = card_services.deck_create(user=user, topic=deck.topic, name="Copy")
    report = anki.apkg_import(user=user, deck=other, data=data)
    assert report.cards == 2
    copied = {(card.kind, card.front, card.back, card.tags) for card in other.cards.all()}
    original = {(card.kind, card.front, card.back, card.tags) for card in deck.cards.all()}
    assert copied == original


def test_import_and_export_through_the_api(api_client, other_api_client, deck):
    upload = io.BytesIO(build_apkg(BASIC))
    upload.name = "deck.apkg"
    response = api_client.post(f"/api/decks/{deck.pk}/import", {"file": upload}, format="multipart")
    assert response.status_code == 200, response.content
    assert response.json()["cards"] == 4
    bad = io.BytesIO(b"not a zip")
    bad.name = "deck.apkg"
    response = api_client.post(f"/api/decks/{deck.pk}/import", {"file": bad}, format="multipart")
    assert response.status_code == 400 and "file" in response.json()
    exported = api_client.get(f"/api/decks/{deck.pk}/export")
    assert exported.status_code == 200 and exported["Content-Type"] == "application/apkg"
    assert zipfile.is_zipfile(io.BytesIO(exported.content))
    assert other_api_client.get(f"/api/decks/{deck.pk}/export").status_code == 404
