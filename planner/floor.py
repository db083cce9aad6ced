"""`GET /api/ping`: the cheapest authenticated round trip the API offers.

A script calls it to check that its token still works and that the service and its database
answer, and to learn whether the student's preferences changed since it last looked. Called
with a token it makes one query in all: the token's lookup also reads when the preferences in
force last changed. `make bench` sets it beside a bare one-query DRF view, the framework's
floor, to show what the rest of the stack costs per request.
"""

import uuid
from functools import partial

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.authentication import api_token_for_key
from accounts.models import ApiToken, UserPreferences
from accounts.prepared import PreparedRead


# Read-only on purpose: preferences_get_current would create a missing row.
def _newest_preferences_updated_at(user_ref):
    return (
        UserPreferences.objects.filter(user_id=user_ref)
        .order_by("-created_at")
        .values("updated_at")[:1]
    )


# The ping's own query for a session caller, compiled once (accounts/prepared.py): the ORM
# would cost more than the round trip.
_preferences_updated_at = PreparedRead(
    _newest_preferences_updated_at,
    field=UserPreferences._meta.get_field("user").target_field,
    sentinel=uuid.UUID(int=0),
)


# The token lookup every API call makes, with the ping's own fact read in the same round trip.
_token_with_preferences = PreparedRead(
    lambda key_hash: (
        ApiToken.objects.select_related("user")
        .filter(key_hash=key_hash)
        .annotate(
            preferences_updated_at=Subquery(_newest_preferences_updated_at(OuterRef("user_id")))
        )
    ),
    field=ApiToken._meta.get_field("key_hash"),
    sentinel="-" * 64,
)


class PingOutputSerializer(serializers.Serializer):
    status = serializers.CharField(help_text='Always "ok" when the request got this far.')
    email = serializers.EmailField(help_text="Whose credentials the request carried.")
    server_time = serializers.DateTimeField()
    preferences_updated_at = serializers.DateTimeField(
        allow_null=True,
        help_text="When the preferences in force last changed; null before any were saved.",
    )


_datetime_field = PingOutputSerializer._declared_fields["server_time"]


class PingApi(APIView):
    # The API's token check, unchanged (revoked, expired, inactive), with the ping's fact.
    api_token_lookup = staticmethod(partial(api_token_for_key, read=_token_with_preferences))

    @extend_schema(
        summary="Check your credentials and the service",
        responses={
            200: PingOutputSerializer,
            401: OpenApiResponse(description="No valid session or token."),
            403: OpenApiResponse(description="Signed in, but not allowed."),
        },
    )
    def get(self, request):
        token = request.auth
        if isinstance(token, ApiToken):
            preferences_updated_at = token.preferences_updated_at
        else:
            rows = _preferences_updated_at.rows(request.user.pk)
            preferences_updated_at = rows[0][0] if rows else None
        # The documented serializer's own datetime field formats both times; a serializer
        # instance per call would deep-copy its fields, the largest cost in the view.
        return Response(
            {
                "status": "ok",
                "email": request.user.email,
                "server_time": _datetime_field.to_representation(timezone.now()),
                "preferences_updated_at": (
                    None
                    if preferences_updated_at is None
                    else _datetime_field.to_representation(preferences_updated_at)
                ),
            }
        )
