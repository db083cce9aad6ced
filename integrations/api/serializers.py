from rest_framework import serializers

from accounts.hygiene import HygieneSerializer


class SyncErrorOutputSerializer(HygieneSerializer):
    title = serializers.CharField()
    error = serializers.CharField()
    when = serializers.DateTimeField(allow_null=True)


class ProviderStatusOutputSerializer(HygieneSerializer):
    provider = serializers.CharField()
    label = serializers.CharField()
    is_connected = serializers.BooleanField()
    last_sync_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField(help_text="Why the connection needs attention, if it does.")
    error_count = serializers.IntegerField()
    errors = SyncErrorOutputSerializer(many=True)
    details = serializers.DictField()


class IntegrationsOutputSerializer(HygieneSerializer):
    providers = ProviderStatusOutputSerializer(many=True)


class SyncAcceptedOutputSerializer(HygieneSerializer):
    detail = serializers.CharField()
