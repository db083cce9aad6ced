from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import generics, status
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle
from rest_framework.views import APIView

from accounts.api.serializers import (
    AccountsErrorOutputSerializer,
    ApiTokenCreatedOutputSerializer,
    ApiTokenCreateInputSerializer,
    ApiTokenOutputSerializer,
    MeInputSerializer,
    MeOutputSerializer,
    NotificationSettingsInputSerializer,
    NotificationSettingsOutputSerializer,
    PreferencesInputSerializer,
    PreferencesOutputSerializer,
)
from accounts.models import ApiToken
from accounts.services import (
    api_token_create,
    api_token_revoke,
    notification_settings_get,
    notification_settings_update,
    preferences_get_current,
    preferences_update,
    user_profile_update,
)

BAD_REQUEST = OpenApiResponse(
    AccountsErrorOutputSerializer, description="Invalid input, per field."
)
UNAUTHENTICATED = OpenApiResponse(
    AccountsErrorOutputSerializer,
    description="No valid session or token (invalid, expired, revoked).",
)
FORBIDDEN = OpenApiResponse(AccountsErrorOutputSerializer, description="Not allowed.")
NOT_FOUND = OpenApiResponse(AccountsErrorOutputSerializer, description="No such token of yours.")
PAGE_NOT_FOUND = OpenApiResponse(AccountsErrorOutputSerializer, description="No such page.")
THROTTLED = OpenApiResponse(
    AccountsErrorOutputSerializer,
    description="Too many tokens created recently; wait the seconds in Retry-After.",
)


class MeApi(APIView):
    @extend_schema(
        summary="Your profile",
        responses={200: MeOutputSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        return Response(MeOutputSerializer(request.user).data)

    @extend_schema(
        summary="Change your profile (the email is read-only)",
        request=MeInputSerializer,
        responses={
            200: MeOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def patch(self, request):
        serializer = MeInputSerializer(request.user, data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        user = user_profile_update(user=request.user, **serializer.validated_data)
        return Response(MeOutputSerializer(user).data)


class PreferencesApi(APIView):
    @extend_schema(
        summary="Your preferences in force",
        responses={200: PreferencesOutputSerializer, 401: UNAUTHENTICATED, 403: FORBIDDEN},
    )
    def get(self, request):
        preferences = preferences_get_current(user=request.user)
        return Response(PreferencesOutputSerializer(preferences).data)

    @extend_schema(
        summary="Change your preferences (replans after commit)",
        request=PreferencesInputSerializer,
        responses={
            200: PreferencesOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def patch(self, request):
        serializer = PreferencesInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        preferences = preferences_update(user=request.user, **serializer.validated_data)
        return Response(PreferencesOutputSerializer(preferences).data)


class NotificationSettingsApi(APIView):
    @extend_schema(
        summary="What may be sent to you, and when",
        responses={
            200: NotificationSettingsOutputSerializer,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def get(self, request):
        current = notification_settings_get(user=request.user)
        return Response(NotificationSettingsOutputSerializer(current).data)

    @extend_schema(
        summary="Change your notification settings (never replans)",
        request=NotificationSettingsInputSerializer,
        responses={
            200: NotificationSettingsOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def patch(self, request):
        serializer = NotificationSettingsInputSerializer(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        current = notification_settings_update(user=request.user, **serializer.validated_data)
        return Response(NotificationSettingsOutputSerializer(current).data)


class ApiTokenListCreateApi(generics.ListAPIView):
    serializer_class = ApiTokenOutputSerializer
    ordering_fields = ["created_at", "expires_at", "name"]
    ordering = ["-created_at"]
    # The rate is REST_FRAMEWORK["DEFAULT_THROTTLE_RATES"]["token_create"] (API_TOKEN_CREATE_RATE).
    throttle_scope = "token_create"

    def get_throttles(self):
        # Only minting is limited; listing your tokens stays free.
        if self.request.method == "POST":
            return [ScopedRateThrottle()]
        return super().get_throttles()

    def get_queryset(self):
        if getattr(self, "swagger_fake_view", False):
            return ApiToken.objects.none()
        return ApiToken.objects.for_user(self.request.user)

    @extend_schema(
        summary="Your API tokens (keys are never listed)",
        responses={
            200: ApiTokenOutputSerializer(many=True),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: PAGE_NOT_FOUND,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)

    @extend_schema(
        summary="Create a token; the key is in this response only",
        request=ApiTokenCreateInputSerializer,
        responses={
            201: ApiTokenCreatedOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            429: THROTTLED,
        },
    )
    def post(self, request, *args, **kwargs):
        serializer = ApiTokenCreateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        token, raw_key = api_token_create(user=request.user, **serializer.validated_data)
        token.key = raw_key
        response = Response(
            ApiTokenCreatedOutputSerializer(token).data, status=status.HTTP_201_CREATED
        )
        response["Cache-Control"] = "no-store"
        return response


class ApiTokenDetailApi(APIView):
    @extend_schema(
        summary="Revoke a token",
        request=None,
        parameters=[OpenApiParameter("id", OpenApiTypes.UUID, OpenApiParameter.PATH)],
        responses={
            204: OpenApiResponse(description="Revoked (or already revoked)."),
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def delete(self, request, pk):
        try:
            api_token_revoke(user=request.user, token_id=pk)
        except ApiToken.DoesNotExist:
            raise Http404 from None
        return Response(status=status.HTTP_204_NO_CONTENT)
