"""Module 2's paths, which name the student in the path: /api/mastery/{user_id}/...

The `user_id` must be the caller's own; any other id is a 404, as another student's object is,
after authentication (an anonymous caller still gets its 401). The reads are the same views as
/api/mastery/topics and /api/mastery/topics/{topic_id}, whose outputs carry the seed's field
names alongside ours.
"""

from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import serializers
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.hygiene import HygieneSerializer
from accounts.seed_names import check_caller_user_id
from courses.models import Difficulty, Topic
from mastery.api.mastery_views import AUTH_ERRORS, MasteryTopicDetailApi, MasteryTopicListApi
from mastery.api.quiz_serializers import ErrorOutputSerializer
from mastery.services.seed_update import mastery_update_from_quiz

USER_ID = OpenApiParameter(
    "user_id", OpenApiTypes.UUID, OpenApiParameter.PATH, description="Your own user id."
)
NOT_YOURS = {404: OpenApiResponse(ErrorOutputSerializer, description="Not your user id.")}


class CallerUserPathMixin:
    """Checks the path's `user_id` once the caller is authenticated and allowed."""

    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        check_caller_user_id(request, kwargs.get("user_id"))


class SeedMasteryTopicListApi(CallerUserPathMixin, MasteryTopicListApi):
    @extend_schema(
        operation_id="mastery_user_topics_list",
        parameters=[
            USER_ID,
            OpenApiParameter("course", OpenApiTypes.UUID, description="Only this course's topics."),
        ],
        summary="Module 2: mastery of every topic (the seed's path)",
        responses={
            200: MasteryTopicListApi.serializer_class(many=True),
            400: OpenApiResponse(ErrorOutputSerializer, description="Bad course id."),
            **AUTH_ERRORS,
            **NOT_YOURS,
        },
    )
    def get(self, request, *args, **kwargs):
        return super().get(request, *args, **kwargs)


class SeedMasteryTopicDetailApi(CallerUserPathMixin, MasteryTopicDetailApi):
    @extend_schema(
        operation_id="mastery_user_topic_retrieve",
        parameters=[USER_ID],
        summary="Module 2: one topic's mastery and history (the seed's path)",
        responses={
            200: MasteryTopicDetailApi.serializer_class,
            404: OpenApiResponse(ErrorOutputSerializer, description="Not found (or not yours)."),
            **AUTH_ERRORS,
        },
    )
    def get(self, request, user_id, topic_id):
        return super().get(request, topic_id)


class MasteryUpdateInputSerializer(HygieneSerializer):
    topic_id = serializers.UUIDField()
    quiz_score = serializers.FloatField(min_value=0, max_value=100, help_text="Percent, 0-100.")
    question_count = serializers.IntegerField(min_value=1, max_value=1000)
    time_spent_min = serializers.IntegerField(min_value=1, help_text="Minutes.")
    difficulty_level = serializers.ChoiceField(
        choices=Difficulty.choices, required=False, help_text="Defaults to the topic's."
    )
    completed_at = serializers.DateTimeField(required=False, help_text="Defaults to now.")


class MasteryUpdateOutputSerializer(HygieneSerializer):
    topic_id = serializers.UUIDField()
    old_mastery = serializers.FloatField(allow_null=True, help_text="Null before any evidence.")
    new_mastery = serializers.FloatField(allow_null=True)
    confidence_interval = serializers.FloatField(allow_null=True)
    trend = serializers.CharField(allow_null=True)
    next_review_date = serializers.DateField(allow_null=True)
    performance_record_id = serializers.UUIDField()


class SeedMasteryUpdateApi(CallerUserPathMixin, APIView):
    @extend_schema(
        operation_id="mastery_user_update",
        parameters=[USER_ID],
        summary="Module 2: record a quiz score for one topic and get its new mastery",
        description="Recorded as a practice-quiz performance record for the topic; see "
        "mastery.services.seed_update for how the score becomes evidence.",
        request=MasteryUpdateInputSerializer,
        responses={
            201: MasteryUpdateOutputSerializer,
            400: OpenApiResponse(OpenApiTypes.OBJECT, description="Invalid input: field errors."),
            **AUTH_ERRORS,
            **NOT_YOURS,
        },
    )
    def post(self, request, user_id):
        serializer = MasteryUpdateInputSerializer(data=request.data)
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        topic = (
            Topic.objects.for_user(request.user)
            .select_related("course")
            .filter(pk=data["topic_id"])
            .first()
        )
        if topic is None:
            raise serializers.ValidationError({"topic_id": ["Not one of your topics."]})
        outcome = mastery_update_from_quiz(
            user=request.user,
            topic=topic,
            quiz_score=data["quiz_score"],
            question_count=data["question_count"],
            time_spent_min=data["time_spent_min"],
            difficulty_level=data.get("difficulty_level", topic.estimated_difficulty),
            completed_at=data.get("completed_at"),
        )
        return Response(MasteryUpdateOutputSerializer(outcome).data, status=201)
