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
    MembershipStatus,
    TemplateAssessment,
    TemplateResource,
    TemplateTopic,
)
from journey.classes import selectors, updates
from journey.classes import services as class_services
from journey.classes.forms import (
    ConsentDecision,
    ConsentForm,
    CourseTemplateForm,
    JoinForm,
    PublishForm,
    QuestionBankForm,
    TemplateAssessmentForm,
    TemplateResourceForm,
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


class TemplateTopicEditView(TeacherRequiredMixin, View):
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

    def get_topic(self, request, pk) -> TemplateTopic:
        return get_object_or_404(
            TemplateTopic.objects.for_user(request.user).select_related("template"), pk=pk
        )

    def get(self, request, pk):
        return self.render_page(request, self.get_topic(request, pk))

    def post(self, request, pk):
        topic = self.get_topic(request, pk)
        if request.POST.get("action") == "add_resource":
            form = TemplateResourceForm(request.POST)
            if form.is_valid():
                try:
                    class_services.template_resource_add(
                        teacher=request.user, topic=topic, **form.cleaned_data
                    )
                except ApplicationError as exc:
                    add_service_error(form, exc)
                else:
                    messages.success(request, "Resource added.")
                    return redirect("classes:topic_edit", pk=topic.pk)
            return self.render_page(request, topic, status=BAD_INPUT_STATUS, resource_form=form)
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


class TemplateResourceEditView(TeacherRequiredMixin, View):
    page = "journey/classes/resource_edit.html"

    def get_resource(self, request, pk) -> TemplateResource:
        return get_object_or_404(
            TemplateResource.objects.for_user(request.user).select_related("topic__template"),
            pk=pk,
        )

    def get(self, request, pk):
        resource = self.get_resource(request, pk)
        form = TemplateResourceForm(
            initial={field: getattr(resource, field) for field in ("title", "type", "url", "notes")}
        )
        return render(request, self.page, {"resource": resource, "form": form})

    def post(self, request, pk):
        resource = self.get_resource(request, pk)
        form = TemplateResourceForm(request.POST)
        if form.is_valid():
            try:
                class_services.template_resource_change(
                    teacher=request.user, resource=resource, **form.cleaned_data
                )
            except ApplicationError as exc:
                add_service_error(form, exc)
            else:
                messages.success(request, "Resource saved.")
                return redirect("classes:topic_edit", pk=resource.topic_id)
        return render(
            request, self.page, {"resource": resource, "form": form}, status=BAD_INPUT_STATUS
        )


class _TeacherConfirmDeleteView(TeacherRequiredMixin, View):
    """A confirmation page on GET that says what deleting does to the students who joined;
    the delete service on POST. The object is the teacher's own, or a 404."""

    page = "journey/classes/confirm_delete.html"
    kind = ""
    done_message = ""

    def get_object(self, request, pk):
        raise Http404  # every subclass names how to fetch its object

    def template_of(self, obj) -> CourseTemplate:
        return obj.template

    def consequences(self, obj, student_count: int) -> list[str]:
        return []

    def delete(self, request, obj) -> None:
        raise NotImplementedError

    def after_delete_url(self, obj) -> str:
        return reverse("classes:template_detail", args=[self.template_of(obj).pk])

    def get(self, request, pk):
        obj = self.get_object(request, pk)
        template = self.template_of(obj)
        student_count = ClassMembership.objects.filter(
            classroom__template=template, status=MembershipStatus.JOINED
        ).count()
        context = {
            "object": obj,
            "kind": self.kind,
            "template": template,
            "student_count": student_count,
            "consequences": self.consequences(obj, student_count),
            "cancel_url": self.after_delete_url(obj)
            if self.kind != "template"
            else reverse("classes:template_detail", args=[template.pk]),
        }
        return render(request, self.page, context)

    def post(self, request, pk):
        obj = self.get_object(request, pk)
        target = self.after_delete_url(obj)
        self.delete(request, obj)
        messages.success(request, self.done_message)
        return redirect(target)


STUDENTS_OFFERED = (
    "Students who joined keep their copy until they accept the update that removes it."
)


class TemplateDeleteView(_TeacherConfirmDeleteView):
    kind = "template"
    done_message = "Template deleted."

    def get_object(self, request, pk):
        return _template_for(request, pk)

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

    def delete(self, request, obj):
        class_services.template_remove(teacher=request.user, template=obj)

    def after_delete_url(self, obj):
        return reverse("classes:teach")


class TemplateTopicDeleteView(_TeacherConfirmDeleteView):
    kind = "topic"
    done_message = "Topic deleted."

    def get_object(self, request, pk):
        return get_object_or_404(
            TemplateTopic.objects.for_user(request.user).select_related("template"), pk=pk
        )

    def consequences(self, obj, student_count):
        return [
            "Its resources and question bank go with it, and it leaves the other topics' "
            "prerequisites and the assessments' topics.",
            STUDENTS_OFFERED
            + " A student's copy that holds their practice evidence stays in their course.",
        ]

    def delete(self, request, obj):
        class_services.template_topic_remove(teacher=request.user, topic=obj)


class TemplateAssessmentDeleteView(_TeacherConfirmDeleteView):
    kind = "assessment"
    done_message = "Assessment deleted."

    def get_object(self, request, pk):
        return get_object_or_404(
            TemplateAssessment.objects.for_user(request.user).select_related("template"), pk=pk
        )

    def consequences(self, obj, student_count):
        return [
            "Its weight is freed; publishing again needs the weights to total 100%.",
            STUDENTS_OFFERED
            + " A student's copy that holds their grades stays, with its grades, unplanned.",
        ]

    def delete(self, request, obj):
        class_services.template_assessment_remove(teacher=request.user, assessment=obj)


class TemplateResourceDeleteView(_TeacherConfirmDeleteView):
    kind = "resource"
    done_message = "Resource deleted."

    def get_object(self, request, pk):
        return get_object_or_404(
            TemplateResource.objects.for_user(request.user).select_related("topic__template"),
            pk=pk,
        )

    def template_of(self, obj):
        return obj.topic.template

    def consequences(self, obj, student_count):
        return [STUDENTS_OFFERED]

    def delete(self, request, obj):
        class_services.template_resource_remove(teacher=request.user, resource=obj)

    def after_delete_url(self, obj):
        return reverse("classes:topic_edit", args=[obj.topic_id])


class TemplateQuestionsDeleteView(_TeacherConfirmDeleteView):
    kind = "question bank"
    done_message = "Question bank emptied."

    def get_object(self, request, pk):
        return get_object_or_404(
            TemplateTopic.objects.for_user(request.user).select_related("template"), pk=pk
        )

    def consequences(self, obj, student_count):
        return [
            f"Its {obj.question_count} question{'s' if obj.question_count != 1 else ''} are "
            "removed from the template. Students who joined keep the questions they got: "
            "they are part of their own bank, with their answers."
        ]

    def delete(self, request, obj):
        template_services.template_topic_questions_clear(topic=obj)

    def after_delete_url(self, obj):
        return reverse("classes:topic_edit", args=[obj.pk])


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
            .prefetch_related(
                "classroom__template__topics__resources",
                "classroom__template__assessments__topics",
            )
            .order_by("-joined_at")
        )
        shared = selectors.shared_rows(memberships, now=now)
        offers = updates.update_offers(memberships)
        context["entries"] = [
            {
                "membership": membership,
                "shared_row": shared.get(membership.pk),
                "offer": offers.get(membership.pk),
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


class MembershipUpdateView(LoginRequiredMixin, View):
    """The update offer: everything accepting would add, change and remove in the student's
    course, and what of theirs is kept."""

    def get(self, request, pk):
        membership = get_object_or_404(
            ClassMembership.objects.for_user(request.user)
            .select_related("classroom__template", "course")
            .prefetch_related(
                "classroom__template__topics__resources",
                "classroom__template__assessments__topics",
            ),
            pk=pk,
        )
        offer = updates.update_offers([membership]).get(membership.pk)
        return render(
            request,
            "journey/classes/update_offer.html",
            {"membership": membership, "offer": offer},
        )


class MembershipUpdateAcceptView(LoginRequiredMixin, View):
    def post(self, request, pk):
        membership = _membership_for(request, pk)
        try:
            updates.class_update_accept(student=request.user, membership=membership)
        except ApplicationError as exc:
            messages.error(request, exc.message)
            return redirect("classes:update", pk=membership.pk)
        messages.success(request, "Your course now follows the class's update.")
        return redirect("classes:list")
