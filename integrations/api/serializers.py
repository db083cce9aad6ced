from rest_framework import serializers


class SyncErrorOutputSerializer(serializers.Serializer):
    title = serializers.CharField()
    error = serializers.CharField()
    when = serializers.DateTimeField(allow_null=True)


class ProviderStatusOutputSerializer(serializers.Serializer):
    provider = serializers.CharField()
    label = serializers.CharField()
    is_connected = serializers.BooleanField()
    last_sync_at = serializers.DateTimeField(allow_null=True)
    message = serializers.CharField(help_text="Why the connection needs attention, if it does.")
    error_count = serializers.IntegerField()
    errors = SyncErrorOutputSerializer(many=True)
    details = serializers.DictField()


class IntegrationsOutputSerializer(serializers.Serializer):
    providers = ProviderStatusOutputSerializer(many=True)


class SyncAcceptedOutputSerializer(serializers.Serializer):
    detail = serializers.CharField()
