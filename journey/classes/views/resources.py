"""A topic's resources (edit, delete) and emptying its question bank; resources are added
and the bank is filled from the topic's page (`topics`)."""

from __future__ import annotations

from django.contrib import messages
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View

from courses.services import templates as template_services
from courses.template_models import TemplateResource, TemplateTopic
from journey.classes import services as class_services
from journey.classes.forms import TemplateResourceForm
from journey.classes.views.base import (
    BAD_INPUT_STATUS,
    STUDENTS_OFFERED,
    TeacherConfirmDeleteView,
    TeacherObjectMixin,
    submit,
)


class TemplateResourceEditView(TeacherObjectMixin, View):
    model = TemplateResource
    related_fields = ("topic__template",)
    page = "journey/classes/resource_edit.html"

    def get(self, request, pk):
        resource = self.get_object(request, pk)
        form = TemplateResourceForm(
            initial={field: getattr(resource, field) for field in ("title", "type", "url", "notes")}
        )
        return render(request, self.page, {"resource": resource, "form": form})

    def post(self, request, pk):
        resource = self.get_object(request, pk)
        form = TemplateResourceForm(request.POST)
        changed = submit(
            form,
            lambda data: class_services.template_resource_change(
                teacher=request.user, resource=resource, **data
            ),
        )
        if changed is not None:
            messages.success(request, "Resource saved.")
            return redirect("classes:topic_edit", pk=resource.topic_id)
        return render(
            request, self.page, {"resource": resource, "form": form}, status=BAD_INPUT_STATUS
        )


class TemplateResourceDeleteView(TeacherConfirmDeleteView):
    model = TemplateResource
    related_fields = ("topic__template",)
    kind = "resource"
    done_message = "Resource deleted."

    def template_of(self, obj):
        return obj.topic.template

    def consequences(self, obj, student_count):
        return [STUDENTS_OFFERED]

    def delete_object(self, request, obj):
        class_services.template_resource_remove(teacher=request.user, resource=obj)

    def after_delete_url(self, obj):
        return reverse("classes:topic_edit", args=[obj.topic_id])


class TemplateQuestionsDeleteView(TeacherConfirmDeleteView):
    model = TemplateTopic
    related_fields = ("template",)
    kind = "question bank"
    done_message = "Question bank emptied."

    def consequences(self, obj, student_count):
        return [
            f"Its {obj.question_count} question{'s' if obj.question_count != 1 else ''} are "
            "removed from the template. Students who joined keep the questions they got: "
            "they are part of their own bank, with their answers."
        ]

    def delete_object(self, request, obj):
        template_services.template_topic_questions_clear(topic=obj)

    def after_delete_url(self, obj):
        return reverse("classes:topic_edit", args=[obj.pk])
