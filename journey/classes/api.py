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
from courses.models import AssessmentType, Difficulty, ResourceType
from courses.services import templates as template_services
from courses.template_models import (
    JOIN_CODE_LENGTH,
    ClassMembership,
    Classroom,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from journey.classes import selectors, updates
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


class TemplateResourceOutput(serializers.Serializer):
    id = serializers.UUIDField()
    topic_id = serializers.UUIDField()
    title = serializers.CharField()
    type = serializers.ChoiceField(choices=ResourceType.choices)
    url = serializers.CharField()
    notes = serializers.CharField()


class TemplateTopicOutput(serializers.Serializer):
    id = serializers.UUIDField()
    name = serializers.CharField()
    description = serializers.CharField()
    estimated_difficulty = serializers.CharField()
    prerequisite_ids = serializers.ListField(child=serializers.UUIDField())
    question_count = serializers.IntegerField()
    resources = TemplateResourceOutput(many=True)


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


class TemplateResourceInput(HygieneSerializer):
    hygiene_model = TemplateResource
    title = serializers.CharField(max_length=200)
    type = serializers.ChoiceField(choices=ResourceType.choices)
    url = serializers.CharField(max_length=2000, help_text="An http(s) address.")
    notes = serializers.CharField(max_length=5000, required=False, allow_blank=True)


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
    status = serializers.ChoiceField(
        choices=MembershipStatus.choices,
        help_text="closed: the teacher deleted the class; the course stays, unlinked.",
    )
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


class OfferAssessmentOutput(serializers.Serializer):
    name = serializers.CharField()
    weight_percent = serializers.FloatField()
    due_date = serializers.DateTimeField()


class OfferChangedAssessmentOutput(serializers.Serializer):
    assessment_id = serializers.UUIDField(source="assessment.pk")
    name = serializers.CharField(source="assessment.name")
    weight_percent = serializers.FloatField(source="assessment.weight_percent")
    due_date = serializers.DateTimeField(source="assessment.due_date")
    new_weight_percent = serializers.FloatField(source="template_assessment.weight_percent")
    new_due_date = serializers.DateTimeField(source="template_assessment.due_date")


class OfferRemovedAssessmentOutput(serializers.Serializer):
    assessment_id = serializers.UUIDField(source="assessment.pk")
    name = serializers.CharField(source="assessment.name")
    is_kept_for_grades = serializers.BooleanField(source="has_grades")


class OfferRemovedTopicOutput(serializers.Serializer):
    topic_id = serializers.UUIDField(source="topic.pk")
    name = serializers.CharField(source="topic.name")
    is_kept_for_evidence = serializers.BooleanField(source="has_evidence")


class OfferResourceOutput(serializers.Serializer):
    topic_id = serializers.UUIDField(source="topic.pk")
    title = serializers.CharField(source="resource.title")
    type = serializers.CharField(source="resource.type")
    url = serializers.CharField(source="resource.url")
    notes = serializers.CharField(source="resource.notes")


class OfferRemovedResourceOutput(serializers.Serializer):
    topic_id = serializers.UUIDField(source="topic.pk")
    link = serializers.DictField(child=serializers.CharField())


class UpdateOfferOutput(serializers.Serializer):
    has_update = serializers.BooleanField()
    added_topics = serializers.ListField(child=serializers.CharField())
    removed_topics = OfferRemovedTopicOutput(many=True)
    added_assessments = OfferAssessmentOutput(many=True)
    changed_assessments = OfferChangedAssessmentOutput(many=True)
    removed_assessments = OfferRemovedAssessmentOutput(many=True)
    added_resources = OfferResourceOutput(many=True)
    changed_resources = OfferResourceOutput(many=True)
    removed_resources = OfferRemovedResourceOutput(many=True)


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


# --- Teacher views ----------------------------------------------------------------------------


class TeacherApiMixin:
    def initial(self, request, *args, **kwargs):
        super().initial(request, *args, **kwargs)
        if not is_teacher(request.user):
            raise Http404


def _templates(user):
    return CourseTemplate.objects.for_user(user).prefetch_related(
        "topics__resources", "assessments__topics", "classrooms"
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

    @extend_schema(
        responses={204: None, **OBJECT_ERRORS},
        description="Never published: deleted with everything in it. Published: its classes "
        "close and every joined student's course stays theirs, unlinked.",
    )
    def delete(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        class_services.template_remove(teacher=request.user, template=template)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateTopicCreateApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateTopicInput,
        responses={201: TemplateTopicOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        serializer = TemplateTopicInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        topic = class_services.template_topic_add(
            teacher=request.user, template=template, **serializer.validated_data
        )
        return Response(TemplateTopicOutput(topic).data, status=status.HTTP_201_CREATED)


def _topic_for(user, topic_id) -> TemplateTopic:
    return get_object_or_404(
        TemplateTopic.objects.for_user(user)
        .select_related("template")
        .prefetch_related("resources"),
        pk=topic_id,
    )


class TemplateTopicDetailApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateTopicInput,
        responses={200: TemplateTopicOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def patch(self, request, topic_id):
        topic = _topic_for(request.user, topic_id)
        serializer = TemplateTopicInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        topic = template_services.template_topic_update(topic=topic, **serializer.validated_data)
        return Response(TemplateTopicOutput(_topic_for(request.user, topic.pk)).data)

    @extend_schema(
        responses={204: None, **OBJECT_ERRORS},
        description="Students who joined keep their copy until they accept the update.",
    )
    def delete(self, request, topic_id):
        class_services.template_topic_remove(
            teacher=request.user, topic=_topic_for(request.user, topic_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateTopicResourcesApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateResourceInput,
        responses={201: TemplateResourceOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, topic_id):
        topic = _topic_for(request.user, topic_id)
        serializer = TemplateResourceInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        resource = class_services.template_resource_add(
            teacher=request.user, topic=topic, **serializer.validated_data
        )
        return Response(TemplateResourceOutput(resource).data, status=status.HTTP_201_CREATED)


class TemplateResourceDetailApi(TeacherApiMixin, APIView):
    def get_resource(self, request, resource_id) -> TemplateResource:
        return get_object_or_404(
            TemplateResource.objects.for_user(request.user).select_related("topic__template"),
            pk=resource_id,
        )

    @extend_schema(
        request=TemplateResourceInput,
        responses={200: TemplateResourceOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def patch(self, request, resource_id):
        resource = self.get_resource(request, resource_id)
        serializer = TemplateResourceInput(data=request.data, partial=True)
        serializer.is_valid(raise_exception=True)
        resource = class_services.template_resource_change(
            teacher=request.user, resource=resource, **serializer.validated_data
        )
        return Response(TemplateResourceOutput(resource).data)

    @extend_schema(responses={204: None, **OBJECT_ERRORS})
    def delete(self, request, resource_id):
        class_services.template_resource_remove(
            teacher=request.user, resource=self.get_resource(request, resource_id)
        )
        return Response(status=status.HTTP_204_NO_CONTENT)


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

    @extend_schema(
        responses={204: None, **OBJECT_ERRORS},
        description="Empties the bank; students keep the questions they already got.",
    )
    def delete(self, request, topic_id):
        topic = get_object_or_404(TemplateTopic.objects.for_user(request.user), pk=topic_id)
        template_services.template_topic_questions_clear(topic=topic)
        return Response(status=status.HTTP_204_NO_CONTENT)


class TemplateAssessmentCreateApi(TeacherApiMixin, APIView):
    @extend_schema(
        request=TemplateAssessmentInput,
        responses={201: TemplateAssessmentOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def post(self, request, template_id):
        template = get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=template_id)
        serializer = TemplateAssessmentInput(data=request.data)
        serializer.is_valid(raise_exception=True)
        assessment = class_services.template_assessment_add(
            teacher=request.user, template=template, **serializer.validated_data
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

    @extend_schema(
        responses={204: None, **OBJECT_ERRORS},
        description="Students who joined keep their copy until they accept the update; a "
        "copy that holds their grades is kept with them, unplanned.",
    )
    def delete(self, request, assessment_id):
        assessment = get_object_or_404(
            TemplateAssessment.objects.for_user(request.user).select_related("template"),
            pk=assessment_id,
        )
        class_services.template_assessment_remove(teacher=request.user, assessment=assessment)
        return Response(status=status.HTTP_204_NO_CONTENT)


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
        return Response(MembershipOutput(_memberships(request.user).get(pk=membership.pk)).data)
