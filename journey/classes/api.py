"""The classes API: a teacher's templates and classes under /api/teach/ (404 for anyone
without the role), a student's memberships and consent under /api/classes/. Thin views:
validate shape, call one service, render."""

from __future__ import annotations

from django.http import Http404
from django.utils import timezone
from drf_spectacular.utils import OpenApiResponse, extend_schema
from rest_framework import serializers, status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from accounts.audit import audit_record
from accounts.hygiene import HygieneSerializer
from accounts.models import AuditAction, is_teacher
from courses.models import AssessmentType, Difficulty
from courses.services import templates as template_services
from courses.template_models import (
    JOIN_CODE_LENGTH,
    ClassMembership,
    Classroom,
    CourseTemplate,
    TemplateAssessment,
    TemplateTopic,
)
from journey.classes import selectors
from journey.classes import services as class_services

ERROR_SCHEMA = {
    "type": "object",
    "properties": {"detail": {"type": "string"}},
    "additionalProperties": True,
}
ERROR_400 = OpenApiResponse(ERROR_SCHEMA, description="Invalid input, with field errors.")
ERROR_404 = OpenApiResponse(
    ERROR_SCHEMA, description="Not found: another user's object, or not a teacher."
)
AUTH_ERRORS = {
    401: OpenApiResponse(ERROR_SCHEMA, description="Not authenticated."),
    403: OpenApiResponse(ERROR_SCHEMA, description="Not allowed."),
}
OBJECT_ERRORS = {**AUTH_ERRORS, 404: ERROR_404}


# --- Serializers ------------------------------------------------------------------------------


class TemplateTopicOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    estimated_difficulty = serializers.CharField()
    prerequisite_ids = serializers.ListField(child=serializers.UUIDField())
    question_count = serializers.IntegerField()


class TemplateAssessmentOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    type = serializers.CharField()
    weight_percent = serializers.FloatField()
    due_date = serializers.DateTimeField()
    estimated_duration_min = serializers.IntegerField()
    topic_ids = serializers.SerializerMethodField()

    def get_topic_ids(self, assessment) -> list[str]:
        return [str(topic.pk) for topic in assessment.topics.all()]


class ClassroomOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    join_code = serializers.CharField()
    is_open = serializers.BooleanField()


class TemplateOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    code = serializers.CharField()
    instructor_name = serializers.CharField()
    description = serializers.CharField()
    start_date = serializers.DateField()
    end_date = serializers.DateField()
    version = serializers.IntegerField()
    topics = TemplateTopicOutput(many=True)
    assessments = TemplateAssessmentOutput(many=True)
    classrooms = ClassroomOutput(many=True)


class TemplateInput(HygieneSerializer):
    hygiene_model = CourseTemplate
    name = serializers.CharField(max_length=200)
    code = serializers.CharField(max_length=40)
    instructor_name = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    start_date = serializers.DateField()
    end_date = serializers.DateField()


class TemplateTopicInput(HygieneSerializer):
    hygiene_model = TemplateTopic
    name = serializers.CharField(max_length=200)
    description = serializers.CharField(max_length=5000, required=False, allow_blank=True)
    estimated_difficulty = serializers.ChoiceField(
        choices=Difficulty.choices, required=False, default=Difficulty.MEDIUM
    )
    prerequisite_ids = serializers.ListField(
        child=serializers.UUIDField(), required=False, max_length=200
    )


class QuestionBankInput(HygieneSerializer):
    quiz = serializers.JSONField(help_text="The quiz of docs/question_bank.md, with questions.")
    format_version = serializers.IntegerField(required=False, min_value=1, max_value=1)


class TemplateAssessmentInput(HygieneSerializer):
    hygiene_model = TemplateAssessment
    name = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=AssessmentType.choices)
    weight_percent = serializers.FloatField(min_value=0, max_value=100)
    due_date = serializers.DateTimeField()
    estimated_duration_min = serializers.IntegerField(
        min_value=1, max_value=24 * 60, required=False, default=60
    )
    topic_ids = serializers.ListField(child=serializers.UUIDField(), required=False, max_length=200)


