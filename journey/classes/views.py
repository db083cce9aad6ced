"""Teacher pages (/teach/, 404 for anyone without the staff-approved role) and the student's
class pages (/classes/). Views are thin: reads from the selectors, writes from services."""

from __future__ import annotations

import json

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.db.models import Count
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.views import View
from django.views.generic import TemplateView

from accounts.audit import audit_record
from accounts.errors import ApplicationError
from accounts.models import AuditAction, is_teacher
from courses.services import templates as template_services
from courses.template_models import (
    ClassMembership,
    Classroom,
    CourseTemplate,
    TemplateAssessment,
    TemplateTopic,
)
from journey.classes import selectors
from journey.classes import services as class_services
from journey.classes.forms import (
    ConsentDecision,
    ConsentForm,
    CourseTemplateForm,
    JoinForm,
    PublishForm,
    QuestionBankForm,
    TemplateAssessmentForm,
    TemplateTopicForm,
)
from journey.forms import add_service_error

BAD_INPUT_STATUS = 400


class TeacherRequiredMixin(LoginRequiredMixin):
    """Teacher pages do not exist for anyone else: a 404, not a 403, so the role is not
    advertised."""

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not is_teacher(request.user):
            raise Http404
        return super().dispatch(request, *args, **kwargs)


def _template_for(request, pk) -> CourseTemplate:
    return get_object_or_404(CourseTemplate.objects.for_user(request.user), pk=pk)


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
        if form.is_valid():
            try:
                template = template_services.course_template_create(
                    owner=request.user, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                return redirect("classes:template_detail", pk=template.pk)
        context = TeachIndexView(request=request).get_context_data(form=form)
        return render(request, TeachIndexView.template_name, context, status=BAD_INPUT_STATUS)


class TemplateDetailView(TeacherRequiredMixin, View):
    """The template editor: its fields, topics, assessments, publishing and its classes. Each
    form posts to its own action; a refused one re-renders here with its errors."""

    page = "journey/classes/template_detail.html"

    def render_page(self, request, template, status=200, **forms_in_error):
        context = {
            "template": template,
            "topics": template.topics.all(),
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
        return self.render_page(request, _template_for(request, pk))

    def post(self, request, pk):
        template = _template_for(request, pk)
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
        if form.is_valid():
            try:
                target = handler(request, template, form.cleaned_data)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                return redirect(target)
        return self.render_page(request, template, status=BAD_INPUT_STATUS, **{form_name: form})

    def _edit(self, request, template, data):
        template_services.course_template_update(template=template, **data)
        return reverse("classes:template_detail", args=[template.pk])

    def _add_topic(self, request, template, data):
        template_services.template_topic_create(template=template, **data)
        return reverse("classes:template_detail", args=[template.pk])

    def _add_assessment(self, request, template, data):
        template_services.template_assessment_create(template=template, **data)
        return reverse("classes:template_detail", args=[template.pk])

    def _publish(self, request, template, data):
        classroom = class_services.classroom_publish(
            teacher=request.user, template=template, name=data["name"]
        )
        return reverse("classes:class_progress", args=[classroom.pk])


class TemplateTopicEditView(TeacherRequiredMixin, View):
    page = "journey/classes/topic_edit.html"

    def render_page(self, request, topic, status=200, topic_form=None, bank_form=None):
        return render(
            request,
            self.page,
            {
                "topic": topic,
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

    def get_topic(self, request, pk) -> TemplateTopic:
        return get_object_or_404(
            TemplateTopic.objects.for_user(request.user).select_related("template"), pk=pk
        )

    def get(self, request, pk):
        return self.render_page(request, self.get_topic(request, pk))

    def post(self, request, pk):
        topic = self.get_topic(request, pk)
        if request.POST.get("action") == "questions":
            form = QuestionBankForm(request.POST)
            if form.is_valid():
                try:
                    class_services.template_topic_questions_set(
                        topic=topic, document=form.cleaned_data["document"]
                    )
                except ApplicationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, f"Saved {topic.question_count} questions.")
                    return redirect("classes:template_detail", pk=topic.template_id)
            return self.render_page(request, topic, status=BAD_INPUT_STATUS, bank_form=form)
        form = TemplateTopicForm(request.POST, template=topic.template, exclude_topic=topic)
        if form.is_valid():
            try:
                template_services.template_topic_update(topic=topic, **form.cleaned_data)
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                return redirect("classes:template_detail", pk=topic.template_id)
        return self.render_page(request, topic, status=BAD_INPUT_STATUS, topic_form=form)


class TemplateAssessmentEditView(TeacherRequiredMixin, View):
    page = "journey/classes/assessment_edit.html"

    def get_assessment(self, request, pk) -> TemplateAssessment:
        return get_object_or_404(
            TemplateAssessment.objects.for_user(request.user).select_related("template"), pk=pk
        )

    def get(self, request, pk):
        assessment = self.get_assessment(request, pk)
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
        assessment = self.get_assessment(request, pk)
        form = TemplateAssessmentForm(request.POST, template=assessment.template)
        if form.is_valid():
            try:
                class_services.template_assessment_change(
                    teacher=request.user, assessment=assessment, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                return redirect("classes:template_detail", pk=assessment.template_id)
        return render(
            request,
            self.page,
            {"assessment": assessment, "form": form},
            status=BAD_INPUT_STATUS,
        )


class ClassProgressView(TeacherRequiredMixin, TemplateView):
    template_name = "journey/classes/class_progress.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        classroom = get_object_or_404(
            Classroom.objects.for_teacher(self.request.user).select_related("template"),
            pk=kwargs["pk"],
        )
        progress = selectors.class_progress(classroom, now=timezone.now())
        # Every look at class data is in the trail: who, which class, how many students.
        audit_record(
            action=AuditAction.CLASS_PROGRESS_VIEWED,
            user=self.request.user,
            detail={"classroom_id": str(classroom.pk), "student_count": progress.student_count},
        )
        context["progress"] = progress
        context["join_url"] = self.request.build_absolute_uri(
            reverse("classes:join_code", args=[classroom.join_code])
        )
        return context


# --- The student's side ---------------------------------------------------------------------


def _membership_for(request, pk) -> ClassMembership:
    return get_object_or_404(
        ClassMembership.objects.for_user(request.user).select_related("classroom__template"),
        pk=pk,
    )


class ClassListView(LoginRequiredMixin, TemplateView):
    template_name = "journey/classes/class_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        now = timezone.now()
        memberships = list(
            ClassMembership.objects.for_user(self.request.user)
            .select_related("classroom__template", "course", "student")
            .prefetch_related("classroom__template__topics", "classroom__template__assessments")
            .order_by("-joined_at")
        )
        shared = selectors.shared_rows(memberships, now=now)
        changes = class_services.pending_update_changes(memberships)
        context["entries"] = [
            {
                "membership": membership,
                "shared_row": shared.get(membership.pk),
                "changes": changes.get(membership.pk, []),
                "topic_names": [t.name for t in membership.classroom.template.topics.all()],
            }
            for membership in memberships
        ]
        context["join_form"] = JoinForm()
        context["is_teacher"] = is_teacher(self.request.user)
        return context


class JoinView(LoginRequiredMixin, View):
    """Enter a code; it leads to the consent screen of the class it opens."""

    def get(self, request):
        return render(request, "journey/classes/join.html", {"form": JoinForm()})

    def post(self, request):
        form = JoinForm(request.POST)
        if form.is_valid():
            code = form.cleaned_data["join_code"].strip().upper()
            if Classroom.objects.filter(join_code=code, is_open=True).exists():
                return redirect("classes:join_code", code=code)
            form.add_error("join_code", "No open class has this code.")
        return render(request, "journey/classes/join.html", {"form": form}, status=400)


class JoinConsentView(LoginRequiredMixin, View):
    """What the teacher will see, before anything is shared: the same row as the teacher's
    page, filled with what it would show right after joining."""

    page = "journey/classes/join_consent.html"

    def get_classroom(self, code) -> Classroom:
        return get_object_or_404(
            Classroom.objects.select_related("template__owner"),
            join_code=code.strip().upper(),
            is_open=True,
        )

    def render_page(self, request, classroom, form, status=200):
        preview = selectors.consent_preview(
            student=request.user, classroom=classroom, now=timezone.now()
        )
        context = {
            "classroom": classroom,
            "preview": preview,
            "topic_names": [cell.topic_name for cell in preview.topics],
            "form": form,
        }
        return render(request, self.page, context, status=status)

    def get(self, request, code):
        return self.render_page(request, self.get_classroom(code), ConsentForm())

    def post(self, request, code):
        classroom = self.get_classroom(code)
        form = ConsentForm(request.POST)
        if form.is_valid():
            try:
                class_services.class_join(
                    student=request.user,
                    join_code=classroom.join_code,
                    has_consented=form.has_consented,
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, f"You joined {classroom.name}.")
                return redirect("classes:list")
        return self.render_page(request, classroom, form, status=BAD_INPUT_STATUS)


class MembershipConsentView(LoginRequiredMixin, View):
    def post(self, request, pk):
        membership = _membership_for(request, pk)
        form = ConsentForm(request.POST)
        if not form.is_valid():
            messages.error(request, "Choose whether to share your progress.")
            return redirect("classes:list")
        try:
            template_services.class_membership_consent_set(
                membership=membership,
                has_consented=form.cleaned_data["decision"] == ConsentDecision.SHARE,
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        return redirect("classes:list")


class MembershipLeaveView(LoginRequiredMixin, View):
    def post(self, request, pk):
        template_services.class_membership_leave(membership=_membership_for(request, pk))
        messages.success(request, "You left the class; the course stays in your account.")
        return redirect("classes:list")


class MembershipUpdateAcceptView(LoginRequiredMixin, View):
    def post(self, request, pk):
        try:
            class_services.class_update_accept(
                student=request.user, membership=_membership_for(request, pk)
            )
        except ApplicationError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, "Your course now has the class's dates and weights.")
        return redirect("classes:list")
