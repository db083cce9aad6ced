"""`GET /api/ping`: the cheapest authenticated round trip the API offers.

A script calls it to check that its token still works and that the service and its database
answer, and to learn whether the student's preferences changed since it last looked. It does
exactly one query of its own (the preferences row in force), so `make bench` also uses it as
the framework's floor: every other endpoint's throughput is reported against this one.
"""

import uuid

from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.models import UserPreferences
from accounts.prepared import PreparedRead

# The ping's own query, compiled once (accounts/prepared.py): the ORM would cost more than the
# round trip. Read-only on purpose: preferences_get_current would create a missing row.
_preferences_updated_at = PreparedRead(
    lambda user_id: (
        UserPreferences.objects.filter(user_id=user_id)
        .order_by("-created_at")
        .values_list("updated_at", flat=True)[:1]
    ),
    field=UserPreferences._meta.get_field("user").target_field,
    sentinel=uuid.UUID(int=0),
)


class PingOutputSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='Always "ok" when the request got this far.')
    email = serializers.EmailField(help_text="Whose credentials the request carried.")
    server_time = serializers.DateTimeField()
    preferences_updated_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the preferences in force last changed; null before any were saved.",
    )


class PingApi(APIView):
    @extend_schema(
        summary="Check your credentials and the service",
        responses={
            200: PingOutputSerializer,
            401: OpenApiResponse(description="No valid session or token."),
            403: OpenApiResponse(description="Signed in, but not allowed."),
        },
    )
    def get(self, request):
        rows = _preferences_updated_at.rows(request.user.pk)
        preferences_updated_at = rows[0][0] if rows else None
        body = {
            "status": "ok",
            "email": request.user.email,
            "server_time": timezone.now(),
            "preferences_updated_at": preferences_updated_at,
        }
        return Response(PingOutputSerializer(body).data)