class PublishInput(HygieneSerializer):
    name = serializers.CharField(max_length=200, required=False, allow_blank=True)


class MembershipOutput(serializers.Serializer):
    id = serializers.UUIDField()
    class_name = serializers.CharField(source="classroom.name")
    status = serializers.CharField()
    share_progress = serializers.BooleanField(source="has_consented")
    course_id = serializers.UUIDField(allow_null=True)
    joined_at = serializers.DateTimeField()
    left_at = serializers.DateTimeField(allow_null=True)
    has_update = serializers.SerializerMethodField()

    def get_has_update(self, membership) -> bool:
        return (
            membership.status == "joined"
            and membership.applied_version < membership.classroom.template.version
        )


class JoinInput(HygieneSerializer):
    join_code = serializers.CharField(max_length=JOIN_CODE_LENGTH * 2)
    share_progress = serializers.BooleanField()


class ConsentInput(HygieneSerializer):
    share_progress = serializers.BooleanField()


class TopicCellOutput(serializers.Serializer):
    topic_name = serializers.CharField()
    mastery = serializers.FloatField(allow_null=True)
    evidence_count = serializers.IntegerField()


class AdherenceOutput(serializers.Serializer):
    completed = serializers.IntegerField()
    skipped = serializers.IntegerField()
    missed = serializers.IntegerField()
    percent = serializers.IntegerField(allow_null=True)


class StudentRowOutput(serializers.Serializer):
    name = serializers.CharField()
    email = serializers.CharField()
    topics = TopicCellOutput(many=True)
    next_assessment_status = serializers.CharField()
    adherence = AdherenceOutput()


class DistributionOutput(serializers.Serializer):
    topic_name = serializers.CharField()
    student_count = serializers.IntegerField()
    bands = serializers.SerializerMethodField()

    def get_bands(self, distribution) -> dict[str, int] | None:
        return dict(distribution.bands) if distribution.bands is not None else None


class ClassProgressOutput(serializers.Serializer):
    student_count = serializers.IntegerField()
    min_group_size = serializers.IntegerField()
    students = StudentRowOutput(many=True, source="rows")
    distributions = DistributionOutput(many=True)
    at_risk_count = serializers.IntegerField(allow_null=True)
    adherence = AdherenceOutput(allow_null=True)


# --- Teacher views ----------------------------------------------------------------------------


class TeacherApiMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_teacher(request.user):
            raise Http404


def _templates(user):
    return CourseTemplate.objects.for_user(user).prefetch_related(
        "topics", "assessments__topics", "classrooms"
    )


def _template_data(template_id, user) -> dict:
    return TemplateOutput(_templates(user).get(pk=template_id)).data


class TemplateListCreateApi(TeacherApiMixin, APIView):
    @extend_schema(responses={200: TemplateOutput(many=True), **OBJECT_ERRORS})
    def get(self, request):
        return Response(TemplateOutput(_templates(request.user), many=True).data)

    @extend_schema(
        request=TemplateInput, responses={201: TemplateOutput, 400: ERROR_400, **OBJECT_ERRORS}
    )
    def post(self, request):
        serializer = TemplateInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        template = template_services.course_template_create(
            owner=request.user, **serializer.validated_data
        )
        return Response(_template_data(template.pk, request.user), status=status.HTTP_201_CREATED)


