"""Input and output serializers of the classes API: the input ones check shape only (the
services hold the rules), the output ones are what the API answers."""

from __future__ import annotations

from rest_framework import serializers

from accounts.hygiene import HygieneSerializer
from courses.models import AssessmentType, Difficulty, ResourceType
from courses.template_models import (
    JOIN_CODE_LENGTH,
    CourseTemplate,
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)


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
