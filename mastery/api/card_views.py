"""Flashcard endpoints: decks, cards, bulk add, the due queue, answers, the student's card
settings, and Anki import/export. Every object is looked up in the user's scope, so another
user's id is a 404; views are thin (shape in, one service, shape out)."""

import uuid

from django.http import HttpResponse
from django.utils import timezone
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.response import Response

from accounts.errors import ApplicationError
from mastery import card_selectors
from mastery.api import card_serializers as s
from mastery.api.views import BAD_REQUEST, FORBIDDEN, UNAUTHENTICATED
from mastery.models import Card, Deck
from mastery.services import anki
from mastery.services import cards as card_services

NOT_FOUND = OpenApiResponse(description="No such deck or card among yours.")
ERRORS = {400: BAD_REQUEST, 401: UNAUTHENTICATED, 403: FORBIDDEN, 404: NOT_FOUND}
LIST_ERRORS = {
    400: BAD_REQUEST,
    401: UNAUTHENTICATED,
    403: FORBIDDEN,
    404: OpenApiResponse(description="No such page."),
}
APKG_MEDIA_TYPE = "application/apkg"


def _deck_scope(request):
    if getattr(request, "user", None) is None or not request.user.is_authenticated:
        return Deck.objects.none()
    return card_selectors.decks_with_counts(user=request.user, now=timezone.now())


def _card_scope(request):
    if getattr(request, "user", None) is None or not request.user.is_authenticated:
        return Card.objects.none()
    return Card.objects.for_user(request.user).select_related("deck")


class _OwnObjectOptionsMixin:
    """OPTIONS on another user's id is a 404, like every other method."""

    @extend_schema(exclude=True)
    def options(self, request, *args, **kwargs):
        self.get_object()
        return super().options(request, *args, **kwargs)


