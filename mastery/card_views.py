"""Flashcard pages: decks, a deck's cards (add, bulk add, Anki import/export), editing a card,
and the review session (one card at a time; Again/Hard/Good/Easy, keys 1-4 and space).

Every object is fetched through the user's scope, so another user's id is a 404. A refused
form is shown again with its errors and status 400.
"""

import uuid
from dataclasses import dataclass

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts import hygiene
from accounts.errors import ApplicationError
from accounts.forms import add_application_error
from courses.models import Course
from mastery import card_selectors, card_text
from mastery.card_forms import (
    ApkgImportForm,
    BulkAddForm,
    CardEditForm,
    CardForm,
    DeckForm,
    NewCardsPerDayForm,
)
from mastery.models import Card, CardKind, Deck
from mastery.services import anki
from mastery.services import cards as card_services

RATING_BUTTONS = ((1, "Again"), (2, "Hard"), (3, "Good"), (4, "Easy"))

# A deck page lists at most this many cards; the rest is reached by tag or the API.
DECK_PAGE_CARDS = 200


@dataclass(frozen=True)
class CardFaces:
    prompt: str
    answer: str
    hidden: list[str]


def card_faces(card: Card) -> CardFaces:
    if card.kind == CardKind.CLOZE:
        return CardFaces(
            prompt=card_text.cloze_prompt(card.front, card.cloze_index),
            answer=card_text.cloze_answer(card.front, card.cloze_index),
            hidden=card_text.cloze_hidden(card.front, card.cloze_index),
        )
    return CardFaces(prompt=card.front, answer=card.back, hidden=[])


def _uploaded_bytes(upload, limit: int) -> bytes | None:
    """At most limit + 1 bytes: enough for the service to refuse an oversized file."""
    return None if upload is None else upload.read(limit + 1)


class DeckListView(LoginRequiredMixin, TemplateView):
    template_name = "mastery/deck_list.html"

    def deck_courses(self) -> tuple[list[Course], Course | None]:
        """The student's courses, and the one whose topics the new-deck form offers:
        `?course=` (the form posts back with it), else the first."""
        if not hasattr(self, "_deck_courses"):
            courses = list(
                Course.objects.for_user(self.request.user)
                .only("id", "code", "name")
                .order_by("code", "name")
            )
            chosen = hygiene.query_uuid(self.request.GET.get("course"))
            course = next((c for c in courses if c.pk == chosen), courses[0] if courses else None)
            self._deck_courses = courses, course
        return self._deck_courses

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        user = self.request.user
        courses, course = self.deck_courses()
        context.update(deck_courses=courses, deck_course=course)
        context.setdefault("form", DeckForm(user=user, course=course))
        profile = card_services.card_profile_get(user=user)
        context.setdefault(
            "limit_form",
            NewCardsPerDayForm(initial={"new_cards_per_day": profile.new_cards_per_day}),
        )
        context["decks"] = list(card_selectors.decks_with_counts(user=user, now=timezone.now()))
        context["queue"] = card_selectors.due_queue(user=user, now=timezone.now(), limit=0)
        context["profile"] = profile
        context["seconds_per_card"] = card_selectors.seconds_per_card(user=user)
        return context

    def post(self, request, *args, **kwargs):
        if "new_cards_per_day" in request.POST:
            limit_form = NewCardsPerDayForm(request.POST)
            if limit_form.is_valid():
                card_services.card_profile_update(
                    user=request.user,
                    new_cards_per_day=limit_form.cleaned_data["new_cards_per_day"],
                )
                messages.success(request, "Daily limit of new cards saved.")
                return redirect("mastery:decks")
            return self.render_to_response(self.get_context_data(limit_form=limit_form), status=400)
        # Posted from the page, the form names its course; a post without one may pick any
        # of the student's topics.
        course = self.deck_courses()[1] if "course" in request.GET else None
        form = DeckForm(request.POST, user=request.user, course=course)
        if form.is_valid():
            try:
                deck = card_services.deck_create(user=request.user, **form.cleaned_data)
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                return redirect("mastery:deck", pk=deck.pk)
        return self.render_to_response(self.get_context_data(form=form), status=400)


