"""Input and output serializers of the journey API."""

from rest_framework import serializers

from accounts.hygiene import HygieneSerializer
from journey.notifications.models import PushSubscription

# Browsers' keys: p256dh is a 65-byte point (88 base64url chars), auth 16 bytes (22 chars);
# the limits leave room for padding and nothing more.
P256DH_MAX_LENGTH = 200
AUTH_MAX_LENGTH = 100


class PushKeysInputSerializer(HygieneSerializer):
    p256dh = serializers.RegexField(r"^[A-Za-z0-9_\-=]+$", max_length=P256DH_MAX_LENGTH)
    auth = serializers.RegexField(r"^[A-Za-z0-9_\-=]+$", max_length=AUTH_MAX_LENGTH)


class PushSubscriptionInputSerializer(HygieneSerializer):
    """What `PushSubscription.toJSON()` gives in the browser."""

    endpoint = serializers.URLField(max_length=1000)
    keys = PushKeysInputSerializer()


class PushSubscriptionOutputSerializer(serializers.ModelSerializer):
    class Meta:
        model = PushSubscription
        fields = ["id", "endpoint", "created_at", "last_success_at"]
        read_only_fields = fields