class DeckListCreateApi(generics.ListAPIView):
    serializer_class = s.DeckOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _deck_scope(self.request)

    @extend_schema(
        operation_id="decks_list",
        summary="Your flashcard decks with card, new, due and suspended counts",
        responses={200: s.DeckOutputSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="decks_create",
        summary="Create a deck for one of your topics",
        request=s.DeckInputSerializer,
        responses={201: s.DeckOutputSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        serializer = s.DeckInputSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        deck = card_services.deck_create(user=request.user, **serializer.validated_data)
        deck = _deck_scope(request).get(pk=deck.pk)
        return Response(s.DeckOutputSerializer(deck).data, status=status.HTTP_201_CREATED)


class DeckDetailApi(_OwnObjectOptionsMixin, generics.RetrieveAPIView):
    serializer_class = s.DeckOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _deck_scope(self.request)

    @extend_schema(operation_id="decks_retrieve", responses={200: s.DeckOutputSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="decks_update",
        summary="Rename a deck, change its description or topic",
        request=s.DeckUpdateSerializer,
        responses={200: s.DeckOutputSerializer, **ERRORS},
    )
    def patch(self, request, *args, **kwargs):
        deck = self.get_object()
        serializer = s.DeckUpdateSerializer(data=request.data, context={"request": request})
        serializer.is_valid(raise_exception=True)
        card_services.deck_update(deck=deck, **serializer.validated_data)
        return Response(s.DeckOutputSerializer(self.get_object()).data)

    @extend_schema(
        operation_id="decks_destroy",
        summary="Delete a deck and its cards (their evidence stays)",
        responses={204: None, **ERRORS},
    )
    def delete(self, request, *args, **kwargs):
        card_services.deck_delete(deck=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class _DeckChildMixin:
    def get_deck(self) -> Deck:
        return generics.get_object_or_404(
            Deck.objects.for_user(self.request.user), pk=self.kwargs["pk"]
        )


class DeckCardListCreateApi(_DeckChildMixin, generics.ListAPIView):
    serializer_class = s.CardOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return Card.objects.none()
        queryset = _card_scope(self.request).filter(deck=self.get_deck())
        tag = self.request.query_params.get("tag")
        return queryset.tagged(tag.lower()) if tag else queryset

    @extend_schema(
        operation_id="deck_cards_list",
        summary="The deck's cards",
        parameters=[OpenApiParameter("tag", OpenApiTypes.STR, description="Only this tag.")],
        responses={200: s.CardOutputSerializer(many=True), **LIST_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="deck_cards_create",
        summary="Add a card (a cloze text adds one card per {{cN::...}} number)",
        request=s.CardInputSerializer,
        responses={201: s.CardOutputSerializer(many=True), **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        deck = self.get_deck()
        serializer = s.CardInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        cards = card_services.card_create(user=request.user, deck=deck, **serializer.validated_data)
        return Response(
            s.CardOutputSerializer(cards, many=True).data, status=status.HTTP_201_CREATED
        )


class DeckBulkAddApi(_DeckChildMixin, generics.GenericAPIView):
    serializer_class = s.BulkAddInputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="deck_cards_bulk_add",
        summary="Add many cards at once: every line or none, with a report per line",
        request=s.BulkAddInputSerializer,
        responses={
            201: s.BulkAddOutputSerializer,
            400: OpenApiResponse(
                OpenApiTypes.OBJECT,
                description="Nothing was added. A wrong line gives the report of every line "
                "(created 0, lines with their errors); unreadable input gives field errors.",
            ),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def post(self, request, *args, **kwargs):
        deck = self.get_deck()
        serializer = s.BulkAddInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        report = card_services.cards_bulk_add(
            user=request.user,
            deck=deck,
            text=serializer.validated_data["text"],
            is_csv=serializer.validated_data["format"] == "csv",
        )
        return Response(
            s.BulkAddOutputSerializer(report).data,
            status=status.HTTP_201_CREATED if report.is_valid else status.HTTP_400_BAD_REQUEST,
        )


class DeckApkgImportApi(_DeckChildMixin, generics.GenericAPIView):
    parser_classes = [MultiPartParser, FormParser]
    serializer_class = s.ApkgImportInputSerializer
    filter_backends: list = []

    @extend_schema(
        operation_id="deck_apkg_import",
        summary="Import an Anki package (.apkg) into the deck: all of it or nothing",
        request={"multipart/form-data": s.ApkgImportInputSerializer},
        responses={200: s.ApkgImportOutputSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        deck = self.get_deck()
        serializer = s.ApkgImportInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        upload = serializer.validated_data["file"]
        if upload.size > anki.apkg_max_bytes():
            message = f"The package is larger than {anki.apkg_max_bytes() // (1024 * 1024)} MB."
            raise ApplicationError(message, field_errors={"file": [message]})
        report = anki.apkg_import(user=request.user, deck=deck, data=upload.read())
        return Response(s.ApkgImportOutputSerializer(report).data)


class DeckApkgExportApi(_DeckChildMixin, generics.GenericAPIView):
    filter_backends: list = []
    serializer_class = s.ApkgImportOutputSerializer  # schema only; the answer is a file

    @extend_schema(
        operation_id="deck_apkg_export",
        summary="The deck as an Anki package (.apkg)",
        responses={
            (200, APKG_MEDIA_TYPE): OpenApiTypes.BINARY,
            **{code: ERRORS[code] for code in (400, 401, 403, 404)},
        },
    )
    def get(self, request, *args, **kwargs):
        deck = self.get_deck()
        response = HttpResponse(anki.apkg_export(deck=deck), content_type=APKG_MEDIA_TYPE)
        response["Content-Disposition"] = f'attachment; filename="deck-{deck.pk}.apkg"'
        return response


class CardDetailApi(_OwnObjectOptionsMixin, generics.RetrieveAPIView):
    serializer_class = s.CardOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _card_scope(self.request)

    @extend_schema(operation_id="cards_retrieve", responses={200: s.CardOutputSerializer, **ERRORS})
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        operation_id="cards_update",
        summary="Edit a card's text or tags, or suspend it (its memory is kept)",
        request=s.CardUpdateSerializer,
        responses={200: s.CardOutputSerializer, **ERRORS},
    )
    def patch(self, request, *args, **kwargs):
        card = self.get_object()
        serializer = s.CardUpdateSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card = card_services.card_update(card=card, **serializer.validated_data)
        return Response(s.CardOutputSerializer(card).data)

    @extend_schema(operation_id="cards_destroy", responses={204: None, **ERRORS})
    def delete(self, request, *args, **kwargs):
        card_services.card_delete(card=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)


class CardReviewApi(_OwnObjectOptionsMixin, generics.GenericAPIView):
    serializer_class = s.ReviewInputSerializer
    filter_backends: list = []

    def get_queryset(self):
        return _card_scope(self.request)

    @extend_schema(
        operation_id="cards_review",
        summary="Answer a card: 1 Again, 2 Hard, 3 Good, 4 Easy",
        description="FSRS (the student's parameters) schedules the card; the answer becomes "
        "flashcard evidence for the deck's topic, and its mastery is recomputed after commit.",
        request=s.ReviewInputSerializer,
        responses={200: s.ReviewOutputSerializer, **ERRORS},
    )
    def post(self, request, *args, **kwargs):
        card = self.get_object()
        serializer = s.ReviewInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        result = card_services.card_review_answer(
            user=request.user, card=card, **serializer.validated_data
        )
        payload = {
            "card": result.card,
            "interval_days": result.interval_days,
            "retrievability_before": result.review.retrievability_before,
            "performance_record": result.review.performance_record_id,
        }
        return Response(s.ReviewOutputSerializer(payload).data)


class DueCardsApi(generics.GenericAPIView):
    serializer_class = s.DueQueueOutputSerializer
    filter_backends: list = []
    # The queue is short by design: a session shows one card at a time.
    MAX_CARDS = 50

    @extend_schema(
        operation_id="cards_due",
        summary="Cards to answer now: due ones first, then new ones within today's limit",
        parameters=[
            OpenApiParameter("deck", OpenApiTypes.UUID, description="Only this deck."),
            OpenApiParameter("limit", OpenApiTypes.INT, description="Cards returned (1-50)."),
        ],
        responses={200: s.DueQueueOutputSerializer, **LIST_ERRORS},
    )
    def get(self, request, *args, **kwargs):
        deck = None
        deck_id = request.query_params.get("deck")
        errors = {}
        if deck_id:
            deck = Deck.objects.for_user(request.user).filter(pk=_uuid(deck_id)).first()
            if deck is None:
                errors["deck"] = ["Not one of your decks."]
        raw_limit = request.query_params.get("limit", "10")
        limit = int(raw_limit) if raw_limit.isdigit() else 0
        if not 1 <= limit <= self.MAX_CARDS:
            errors["limit"] = [f"A whole number from 1 to {self.MAX_CARDS}."]
        if errors:
            return Response(errors, status=status.HTTP_400_BAD_REQUEST)
        queue = card_selectors.due_queue(
            user=request.user, now=timezone.now(), deck=deck, limit=limit
        )
        return Response(s.DueQueueOutputSerializer(queue).data)


def _uuid(value: str):
    try:
        return uuid.UUID(value)
    except ValueError:
        return None


class CardProfileApi(generics.GenericAPIView):
    serializer_class = s.CardProfileSerializer
    filter_backends: list = []

    def _payload(self, user) -> dict:
        profile = card_services.card_profile_get(user=user)
        return {
            "new_cards_per_day": profile.new_cards_per_day,
            "seconds_per_card": card_selectors.seconds_per_card(user=user),
            "has_own_parameters": bool(profile.fsrs_parameters),
            "parameters_review_count": profile.parameters_review_count,
        }

    @extend_schema(
        operation_id="cards_settings_retrieve",
        responses={200: s.CardProfileSerializer, **{c: ERRORS[c] for c in (400, 401, 403)}},
    )
    def get(self, request, *args, **kwargs):
        return Response(s.CardProfileSerializer(self._payload(request.user)).data)

    @extend_schema(
        operation_id="cards_settings_update",
        summary="Set the daily limit of new cards",
        request=s.CardProfileSerializer,
        responses={200: s.CardProfileSerializer, **{c: ERRORS[c] for c in (400, 401, 403)}},
    )
    def patch(self, request, *args, **kwargs):
        serializer = s.CardProfileSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        card_services.card_profile_update(
            user=request.user, new_cards_per_day=serializer.validated_data["new_cards_per_day"]
        )
        return Response(s.CardProfileSerializer(self._payload(request.user)).data)
