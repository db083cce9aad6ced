"""Read-only mastery endpoints: every topic's mastery, one topic with its history, and the
reviews due today in the student's time zone. Query counts do not grow with the rows."""

import uuid

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema

# DRF's variant also turns a malformed id into a 404 rather than a validation error.
from rest_framework.generics import GenericAPIView, ListAPIView, get_object_or_404
from rest_framework.response import Response

from accounts.api.list_cache import StudentListCacheMixin
from accounts.errors import ApplicationError
from mastery import evidence_selectors, quiz_selectors
from mastery.api.quiz_serializers import (
    ErrorOutputSerializer,
    ReviewDueOutputSerializer,
    TopicMasteryDetailOutputSerializer,
    TopicMasteryOutputSerializer,
)

AUTH_ERRORS = {
    401: OpenApiResponse(ErrorOutputSerializer, description="Not authenticated."),
    403: OpenApiResponse(ErrorOutputSerializer, description="Not allowed."),
}
PAGE_NOT_FOUND = {404: OpenApiResponse(ErrorOutputSerializer, description="No such page.")}


class MasteryTopicListApi(StudentListCacheMixin, ListAPIView):
    list_cache_name = "mastery-topics"
    serializer_class = TopicMasteryOutputSerializer
    # Ordering is fixed (course, then the course's topic order); filtering is by course only.
    filter_backends: list = []

    def get_queryset(self):
        topics = quiz_selectors.topic_mastery_rows(user=self.request.user)
        course_id = self.request.query_params.get("course")
        if course_id:
            try:
                topics = topics.filter(course_id=uuid.UUID(course_id))
            except ValueError:
                raise ApplicationError(
                    "The course filter must be a course id.",
                    field_errors={"course": ["Must be a course id (UUID)."]},
                ) from None
        return topics

    def paginate_queryset(self, queryset):
        page = super().paginate_queryset(queryset)
        if page is None:
            return None
        # The evidence of the page's topics only, by one grouped query: annotating the list
        # would read each topic's observations in four correlated subqueries.
        return evidence_selectors.attach_evidence(
            quiz_selectors.topic_mastery_items(page), user=self.request.user
        )

    @extend_schema(
        operation_id="mastery_topics_list",
        parameters=[
            OpenApiParameter("course", OpenApiTypes.UUID, description="Only this course's topics.")
        ],
        responses={
            200: TopicMasteryOutputSerializer(many=True),
            400: OpenApiResponse(ErrorOutputSerializer, description="Bad course id."),
            **AUTH_ERRORS,
            **PAGE_NOT_FOUND,
        },
        summary="Mastery of every topic (null fields before any evidence)",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class MasteryTopicDetailApi(GenericAPIView):
    serializer_class = TopicMasteryDetailOutputSerializer

    @extend_schema(
        operation_id="mastery_topic_retrieve",
        responses={
            200: TopicMasteryDetailOutputSerializer,
            404: OpenApiResponse(ErrorOutputSerializer, description="Not found (or not yours)."),
            **AUTH_ERRORS,
        },
        summary="One topic's mastery with the history of every update and its evidence",
    )
    def get(self, request, topic_id):
        topic = get_object_or_404(
            evidence_selectors.with_evidence(
                quiz_selectors.topics_with_mastery(user=request.user), user=request.user
            ),
            pk=topic_id,
        )
        topic.mastery = quiz_selectors.mastery_of(topic)
        topic.history = quiz_selectors.mastery_history(user=request.user, topic=topic)
        topic.recommended_difficulty = quiz_selectors.practice_difficulty(
            user=request.user, topic=topic
        ).difficulty
        return Response(TopicMasteryDetailOutputSerializer(topic).data)


REVIEW_DUE_COLUMNS = (
    "topic_id",
    "mastery_score",
    "confidence_interval",
    "trend",
    "next_review_date",
    "review_interval_days",
    "topic__name",
    "topic__course_id",
    "topic__course__code",
)


class ReviewsDueApi(StudentListCacheMixin, ListAPIView):
    list_cache_name = "reviews-due"
    serializer_class = ReviewDueOutputSerializer
    filter_backends: list = []

    def get_queryset(self):
        # Only the columns the list renders: the records' engine memory and the topics' text
        # and JSON would otherwise be read and decoded for every row.
        return quiz_selectors.reviews_due(user=self.request.user).only(*REVIEW_DUE_COLUMNS)

    @extend_schema(
        operation_id="mastery_reviews_due",
        responses={200: ReviewDueOutputSerializer(many=True), **AUTH_ERRORS, **PAGE_NOT_FOUND},
        summary="Topics due for review today (in the student's time zone) or overdue",
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)
