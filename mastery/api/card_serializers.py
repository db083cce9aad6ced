"""Shapes of the flashcard API; the rules live in mastery.services.cards and .anki."""

from rest_framework import serializers

from accounts.hygiene import HygieneSerializer
from courses.models import Topic
from mastery.api.serializers import _UserScopedPrimaryKeyField
from mastery.card_models import MAX_NEW_CARDS_PER_DAY
from mastery.models import Card, CardKind, Deck


class DeckInputSerializer(HygieneSerializer):
    topic = _UserScopedPrimaryKeyField(queryset=Topic.objects.all())
    name = serializers.CharField(max_length=120)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DeckUpdateSerializer(HygieneSerializer):
    topic = _UserScopedPrimaryKeyField(queryset=Topic.objects.all(), required=False)
    name = serializers.CharField(max_length=120, required=False)
    description = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class DeckOutputSerializer(serializers.ModelSerializer):
    card_count = serializers.IntegerField(read_only=True)
    new_count = serializers.IntegerField(read_only=True)
    due_count = serializers.IntegerField(read_only=True)
    suspended_count = serializers.IntegerField(read_only=True)

    class Meta:
        model = Deck
        fields = [
            "id",
            "topic",
            "name",
            "description",
            "card_count",
            "new_count",
            "due_count",
            "suspended_count",
            "created_at",
            "updated_at",
        ]


class CardInputSerializer(HygieneSerializer):
    kind = serializers.ChoiceField(choices=CardKind.choices, default=CardKind.BASIC)
    front = serializers.CharField(max_length=4000, help_text="Cloze: text with {{c1::...}}.")
    back = serializers.CharField(max_length=4000, required=False, allow_blank=True, default="")
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20
    )


class CardUpdateSerializer(HygieneSerializer):
    front = serializers.CharField(max_length=4000, required=False)
    back = serializers.CharField(max_length=4000, required=False, allow_blank=True)
    tags = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False, max_length=20
    )
    is_suspended = serializers.BooleanField(required=False)


class CardOutputSerializer(serializers.ModelSerializer):
    tags = serializers.ListField(source="tag_list", child=serializers.CharField())
    has_image = serializers.SerializerMethodField()

    class Meta:
        model = Card
        fields = [
            "id",
            "deck",
            "kind",
            "front",
            "back",
            "cloze_index",
            "tags",
            "has_image",
            "is_suspended",
            "memory_state",
            "stability",
            "difficulty",
            "due",
            "last_review",
            "reps",
            "lapses",
        ]

    def get_has_image(self, card) -> bool:
        return card.image_content_type != ""


class BulkAddInputSerializer(HygieneSerializer):
    text = serializers.CharField(
        help_text='One card per line: "front;back[;tags]" (or CSV rows with format=csv); '
        '"cloze:" before a line makes a cloze card.',
        trim_whitespace=False,
    )
    format = serializers.ChoiceField(choices=["lines", "csv"], default="lines")


class BulkLineOutputSerializer(serializers.Serializer):
    line = serializers.IntegerField()
    front = serializers.CharField()
    errors = serializers.ListField(child=serializers.CharField())


class BulkAddOutputSerializer(serializers.Serializer):
    created = serializers.IntegerField()
    lines = BulkLineOutputSerializer(many=True)


class ReviewInputSerializer(HygieneSerializer):
    rating = serializers.IntegerField(
        min_value=1, max_value=4, help_text="1 Again, 2 Hard, 3 Good, 4 Easy."
    )
    duration_ms = serializers.IntegerField(
        min_value=0, max_value=24 * 3600 * 1000, required=False, allow_null=True
    )


class ReviewOutputSerializer(serializers.Serializer):
    card = CardOutputSerializer()
    interval_days = serializers.IntegerField()
    retrievability_before = serializers.FloatField(allow_null=True)
    performance_record = serializers.UUIDField(allow_null=True)


class DueQueueOutputSerializer(serializers.Serializer):
    due_count = serializers.IntegerField()
    new_count = serializers.IntegerField()
    cards = CardOutputSerializer(many=True)


class CardProfileSerializer(HygieneSerializer):
    new_cards_per_day = serializers.IntegerField(min_value=0, max_value=MAX_NEW_CARDS_PER_DAY)
    seconds_per_card = serializers.FloatField(read_only=True)
    has_own_parameters = serializers.BooleanField(read_only=True)
    parameters_review_count = serializers.IntegerField(read_only=True)


class ApkgImportInputSerializer(HygieneSerializer):
    file = serializers.FileField(help_text="An Anki package (.apkg), multipart.")


class ApkgImportOutputSerializer(serializers.Serializer):
    cards = serializers.IntegerField()
    reviews = serializers.IntegerField()
    skipped_notes = serializers.IntegerField()