class TemplateDetailApi(TeacherApiMixin, APIView):
    @extend_schema(responses={200: TemplateOutput, **OBJECT_ERRORS})
    def get(self, request, template_id):
        return Response(
            TemplateOutput(get_object_or_404(_templates(request.user), pk=template_id)).data
        )

    @extend_schema(
        request=TemplateInput, responses={200: TemplateOutput, 400: ERROR_400, **OBJECT_ERRORS}
    )
    def patch(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        serializer = TemplateInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        template_services.course_template_update(template=template, **serializer.validated_data)
        return Response(_template_data(template.pk, request.user))


class TemplateTopicCreateApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateTopicInput,
        responses={201: TemplateTopicOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        serializer = TemplateTopicInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        topic = template_services.template_topic_create(
            template=template, **serializer.validated_data
        )
        return Response(TemplateTopicOutput(topic).data, status=status.HTTP_201_CREATED)


class TemplateTopicQuestionsApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=QuestionBankInput,
        responses={200: TemplateTopicOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def put(self, request, topic_id):
        topic = get_object_or_404(TemplateTopic.objects.for_user(request.user), pk=topic_id)
        serializer = QuestionBankInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        topic = class_services.template_topic_questions_set(
            topic=topic, document=dict(serializer.validated_data)
        )
        return Response(TemplateTopicOutput(topic).data)


class TemplateAssessmentCreateApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateAssessmentInput,
        responses={201: TemplateAssessmentOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        serializer = TemplateAssessmentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = template_services.template_assessment_create(
            template=template, **serializer.validated_data
        )
        return Response(TemplateAssessmentOutput(assessment).data, status=status.HTTP_201_CREATED)


class TemplateAssessmentDetailApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateAssessmentInput,
        responses={200: TemplateAssessmentOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def patch(self, request, assessment_id):
        assessment = get_object_or_404(
            TemplateAssessment.objects.for_user(request.user).select_related("template"),
            pk=assessment_id,
        )
        serializer = TemplateAssessmentInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        assessment = class_services.template_assessment_change(
            teacher=request.user, assessment=assessment, **serializer.validated_data
        )
        return Response(TemplateAssessmentOutput(assessment).data)


class TemplatePublishApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=PublishInput, responses={201: ClassroomOutput, 400: ERROR_400, **OBJECT_ERRORS}
    )
    def post(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        serializer = PublishInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        classroom = class_services.classroom_publish(
            teacher=request.user, template=template, name=serializer.validated_data.get("name", "")
        )
        return Response(ClassroomOutput(classroom).data, status=status.HTTP_201_CREATED)


class ClassProgressApi(TeacherApiMixin, APIView):
    @extend_schema(responses={200: ClassProgressOutput, **OBJECT_ERRORS})
    def get(self, request, class_id):
        classroom = get_object_or_404(
            Classroom.objects.for_teacher(request.user).select_related("template"), pk=class_id
        )
        progress = selectors.class_progress(classroom, now=timezone.now())
        audit_record(
            action=AuditAction.CLASS_PROGRESS_VIEWED,
            user=request.user,
            detail={"classroom_id": str(classroom.pk), "student_count": progress.student_count},
        )
        return Response(ClassProgressOutput(progress).data)


# --- Student views ----------------------------------------------------------------------------


def _memberships(user):
    return ClassMembership.objects.for_user(user).select_related("classroom__template")


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
        return Response(
            MembershipOutput(_memberships(request.user).get(pk=membership.pk)).data,
            status=status.HTTP_201_CREATED,
        )


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
        return Response(MembershipOutput(_memberships(request.user).get(pk=membership.pk)).data)


class MembershipLeaveApi(APIView):
    @extend_schema(request=None, responses={200: MembershipOutput, **OBJECT_ERRORS})
    def post(self, request, membership_id):
        membership = get_object_or_404(_memberships(request.user), pk=membership_id)
        template_services.class_membership_leave(membership=membership)
        return Response(MembershipOutput(_memberships(request.user).get(pk=membership.pk)).data)


class MembershipAcceptUpdateApi(APIView):
    @extend_schema(request=None, responses={200: MembershipOutput, 400: ERROR_400, **OBJECT_ERRORS})
    def post(self, request, membership_id):
        membership = get_object_or_404(_memberships(request.user), pk=membership_id)
        class_services.class_update_accept(student=request.user, membership=membership)
        return Response(MembershipOutput(_memberships(request.user).get(pk=membership.pk)).data)
