"""Anki interchange: import an .apkg into a deck (notes, cards, review history), export a deck.

An .apkg is a zip holding an SQLite collection (`collection.anki21`, or the older
`collection.anki2`) and a `media` map. The import reads the collection's `notes`, `cards` and,
when present, `revlog`, checks everything, and writes all of it in one transaction or nothing.
A package in Anki's newest format (`collection.anki21b`, zstd-compressed) is refused by name:
Anki writes the older format too ("Support older Anki versions" on export).

Imported review history sets each card's memory by replaying it through the library's
scheduler with the student's parameters, and counts toward their parameter fit; it does not
become topic evidence (the reviews were made before the deck belonged to a topic here, and a
long history would swamp the topic's other evidence on the first day; docs/mastery.md).
"""

from __future__ import annotations

import html
import io
import json
import os
import re
import sqlite3
import tempfile
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime

import genanki
from django.conf import settings
from django.db import transaction
from simple_history.utils import bulk_create_with_history

from accounts import hygiene
from accounts.errors import ApplicationError
from mastery import card_text
from mastery.card_selectors import student_parameters
from mastery.engine import cards as card_engine
from mastery.models import Card, CardKind, CardReview, CardReviewSource, Deck
from mastery.services.cards import MAX_REVIEW_MS

COLLECTION_NAMES = ("collection.anki21", "collection.anki2")
NEWER_FORMAT_NAME = "collection.anki21b"

# Anki separates a note's fields with the unit separator.
FIELD_SEPARATOR = "\x1f"

# Anki's model type 1 is a cloze note type.
ANKI_CLOZE_MODEL_TYPE = 1

# Anki's revlog ease is 1-4, the FSRS rating; type 4 is a manual reschedule, not an answer.
ANKI_MANUAL_REVLOG_TYPE = 4


# A package is uncompressed on disk to be read: bounded so a zip bomb cannot fill it.
def apkg_max_bytes() -> int:
    return int(getattr(settings, "APKG_MAX_BYTES", 50 * 1024 * 1024))


def apkg_max_cards() -> int:
    return int(getattr(settings, "APKG_MAX_CARDS", 20_000))


@dataclass(frozen=True)
class ApkgImportReport:
    cards: int
    reviews: int
    skipped_notes: int


def _refuse(message: str):
    raise ApplicationError(message, field_errors={"file": [message]})


def _collection_bytes(data: bytes) -> bytes:
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except zipfile.BadZipFile:
        _refuse("This is not an Anki package (.apkg): it is not a zip file.")
    with archive:
        names = set(archive.namelist())
        name = next((n for n in COLLECTION_NAMES if n in names), None)
        if name is None:
            if NEWER_FORMAT_NAME in names:
                _refuse(
                    "This package uses Anki's newest format; export it again from Anki with "
                    "'Support older Anki versions' ticked."
                )
            _refuse("This zip holds no Anki collection (collection.anki21 or .anki2).")
        info = archive.getinfo(name)
        if info.file_size > apkg_max_bytes():
            _refuse(f"The collection is larger than {apkg_max_bytes() // (1024 * 1024)} MB.")
        try:
            return archive.read(name)
        except (zipfile.BadZipFile, OSError) as exc:
            _refuse(f"The package is damaged: {exc}.")
    raise AssertionError("unreachable")  # _refuse raises


def _read_collection(blob: bytes):
    """(models by id, notes, cards, revlog rows) from the collection's SQLite bytes."""
    handle, path = tempfile.mkstemp(suffix=".anki2")
    try:
        with os.fdopen(handle, "wb") as file:
            file.write(blob)
        connection = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
        try:
            (models_json,) = connection.execute("SELECT models FROM col").fetchone()
            models = json.loads(models_json) if models_json else {}
            notes = connection.execute("SELECT id, mid, flds, tags FROM notes").fetchall()
            cards = connection.execute("SELECT id, nid, ord FROM cards ORDER BY id").fetchall()
            has_revlog = connection.execute(
                "SELECT 1 FROM sqlite_master WHERE type='table' AND name='revlog'"
            ).fetchone()
            revlog = (
                connection.execute(
                    "SELECT id, cid, ease, time, type FROM revlog ORDER BY id"
                ).fetchall()
                if has_revlog
                else []
            )
        finally:
            connection.close()
    except (sqlite3.DatabaseError, TypeError, ValueError) as exc:
        _refuse(f"The package's collection is not a readable Anki database ({exc}).")
    finally:
        os.unlink(path)
    return models, notes, cards, revlog


def _strip_html(text: str) -> str:
    text = re.sub(r"<br\s*/?>", "\n", text, flags=re.IGNORECASE)
    return html.unescape(re.sub(r"<[^>]+>", "", text)).strip()


