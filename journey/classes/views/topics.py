"""A template's topics (with their resources and question bank forms) and its assessments:
editing and deleting each."""

from __future__ import annotations

import json

from django.contrib import messages
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views import View

from courses.services import templates as template_services
from courses.template_models import TemplateAssessment, TemplateTopic
from journey.classes import services as class_services
from journey.classes.forms import (
    QuestionBankForm,
    TemplateAssessmentForm,
    TemplateResourceForm,
    TemplateTopicForm,
)
from journey.classes.views.base import (
    BAD_INPUT_STATUS,
    STUDENTS_OFFERED,
    TeacherConfirmDeleteView,
    TeacherObjectMixin,
    submit,
)


class TemplateTopicEditView(TeacherObjectMixin, View):
    model = TemplateTopic
    related_fields = ("template",)
    page = "journey/classes/topic_edit.html"

    def render_page(
        self, request, topic, status=200, topic_form=None, bank_form=None, resource_form=None
    ):
        return render(
            request,
            self.page,
            {
                "topic": topic,
                "resources": topic.resources.all(),
                "resource_form": resource_form or TemplateResourceForm(),
                "topic_form": topic_form
                or TemplateTopicForm(
                    template=topic.template,
                    exclude_topic=topic,
                    initial={
                        "name": topic.name,
                        "description": topic.description,
                        "estimated_difficulty": topic.estimated_difficulty,
                        "prerequisite_ids": topic.prerequisite_ids,
                    },
                ),
                "bank_form": bank_form
                or QuestionBankForm(
                    initial={
                        "document": json.dumps(topic.questions, indent=2) if topic.questions else ""
                    }
                ),
            },
            status=status,
        )

    def get(self, request, pk):
        return self.render_page(request, self.get_object(request, pk))

    def post(self, request, pk):
        topic = self.get_object(request, pk)
        if request.POST.get("action") == "add_resource":
            form = TemplateResourceForm(request.POST)
            resource = submit(
                form,
                lambda data: class_services.template_resource_add(
                    teacher=request.user, topic=topic, **data
                ),
            )
            if resource is not None:
                messages.success(request, "Resource added.")
                return redirect("classes:topic_edit", pk=topic.pk)
            return self.render_page(request, topic, status=BAD_INPUT_STATUS, resource_form=form)
        if request.POST.get("action") == "questions":
            form = QuestionBankForm(request.POST)
            saved_topic = submit(
                form,
                lambda data: class_services.template_topic_questions_set(
                    topic=topic, document=data["document"]
                ),
            )
            if saved_topic is not None:
                messages.success(request, f"Saved {saved_topic.question_count} questions.")
                return redirect("classes:template_detail", pk=topic.template_id)
            return self.render_page(request, topic, status=BAD_INPUT_STATUS, bank_form=form)
        form = TemplateTopicForm(request.POST, template=topic.template, exclude_topic=topic)
        updated = submit(
            form, lambda data: template_services.template_topic_update(topic=topic, **data)
        )
        if updated is not None:
            return redirect("classes:template_detail", pk=topic.template_id)
        return self.render_page(request, topic, status=BAD_INPUT_STATUS, topic_form=form)


class TemplateTopicDeleteView(TeacherConfirmDeleteView):
    model = TemplateTopic
    related_fields = ("template",)
    kind = "topic"
    done_message = "Topic deleted."

    def consequences(self, obj, student_count):
        return [
            "Its resources and question bank go with it, and it leaves the other topics' "
            "prerequisites and the assessments' topics.",
            STUDENTS_OFFERED
            + " A student's copy that holds their practice evidence stays in their course.",
        ]

    def delete_object(self, request, obj):
        class_services.template_topic_remove(teacher=request.user, topic=obj)


class TemplateAssessmentEditView(TeacherObjectMixin, View):
    model = TemplateAssessment
    related_fields = ("template",)
    page = "journey/classes/assessment_edit.html"

    def get(self, request, pk):
        assessment = self.get_object(request, pk)
        form = TemplateAssessmentForm(
            template=assessment.template,
            initial={
                "name": assessment.name,
                "type": assessment.type,
                "weight_percent": assessment.weight_percent,
                "due_date": timezone.localtime(assessment.due_date),
                "estimated_duration_min": assessment.estimated_duration_min,
                "topic_ids": [str(t.pk) for t in assessment.topics.all()],
            },
        )
        return render(request, self.page, {"assessment": assessment, "form": form})

    def post(self, request, pk):
        assessment = self.get_object(request, pk)
        form = TemplateAssessmentForm(request.POST, template=assessment.template)
        changed = submit(
            form,
            lambda data: class_services.template_assessment_change(
                teacher=request.user, assessment=assessment, **data
            ),
        )
        if changed is not None:
            return redirect("classes:template_detail", pk=assessment.template_id)
        return render(
            request,
            self.page,
            {"assessment": assessment, "form": form},
            status=BAD_INPUT_STATUS,
        )


class TemplateAssessmentDeleteView(TeacherConfirmDeleteView):
    model = TemplateAssessment
    related_fields = ("template",)
    kind = "assessment"
    done_message = "Assessment deleted."

    def consequences(self, obj, student_count):
        return [
            "Its weight is freed; publishing again needs the weights to total 100%.",
            STUDENTS_OFFERED
            + " A student's copy that holds their grades stays, with its grades, unplanned.",
        ]

    def delete_object(self, request, obj):
        class_services.template_assessment_remove(teacher=request.user, assessment=obj)
