from django.http import Http404
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from integrations import providers, selectors, services
from integrations.api.serializers import (
    IntegrationsOutputSerializer,
    ProviderStatusOutputSerializer,
    SyncAcceptedOutputSerializer,
)
from integrations.models import Provider

PROVIDER_PARAMETER = OpenApiParameter(
    "provider", OpenApiTypes.STR, OpenApiParameter.PATH, enum=Provider.values
)
ERRORS = {
    401: OpenApiResponse(description="Not authenticated."),
    403: OpenApiResponse(description="Authenticated but not allowed."),
}


def _provider_or_404(provider: str) -> str:
    if not providers.is_registered(provider):
        raise Http404("No such provider.")
    return provider


def _status_of(user, provider: str):
    return next(s for s in selectors.integration_status(user=user) if s.provider == provider)


class IntegrationsApi(APIView):
    @extend_schema(
        operation_id="integrations_status",
        responses={200: IntegrationsOutputSerializer, **ERRORS},
    )
    def get(self, request):
        providers = selectors.integration_status(user=request.user)
        return Response(IntegrationsOutputSerializer({"providers": providers}).data)


class IntegrationSyncApi(APIView):
    @extend_schema(
        operation_id="integrations_sync",
        request=None,
        parameters=[PROVIDER_PARAMETER],
        responses={
            202: SyncAcceptedOutputSerializer,
            400: OpenApiResponse(description="The provider is not connected."),
            404: OpenApiResponse(description="No such provider."),
            **ERRORS,
        },
    )
    def post(self, request, provider):
        provider = _provider_or_404(provider)
        services.integration_sync_request(user=request.user, provider=provider)
        body = {"detail": f"{providers.get(provider).label}: sync started."}
        return Response(SyncAcceptedOutputSerializer(body).data, status=status.HTTP_202_ACCEPTED)


class IntegrationDisconnectApi(APIView):
    @extend_schema(
        operation_id="integrations_disconnect",
        request=None,
        parameters=[PROVIDER_PARAMETER],
        responses={
            200: ProviderStatusOutputSerializer,
            400: OpenApiResponse(description="Bad request."),
            404: OpenApiResponse(description="No such provider."),
            **ERRORS,
        },
    )
    def post(self, request, provider):
        provider = _provider_or_404(provider)
        services.integration_disconnect(user=request.user, provider=provider)
        return Response(ProviderStatusOutputSerializer(_status_of(request.user, provider)).data)
