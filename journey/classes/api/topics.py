"""A template's topics and assessments (/api/teach/templates/{id}/topics and /assessments,
/api/teach/topics/{id}, /api/teach/assessments/{id})."""

from __future__ import annotations

from rest_framework.generics import get_object_or_404

from courses.services import templates as template_services
from courses.template_models import CourseTemplate, TemplateAssessment, TemplateTopic
from journey.classes import services as class_services
from journey.classes.api.base import TeacherChildCreateApi, TeacherObjectApi
from journey.classes.api.serializers import (
    TemplateAssessmentInput,
    TemplateAssessmentOutput,
    TemplateTopicInput,
    TemplateTopicOutput,
)


class TemplateTopicCreateApi(TeacherChildCreateApi):
    model = CourseTemplate
    lookup_url_kwarg = "template_id"
    input_serializer = TemplateTopicInput
    output_serializer = TemplateTopicOutput

    def create(self, template, data):
        return class_services.template_topic_add(
            teacher=self.request.user, template=template, **data
        )


class TemplateTopicDetailApi(TeacherObjectApi):
    model = TemplateTopic
    lookup_url_kwarg = "topic_id"
    related_fields = ("template",)
    prefetched_fields = ("resources",)
    input_serializer = TemplateTopicInput
    output_serializer = TemplateTopicOutput
    delete_description = "Students who joined keep their copy until they accept the update."

    def change(self, topic, data):
        return template_services.template_topic_update(topic=topic, **data)

    def output_data(self, topic):
        # Read again, with its resources, as the update left it.
        return super().output_data(get_object_or_404(self.get_queryset(), pk=topic.pk))

    def remove(self, topic):
        class_services.template_topic_remove(teacher=self.request.user, topic=topic)


class TemplateAssessmentCreateApi(TeacherChildCreateApi):
    model = CourseTemplate
    lookup_url_kwarg = "template_id"
    input_serializer = TemplateAssessmentInput
    output_serializer = TemplateAssessmentOutput

    def create(self, template, data):
        return class_services.template_assessment_add(
            teacher=self.request.user, template=template, **data
        )


class TemplateAssessmentDetailApi(TeacherObjectApi):
    model = TemplateAssessment
    lookup_url_kwarg = "assessment_id"
    related_fields = ("template",)
    input_serializer = TemplateAssessmentInput
    output_serializer = TemplateAssessmentOutput
    delete_description = (
        "Students who joined keep their copy until they accept the update; a "
        "copy that holds their grades is kept with them, unplanned."
    )

    def change(self, assessment, data):
        return class_services.template_assessment_change(
            teacher=self.request.user, assessment=assessment, **data
        )

    def remove(self, assessment):
        class_services.template_assessment_remove(teacher=self.request.user, assessment=assessment)
