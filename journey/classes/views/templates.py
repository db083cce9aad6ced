"""The teacher's templates: the index with its create form, the template editor (its fields,
topics, assessments, publishing and classes) and deleting a template."""

from __future__ import annotations

from django.db.models import Count
from django.http import Http404
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views import View
from django.views.generic import TemplateView

from courses.services import templates as template_services
from courses.template_models import CourseTemplate
from journey.classes import services as class_services
from journey.classes.forms import (
    CourseTemplateForm,
    PublishForm,
    TemplateAssessmentForm,
    TemplateTopicForm,
)
from journey.classes.views.base import (
    BAD_INPUT_STATUS,
    TeacherConfirmDeleteView,
    TeacherObjectMixin,
    TeacherRequiredMixin,
    submit,
)


class TeachIndexView(TeacherRequiredMixin, TemplateView):
    template_name = "journey/classes/teach_index.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        context["templates"] = (
            CourseTemplate.objects.for_user(self.request.user)
            .annotate(topic_count=Count("topics", distinct=True))
            .prefetch_related("classrooms")
        )
        context["form"] = kwargs.get("form") or CourseTemplateForm()
        return context


class TemplateCreateView(TeacherRequiredMixin, View):
    def post(self, request):
        form = CourseTemplateForm(request.POST)
        template = submit(
            form,
            lambda data: template_services.course_template_create(owner=request.user, **data),
        )
        if template is not None:
            return redirect("classes:template_detail", pk=template.pk)
        context = TeachIndexView(request=request).get_context_data(form=form)
        return render(request, TeachIndexView.template_name, context, status=BAD_INPUT_STATUS)


class TemplateDetailView(TeacherObjectMixin, View):
    """The template editor: its fields, topics, assessments, publishing and its classes. Each
    form posts to its own action; a refused one re-renders here with its errors."""

    model = CourseTemplate
    page = "journey/classes/template_detail.html"

    def render_page(self, request, template, status=200, **forms_in_error):
        context = {
            "template": template,
            "topics": template.topics.prefetch_related("resources"),
            "assessments": template.assessments.prefetch_related("topics"),
            "classrooms": template.classrooms.all(),
            "problems": template_services.template_publish_problems(template),
            "template_form": forms_in_error.get("template_form")
            or CourseTemplateForm(
                initial={
                    field: getattr(template, field) for field in template_services.TEMPLATE_FIELDS
                }
            ),
            "topic_form": forms_in_error.get("topic_form") or TemplateTopicForm(template=template),
            "assessment_form": forms_in_error.get("assessment_form")
            or TemplateAssessmentForm(template=template),
            "publish_form": forms_in_error.get("publish_form") or PublishForm(),
        }
        return render(request, self.page, context, status=status)

    def get(self, request, pk):
        return self.render_page(request, self.get_object(request, pk))

    def post(self, request, pk):
        template = self.get_object(request, pk)
        action = request.POST.get("action")
        handlers = {
            "edit": (CourseTemplateForm, "template_form", self._edit),
            "add_topic": (TemplateTopicForm, "topic_form", self._add_topic),
            "add_assessment": (TemplateAssessmentForm, "assessment_form", self._add_assessment),
            "publish": (PublishForm, "publish_form", self._publish),
        }
        if action not in handlers:
            raise Http404
        form_class, form_name, handler = handlers[action]
        kwargs = {} if form_class in (CourseTemplateForm, PublishForm) else {"template": template}
        form = form_class(request.POST, **kwargs)
        target = submit(form, lambda data: handler(request, template, data))
        if target is not None:
            return redirect(target)
        return self.render_page(request, template, status=BAD_INPUT_STATUS, **{form_name: form})

    def _edit(self, request, template, data):
        template_services.course_template_update(template=template, **data)
        return reverse("classes:template_detail", args=[template.pk])

    def _add_topic(self, request, template, data):
        class_services.template_topic_add(teacher=request.user, template=template, **data)
        return reverse("classes:template_detail", args=[template.pk])

    def _add_assessment(self, request, template, data):
        class_services.template_assessment_add(teacher=request.user, template=template, **data)
        return reverse("classes:template_detail", args=[template.pk])

    def _publish(self, request, template, data):
        classroom = class_services.classroom_publish(
            teacher=request.user, template=template, name=data["name"]
        )
        return reverse("classes:class_progress", args=[classroom.pk])


class TemplateDeleteView(TeacherConfirmDeleteView):
    model = CourseTemplate
    kind = "template"
    done_message = "Template deleted."

    def template_of(self, obj):
        return obj

    def consequences(self, obj, student_count):
        if not obj.classrooms.exists():
            return ["It was never published: its topics, assessments and resources go with it."]
        return [
            "Its classes close: their join codes stop working.",
            f"The {student_count} student{'s' if student_count != 1 else ''} in them keep "
            "their course, no longer linked to the class: no more updates, and sharing ends. "
            "Their course page tells them the class ended.",
        ]

    def delete_object(self, request, obj):
        class_services.template_remove(teacher=request.user, template=obj)

    def after_delete_url(self, obj):
        return reverse("classes:teach")

    def cancel_url(self, obj):
        return reverse("classes:template_detail", args=[obj.pk])
