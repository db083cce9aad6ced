"""A teacher's course templates (/api/teach/templates): list, create, read, change, delete,
and publishing one as a class."""

from __future__ import annotations

from drf_spectacular.utils import extend_schema
from rest_framework import status
from rest_framework.generics import get_object_or_404
from rest_framework.response import Response
from rest_framework.views import APIView

from courses.services import templates as template_services
from courses.template_models import CourseTemplate
from journey.classes import services as class_services
from journey.classes.api.base import (
    ERROR_400,
    OBJECT_ERRORS,
    TeacherApiMixin,
    TeacherChildCreateApi,
    TeacherObjectApi,
)
from journey.classes.api.serializers import (
    ClassroomOutput,
    PublishInput,
    TemplateInput,
    TemplateOutput,
)


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


class TemplateDetailApi(TeacherObjectApi):
    model = CourseTemplate
    lookup_url_kwarg = "template_id"
    input_serializer = TemplateInput
    output_serializer = TemplateOutput
    delete_description = (
        "Never published: deleted with everything in it. Published: its classes "
        "close and every joined student's course stays theirs, unlinked."
    )

    @extend_schema(responses={200: TemplateOutput, **OBJECT_ERRORS})
    def get(self, request, template_id):
        return Response(
            TemplateOutput(get_object_or_404(_templates(request.user), pk=template_id)).data
        )

    def change(self, template, data):
        template_services.course_template_update(template=template, **data)
        return template

    def output_data(self, template):
        return _template_data(template.pk, self.request.user)

    def remove(self, template):
        class_services.template_remove(teacher=self.request.user, template=template)


class TemplatePublishApi(TeacherChildCreateApi):
    model = CourseTemplate
    lookup_url_kwarg = "template_id"
    input_serializer = PublishInput
    output_serializer = ClassroomOutput

    def create(self, template, data):
        return class_services.classroom_publish(
            teacher=self.request.user, template=template, name=data.get("name", "")
        )