class _DeckMixin:
    def get_deck(self) -> Deck:
        return get_object_or_404(
            Deck.objects.for_user(self.request.user).select_related("topic__course"),
            pk=self.kwargs["pk"],
        )


class DeckDetailView(LoginRequiredMixin, _DeckMixin, TemplateView):
    template_name = "mastery/deck_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deck = self.get_deck()
        cards = (
            Card.objects.for_user(self.request.user).filter(deck=deck).order_by("created_at", "id")
        )
        tag = self.request.GET.get("tag", "").strip().lower()
        if tag and card_text.TAG_PATTERN.match(tag):
            cards = cards.tagged(tag)
        context.update(
            deck=deck,
            tag=tag,
            cards=list(cards.defer("image")[:DECK_PAGE_CARDS]),
            card_total=cards.count(),
            page_limit=DECK_PAGE_CARDS,
            queue=card_selectors.due_queue(
                user=self.request.user, now=timezone.now(), deck=deck, limit=0
            ),
        )
        context.setdefault("card_form", CardForm())
        context.setdefault("bulk_form", BulkAddForm())
        context.setdefault("import_form", ApkgImportForm())
        return context

    def post(self, request, *args, **kwargs):
        deck = self.get_deck()
        action = request.POST.get("action")
        if action == "bulk":
            return self._bulk(request, deck)
        if action == "import":
            return self._import(request, deck)
        form = CardForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                created = card_services.card_create(
                    user=request.user,
                    deck=deck,
                    kind=data["kind"],
                    front=data["front"],
                    back=data["back"],
                    tags=data["tags"],
                    image=_uploaded_bytes(data["image"], card_services.card_image_max_bytes()),
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(request, f"{len(created)} card(s) added.")
                return redirect("mastery:deck", pk=deck.pk)
        return self.render_to_response(self.get_context_data(card_form=form), status=400)

    def _bulk(self, request, deck):
        form = BulkAddForm(request.POST, request.FILES)
        report = None
        if form.is_valid():
            upload = form.cleaned_data["csv_file"]
            try:
                if upload is not None:
                    raw = upload.read(hygiene.import_max_bytes() + 1)
                    try:
                        text = raw.decode("utf-8-sig")
                    except UnicodeDecodeError:
                        raise ApplicationError(
                            "The CSV file is not UTF-8 text.",
                            field_errors={"csv_file": ["The CSV file is not UTF-8 text."]},
                        ) from None
                    report = card_services.cards_bulk_add(
                        user=request.user, deck=deck, text=text, is_csv=True
                    )
                else:
                    report = card_services.cards_bulk_add(
                        user=request.user, deck=deck, text=form.cleaned_data["text"]
                    )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                if report.is_valid:
                    messages.success(request, f"{report.created} cards added.")
                    return redirect("mastery:deck", pk=deck.pk)
                form.add_error(None, "Nothing was added: correct the lines marked below.")
        return self.render_to_response(
            self.get_context_data(bulk_form=form, bulk_report=report), status=400
        )

    def _import(self, request, deck):
        form = ApkgImportForm(request.POST, request.FILES)
        if form.is_valid():
            upload = form.cleaned_data["file"]
            try:
                report = anki.apkg_import(
                    user=request.user,
                    deck=deck,
                    data=_uploaded_bytes(upload, anki.apkg_max_bytes()),
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(
                    request,
                    f"Imported {report.cards} cards and {report.reviews} past reviews"
                    + (
                        f"; {report.skipped_notes} empty notes left out."
                        if report.skipped_notes
                        else "."
                    ),
                )
                return redirect("mastery:deck", pk=deck.pk)
        return self.render_to_response(self.get_context_data(import_form=form), status=400)


class DeckExportView(LoginRequiredMixin, _DeckMixin, View):
    def get(self, request, *args, **kwargs):
        deck = self.get_deck()
        response = HttpResponse(anki.apkg_export(deck=deck), content_type="application/apkg")
        response["Content-Disposition"] = f'attachment; filename="deck-{deck.pk}.apkg"'
        return response


class _CardMixin:
    def get_card(self) -> Card:
        return get_object_or_404(
            Card.objects.for_user(self.request.user).select_related("deck"), pk=self.kwargs["pk"]
        )


class CardEditView(LoginRequiredMixin, _CardMixin, TemplateView):
    template_name = "mastery/card_edit.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        card = kwargs.get("card") or self.get_card()
        context["card"] = card
        context.setdefault(
            "form",
            CardEditForm(
                initial={
                    "front": card.front,
                    "back": card.back,
                    "tags": " ".join(card.tag_list),
                    "is_suspended": card.is_suspended,
                }
            ),
        )
        return context

    def post(self, request, *args, **kwargs):
        card = self.get_card()
        form = CardEditForm(request.POST, request.FILES)
        if form.is_valid():
            data = form.cleaned_data
            try:
                card_services.card_update(
                    card=card,
                    front=data["front"],
                    back=data["back"],
                    tags=data["tags"],
                    is_suspended=data["is_suspended"],
                    image=_uploaded_bytes(data["image"], card_services.card_image_max_bytes()),
                    remove_image=data["remove_image"],
                )
            except ApplicationError as exc:
                add_application_error(form, exc)
            else:
                messages.success(request, "Card saved.")
                return redirect("mastery:deck", pk=card.deck_id)
        return self.render_to_response(self.get_context_data(card=card, form=form), status=400)


class CardSuspendView(LoginRequiredMixin, _CardMixin, View):
    def post(self, request, *args, **kwargs):
        card = self.get_card()
        card_services.card_suspend(card=card, is_suspended=not card.is_suspended)
        return redirect("mastery:deck", pk=card.deck_id)


class CardImageView(LoginRequiredMixin, _CardMixin, View):
    def get(self, request, *args, **kwargs):
        card = self.get_card()
        if not card.image_content_type:
            return HttpResponse(status=404)
        response = HttpResponse(bytes(card.image), content_type=card.image_content_type)
        response["X-Content-Type-Options"] = "nosniff"
        response["Cache-Control"] = "private, max-age=3600"
        return response


class ReviewSessionView(LoginRequiredMixin, TemplateView):
    """GET shows the next card; POST answers the card named in the form, then shows the next."""

    template_name = "mastery/card_review.html"

    def _deck(self):
        deck_id = self.request.GET.get("deck") or self.request.POST.get("deck")
        if not deck_id:
            return None
        return get_object_or_404(Deck.objects.for_user(self.request.user), pk=_uuid_or_404(deck_id))

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        deck = self._deck()
        queue = card_selectors.due_queue(user=self.request.user, now=timezone.now(), deck=deck)
        card = queue.cards[0] if queue.cards else None
        context.update(
            deck=deck,
            queue=queue,
            card=card,
            faces=card_faces(card) if card else None,
            ratings=RATING_BUTTONS,
        )
        return context

    def post(self, request, *args, **kwargs):
        card = get_object_or_404(
            Card.objects.for_user(request.user), pk=_uuid_or_404(request.POST.get("card", ""))
        )
        rating = request.POST.get("rating", "")
        duration = request.POST.get("duration_ms", "")
        try:
            card_services.card_review_answer(
                user=request.user,
                card=card,
                rating=int(rating) if rating.isdigit() else rating,
                duration_ms=int(duration) if duration.isdigit() else None,
            )
        except ApplicationError as exc:
            context = self.get_context_data(errors=exc.field_errors or {"": [exc.message]})
            return self.render_to_response(context, status=400)
        deck = self._deck()
        response = redirect("mastery:card-review")
        if deck is not None:
            response["Location"] += f"?deck={deck.pk}"
        return response


def _uuid_or_404(value: str):
    try:
        return uuid.UUID(str(value))
    except ValueError:
        raise Http404("No such card.") from None
