"""A topic's resources and question bank (/api/teach/topics/{id}/resources and /questions,
/api/teach/resources/{id})."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.response import Response

from courses.services import templates as template_services
from courses.template_models import TemplateResource, TemplateTopic
from journey.classes import services as class_services
from journey.classes.api.base import (
    ERROR_400,
    OBJECT_ERRORS,
    TeacherChildCreateApi,
    TeacherObjectApi,
    TeacherObjectLookupApi,
)
from journey.classes.api.serializers import (
    QuestionBankInput,
    TemplateResourceInput,
    TemplateResourceOutput,
    TemplateTopicOutput,
)


class TemplateTopicResourcesApi(TeacherChildCreateApi):
    model = TemplateTopic
    lookup_url_kwarg = "topic_id"
    related_fields = ("template",)
    prefetched_fields = ("resources",)
    input_serializer = TemplateResourceInput
    output_serializer = TemplateResourceOutput

    def create(self, topic, data):
        return class_services.template_resource_add(teacher=self.request.user, topic=topic, **data)


class TemplateResourceDetailApi(TeacherObjectApi):
    model = TemplateResource
    lookup_url_kwarg = "resource_id"
    related_fields = ("topic__template",)
    input_serializer = TemplateResourceInput
    output_serializer = TemplateResourceOutput

    def change(self, resource, data):
        return class_services.template_resource_change(
            teacher=self.request.user, resource=resource, **data
        )

    def remove(self, resource):
        class_services.template_resource_remove(teacher=self.request.user, resource=resource)


class TemplateTopicQuestionsApi(TeacherObjectLookupApi):
    model = TemplateTopic
    lookup_url_kwarg = "topic_id"

    @extend_schema(
        request=QuestionBankInput,
        responses={200: TemplateTopicOutput, 400: ERROR_400, **OBJECT_ERRORS},
    )
    def put(self, request, topic_id):
        topic = self.get_object()
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
        template_services.template_topic_questions_clear(topic=self.get_object())
        return Response(status=status.HTTP_204_NO_CONTENT)
