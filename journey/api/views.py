"""The journey API: this browser's Web Push subscription."""

import uuid

from django.http import Http404
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import status
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.api.serializers import AccountsErrorOutputSerializer
from accounts.api.views import BAD_REQUEST, FORBIDDEN, UNAUTHENTICATED
from journey.api.serializers import (
    PushSubscriptionInputSerializer,
    PushSubscriptionOutputSerializer,
)
from journey.notifications.models import PushSubscription
from journey.notifications.services import push_subscription_save

NOT_FOUND = OpenApiResponse(
    AccountsErrorOutputSerializer, description="No such push subscription of yours."
)


class PushSubscriptionCreateApi(APIView):
    @extend_schema(
        summary="Receive block reminders in this browser (Web Push)",
        request=PushSubscriptionInputSerializer,
        responses={
            201: PushSubscriptionOutputSerializer,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
        },
    )
    def post(self, request):
        serializer = PushSubscriptionInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        subscription = push_subscription_save(
            user=request.user,
            endpoint=data["endpoint"],
            p256dh=data["keys"]["p256dh"],
            auth=data["keys"]["auth"],
        )
        return Response(
            PushSubscriptionOutputSerializer(subscription).data, status=status.HTTP_201_CREATED
        )


class PushSubscriptionDetailApi(APIView):
    @extend_schema(
        summary="Stop Web Push to one browser",
        responses={
            204: None,
            400: BAD_REQUEST,
            401: UNAUTHENTICATED,
            403: FORBIDDEN,
            404: NOT_FOUND,
        },
    )
    def delete(self, request, pk):
        try:
            pk = uuid.UUID(pk)
        except ValueError:
            raise Http404("No such push subscription of yours.") from None
        deleted, _ = PushSubscription.objects.for_user(request.user).filter(pk=pk).delete()
        if not deleted:
            raise Http404("No such push subscription of yours.")
        return Response(status=status.HTTP_204_NO_CONTENT)
