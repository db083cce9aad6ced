"""A student's classes (/api/classes): join with a code, share progress or not, leave, and
see and accept the teacher's updates. Each answers with the membership as it now stands."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.services import templates as template_services
from courses.template_models import ClassMembership
from journey.classes import services as class_services
from journey.classes import updates
from journey.classes.api.base import AUTH_ERRORS, ERROR_400, OBJECT_ERRORS
from journey.classes.api.serializers import (
    ConsentInput,
    JoinInput,
    MembershipOutput,
    UpdateOfferOutput,
)


def _memberships(user):
    return ClassMembership.objects.for_user(user).select_related("classroom__template")


def _membership_data(membership, user) -> dict:
    return MembershipOutput(_memberships(user).get(pk=membership.pk)).data


def _offer_data(offer: updates.UpdateOffer | None) -> dict:
    offer = offer or updates.UpdateOffer()
    return UpdateOfferOutput(
        {
            "has_update": not offer.is_empty,
            "added_topics": [topic.name for topic in offer.added_topics],
            "removed_topics": offer.removed_topics,
            "added_assessments": offer.added_assessments,
            "changed_assessments": offer.changed_assessments,
            "removed_assessments": offer.removed_assessments,
            "added_resources": offer.added_resources,
            "changed_resources": offer.changed_resources,
            "removed_resources": offer.removed_resources,
        }
    ).data


class MembershipListApi(APIView):
    @extend_schema(responses={200: MembershipOutput(many=True), **AUTH_ERRORS})
    def get(self, request):
        return Response(MembershipOutput(_memberships(request.user), many=True).data)


class JoinApi(APIView):
    @extend_schema(
        request=JoinInput, responses={201: MembershipOutput, 400: ERROR_400, **AUTH_ERRORS}
    )
    def post(self, request):
        serializer = JoinInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        membership = class_services.class_join(
            student=request.user,
            join_code=serializer.validated_data["join_code"],
            has_consented=serializer.validated_data["share_progress"],
        )
        return Response(_membership_data(membership, request.user), status=status.HTTP_201_CREATED)


class MembershipConsentApi(APIView):
    @extend_schema(
        request=ConsentInput, responses={200: MembershipOutput, 400: ERROR_400, **OBJECT_ERRORS}
    )
    def put(self, request, membership_id):
        membership = get_object_or_404(_memberships(request.user), pk=membership_id)
        serializer = ConsentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        template_services.class_membership_consent_set(
            membership=membership, has_consented=serializer.validated_data["share_progress"]
        )
        return Response(_membership_data(membership, request.user))


class MembershipLeaveApi(APIView):
    @extend_schema(request=None, responses={200: MembershipOutput, **OBJECT_ERRORS})
    def post(self, request, membership_id):
        membership = get_object_or_404(_memberships(request.user), pk=membership_id)
        template_services.class_membership_leave(membership=membership)
        return Response(_membership_data(membership, request.user))


class MembershipUpdateOfferApi(APIView):
    @extend_schema(responses={200: UpdateOfferOutput, **OBJECT_ERRORS})
    def get(self, request, membership_id):
        membership = get_object_or_404(
            _memberships(request.user).prefetch_related(
                "classroom__template__topics__resources",
                "classroom__template__assessments__topics",
            ),
            pk=membership_id,
        )
        return Response(_offer_data(updates.update_offers([membership]).get(membership.pk)))


class MembershipAcceptUpdateApi(APIView):
    @extend_schema(request=None, responses={200: MembershipOutput, 400: ERROR_400, **OBJECT_ERRORS})
    def post(self, request, membership_id):
        membership = get_object_or_404(_memberships(request.user), pk=membership_id)
        updates.class_update_accept(student=request.user, membership=membership)
        return Response(_membership_data(membership, request.user))