def apkg_import(*, user, deck: Deck, data: bytes) -> ApkgImportReport:
    """Import every card of the package into `deck`, with its history, or nothing."""
    if deck.user_id != user.pk:
        _refuse("Not one of your decks.")
    if len(data) > apkg_max_bytes():
        _refuse(f"The package is larger than {apkg_max_bytes() // (1024 * 1024)} MB.")
    models, notes, cards, revlog = _read_collection(_collection_bytes(data))
    if len(cards) > apkg_max_cards():
        _refuse(f"The package has {len(cards)} cards; at most {apkg_max_cards()} at once.")
    note_by_id = {}
    skipped = 0
    for note_id, model_id, fields, tags in notes:
        model = models.get(str(model_id), {})
        parts = [_strip_html(part) for part in str(fields).split(FIELD_SEPARATOR)]
        is_cloze = model.get("type") == ANKI_CLOZE_MODEL_TYPE
        front = parts[0] if parts else ""
        back = parts[1] if len(parts) > 1 else ""
        stored_tags, _ = card_text.normalise_tags(
            [t for t in str(tags).split() if card_text.TAG_PATTERN.match(t)]
        )
        if (
            not front
            or not hygiene.is_clean_text(front + back)
            or len(front) > 4000
            or len(back) > 4000
        ):
            skipped += 1
            continue
        note_by_id[note_id] = (
            CardKind.CLOZE if is_cloze else CardKind.BASIC,
            front,
            back,
            stored_tags,
        )
    history: dict[int, list[tuple[datetime, int, int]]] = {}
    for review_id, card_id, ease, duration_ms, review_type in revlog:
        if review_type == ANKI_MANUAL_REVLOG_TYPE or ease not in (1, 2, 3, 4):
            continue
        at = datetime.fromtimestamp(review_id / 1000, tz=UTC)
        history.setdefault(card_id, []).append((at, int(ease), max(0, int(duration_ms or 0))))
    parameters = student_parameters(user=user)
    new_cards: list[Card] = []
    new_reviews: list[CardReview] = []
    for anki_card_id, note_id, ordinal in cards:
        if note_id not in note_by_id:
            continue
        kind, front, back, tags = note_by_id[note_id]
        cloze_index = ordinal + 1 if kind == CardKind.CLOZE else 0
        if kind == CardKind.CLOZE and cloze_index not in card_text.cloze_indexes(front):
            skipped += 1
            continue
        card = Card(
            user=user,
            deck=deck,
            kind=kind,
            front=front,
            back=back,
            tags=tags,
            cloze_index=cloze_index,
            external_id=str(anki_card_id),
        )
        memory = card_engine.CardMemory()
        for at, ease, duration_ms in history.get(anki_card_id, []):
            state_before = memory.state
            outcome = card_engine.review_card(memory, ease, at, parameters=parameters)
            memory = outcome.memory
            new_reviews.append(
                CardReview(
                    user=user,
                    card=card,
                    rating=ease,
                    reviewed_at=at,
                    duration_ms=min(duration_ms, MAX_REVIEW_MS),
                    state_before=state_before,
                    retrievability_before=outcome.retrievability_before,
                    stability_after=memory.stability,
                    difficulty_after=memory.difficulty,
                    due_after=memory.due,
                    source=CardReviewSource.ANKI,
                )
            )
            card.reps += 1
        card.memory_state = memory.state
        card.step, card.stability, card.difficulty = (
            memory.step,
            memory.stability,
            memory.difficulty,
        )
        card.due, card.last_review = memory.due, memory.last_review
        new_cards.append(card)
    if not new_cards:
        _refuse("The package holds no cards this app can show (every note was empty).")
    with transaction.atomic():
        bulk_create_with_history(new_cards, Card, batch_size=1000)
        CardReview.objects.bulk_create(new_reviews, batch_size=2000)
    return ApkgImportReport(cards=len(new_cards), reviews=len(new_reviews), skipped_notes=skipped)


def _stable_id(value, offset: int) -> int:
    # genanki wants 31-bit-ish positive ids stable per deck/model; derived from the deck's uuid.
    return (value.int >> 96) % (1 << 30) + offset


def apkg_export(*, deck: Deck) -> bytes:
    """The deck as an .apkg (genanki): basic and cloze notes with their tags."""
    anki_deck = genanki.Deck(_stable_id(deck.pk, 1 << 30), deck.name)
    seen_cloze: set[str] = set()
    for card in deck.cards.order_by("created_at", "id"):
        tags = card.tag_list
        if card.kind == CardKind.CLOZE:
            # One note holds every cloze number; Anki makes the cards again on import.
            if card.front in seen_cloze:
                continue
            seen_cloze.add(card.front)
            note = genanki.Note(
                model=genanki.CLOZE_MODEL, fields=[card.front, card.back], tags=tags
            )
        else:
            note = genanki.Note(
                model=genanki.BASIC_MODEL, fields=[card.front, card.back], tags=tags
            )
        anki_deck.add_note(note)
    handle, path = tempfile.mkstemp(suffix=".apkg")
    os.close(handle)
    try:
        genanki.Package(anki_deck).write_to_file(path)
        with open(path, "rb") as file:
            return file.read()
    finally:
        os.unlink(path)
