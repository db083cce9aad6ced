"""Course pages: thin class-based views over the services, scoped to the signed-in user."""

from __future__ import annotations

import base64

from django.contrib import messages
from django.contrib.auth.mixins import LoginRequiredMixin
from django.core.paginator import Paginator
from django.http import Http404
from django.shortcuts import get_object_or_404, redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.functional import cached_property
from django.utils.http import url_has_allowed_host_and_scheme
from django.views import View
from django.views.generic import FormView, TemplateView

from accounts import services as account_services
from accounts.errors import ApplicationError
from accounts.timezones import user_zone
from courses import selectors, services
from courses.feeds import feed_max_bytes, fetch_feed
from courses.forms import (
    AssessmentForm,
    AssessmentWeightConfirmForm,
    CourseForm,
    CsvUploadForm,
    LmsUploadForm,
    StudyModesForm,
    TopicForm,
    apply_service_errors,
)
from courses.imports import MAX_CSV_BYTES
from courses.models import Assessment, Course, Topic
from courses.template_models import ClassMembership, MembershipStatus

# Imports keep the uploaded content in the session between preview and confirm, so the
# confirmed import is exactly the previewed file.
CSV_SESSION_KEY = "courses_csv_import"
LMS_SESSION_KEY = "courses_lms_import"


class UserTimezoneMixin:
    """Dates in forms and pages are in the student's timezone, not the server's."""

    def dispatch(self, request, *args, **kwargs):
        if not request.user.is_authenticated:
            return super().dispatch(request, *args, **kwargs)
        with timezone.override(user_zone(request.user)):
            response = super().dispatch(request, *args, **kwargs)
            # Template responses render lazily; render while the timezone is still in force.
            if hasattr(response, "render") and not response.is_rendered:
                response.render()
            return response


class CoursePageMixin(LoginRequiredMixin, UserTimezoneMixin):
    def user_course(self, pk) -> Course:
        return get_object_or_404(Course.objects.for_user(self.request.user), pk=pk)


class ServiceFormView(CoursePageMixin, FormView):
    """A form whose valid data goes to one service; its ApplicationError becomes form errors."""

    error_aliases: dict[str, str] = {}
    success_message = ""

    # Subclasses define perform(form) -> object and success_url_for(object) -> str.

    def form_valid(self, form):
        try:
            obj = self.perform(form)
        except ApplicationError as exc:
            apply_service_errors(form, exc, self.error_aliases)
            return self.form_invalid(form)
        if self.success_message:
            messages.success(self.request, self.success_message)
        return redirect(self.success_url_for(obj))


# --- courses --------------------------------------------------------------------------------


class CourseListView(CoursePageMixin, TemplateView):
    template_name = "courses/course_list.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        # Current courses first, then the archived ones, over as many pages as they take.
        page = Paginator(
            selectors.course_list(user=self.request.user).order_by("is_archived", "code", "name"),
            selectors.COURSES_PER_PAGE,
        ).get_page(self.request.GET.get("page"))
        courses = list(page.object_list)
        context["page"] = page
        context["per_page"] = selectors.COURSES_PER_PAGE
        context["active_courses"] = [course for course in courses if not course.is_archived]
        context["archived_courses"] = [course for course in courses if course.is_archived]
        return context


class CourseDetailView(CoursePageMixin, TemplateView):
    template_name = "courses/course_detail.html"

    def get_context_data(self, **kwargs):
        context = super().get_context_data(**kwargs)
        course = get_object_or_404(
            selectors.course_list(user=self.request.user), pk=self.kwargs["pk"]
        )
        context["detail"] = selectors.course_detail(
            course=course, page_number=self.request.GET.get("page")
        )
        context["topics_per_page"] = selectors.TOPICS_PER_PAGE
        context["course"] = course
        # A course that came from a class says so, and says when the class ended.
        context["class_membership"] = (
            ClassMembership.objects.for_user(self.request.user)
            .filter(course=course)
            .exclude(status=MembershipStatus.LEFT)
            .select_related("classroom")
            .first()
        )
        return context


class CourseCreateView(ServiceFormView):
    template_name = "courses/course_form.html"
    form_class = CourseForm
    success_message = "Course added."

    def perform(self, form):
        return services.course_create(user=self.request.user, **form.cleaned_data)

    def success_url_for(self, obj) -> str:
        return reverse("courses:detail", args=[obj.pk])


class CourseUpdateView(ServiceFormView):
    template_name = "courses/course_form.html"
    form_class = CourseForm
    success_message = "Course saved."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.course = self.user_course(kwargs["pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {name: getattr(self.course, name) for name in CourseForm.base_fields}

    def get_context_data(self, **kwargs):
        return super().get_context_data(course=self.course, **kwargs)

    def perform(self, form):
        return services.course_update(course=self.course, **form.cleaned_data)

    def success_url_for(self, obj) -> str:
        return reverse("courses:detail", args=[obj.pk])


class CourseArchiveView(CoursePageMixin, View):
    def post(self, request, pk):
        course = self.user_course(pk)
        services.course_archive(course=course, is_archived=not course.is_archived)
        messages.success(request, "Course archived." if course.is_archived else "Course restored.")
        return redirect("courses:detail", pk=course.pk)


class _ConfirmDeleteView(CoursePageMixin, TemplateView):
    """A confirmation page on GET, the delete service on POST; the object is the user's own."""

    template_name = "courses/confirm_delete.html"
    kind = ""
    consequences = ""
    done_message = ""

    def get_object(self):
        raise Http404  # every subclass names how to fetch its object

    def cancel_url(self, obj) -> str:
        return reverse("courses:detail", args=[obj.course_id])

    def get_context_data(self, **kwargs):
        obj = self.get_object()
        return super().get_context_data(
            object=obj,
            kind=self.kind,
            consequences=self.consequences,
            cancel_url=self.cancel_url(obj),
            **kwargs,
        )

    def post(self, request, pk):
        obj = self.get_object()
        redirect_to = self.after_delete_url(obj)
        self.delete(obj)
        messages.success(request, self.done_message)
        return redirect(redirect_to)

    def after_delete_url(self, obj) -> str:
        return reverse("courses:detail", args=[obj.course_id])


class CourseDeleteView(_ConfirmDeleteView):
    kind = "course"
    consequences = "Its topics and assessments are deleted with it."
    done_message = "Course deleted."

    def get_object(self):
        return self.user_course(self.kwargs["pk"])

    def cancel_url(self, obj) -> str:
        return reverse("courses:detail", args=[obj.pk])

    def after_delete_url(self, obj) -> str:
        return reverse("courses:list")

    def delete(self, obj) -> None:
        services.course_delete(course=obj)


# --- topics ---------------------------------------------------------------------------------


class _InCourseFormView(ServiceFormView):
    """A form about something in one of the student's courses; another student's course is a
    404. An edit view that already loaded its object sets `course` from it, saving a query."""

    course: Course

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated and not hasattr(self, "course"):
            self.course = self.user_course(kwargs["course_pk"])
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "course": self.course}

    def success_url_for(self, obj) -> str:
        return reverse("courses:detail", args=[self.course.pk])


class TopicCreateView(_InCourseFormView):
    template_name = "courses/topic_form.html"
    form_class = TopicForm
    success_message = "Topic added."

    def get_context_data(self, **kwargs):
        return super().get_context_data(course=self.course, **kwargs)

    def perform(self, form):
        return services.topic_create(course=self.course, **form.cleaned_data)


class TopicUpdateView(TopicCreateView):
    success_message = "Topic saved."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.topic = get_object_or_404(
                Topic.objects.for_user(request.user).select_related("course"), pk=kwargs["pk"]
            )
            self.course = self.topic.course
        return super().dispatch(request, *args, **kwargs)

    def get_form_kwargs(self):
        return {**super().get_form_kwargs(), "exclude_topic": self.topic}

    def get_initial(self):
        initial = {name: getattr(self.topic, name) for name in TopicForm.base_fields}
        initial["prerequisite_topic_ids"] = list(self.topic.prerequisite_topic_ids or [])
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(topic=self.topic, **kwargs)

    def perform(self, form):
        fields = dict(form.cleaned_data)
        if fields.get("order_index") is None:
            fields.pop("order_index")
        return services.topic_update(topic=self.topic, **fields)


class TopicDeleteView(_ConfirmDeleteView):
    kind = "topic"
    consequences = "It is removed from prerequisites and assessments that list it."
    done_message = "Topic deleted."

    def get_object(self) -> Topic:
        return get_object_or_404(
            Topic.objects.for_user(self.request.user).select_related("course"),
            pk=self.kwargs["pk"],
        )

    def delete(self, obj) -> None:
        services.topic_delete(topic=obj)


# --- assessments ----------------------------------------------------------------------------


class AssessmentCreateView(_InCourseFormView):
    template_name = "courses/assessment_form.html"
    form_class = AssessmentForm
    success_message = "Assessment added."

    def get_context_data(self, **kwargs):
        weights_total = selectors.course_list(user=self.request.user).get(pk=self.course.pk)
        return super().get_context_data(
            course=self.course, weights_total=weights_total.weights_total, **kwargs
        )

    def perform(self, form):
        return services.assessment_create(course=self.course, **form.service_fields())


class AssessmentUpdateView(AssessmentCreateView):
    success_message = "Assessment saved."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.assessment = get_object_or_404(
                Assessment.objects.for_user(request.user).select_related("course"),
                pk=kwargs["pk"],
            )
            self.course = self.assessment.course
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        names = [name for name in AssessmentForm.base_fields if name != "topic_ids"]
        initial = {name: getattr(self.assessment, name) for name in names}
        initial["due_date"] = timezone.localtime(self.assessment.due_date)
        links = list(self.assessment.assessment_topics.all())
        initial["topic_ids"] = [str(link.topic_id) for link in links]
        for link in links:
            initial[f"weight_{link.topic_id}"] = link.weight_in_assessment
        return initial

    def get_context_data(self, **kwargs):
        return super().get_context_data(assessment=self.assessment, **kwargs)

    def perform(self, form):
        return services.assessment_update(assessment=self.assessment, **form.service_fields())


class AssessmentWeightConfirmView(ServiceFormView):
    """Confirm or fix an estimated weight; the dashboard and the wizard post here inline."""

    template_name = "courses/assessment_weight_confirm.html"
    form_class = AssessmentWeightConfirmForm
    success_message = "Weight confirmed."

    def dispatch(self, request, *args, **kwargs):
        if request.user.is_authenticated:
            self.assessment = get_object_or_404(
                Assessment.objects.for_user(request.user).select_related("course"),
                pk=kwargs["pk"],
            )
        return super().dispatch(request, *args, **kwargs)

    def get_initial(self):
        return {"weight_percent": self.assessment.weight_percent}

    def get_context_data(self, **kwargs):
        return super().get_context_data(assessment=self.assessment, **kwargs)

    def perform(self, form):
        return services.assessment_weight_confirm(
            assessment=self.assessment, weight_percent=form.cleaned_data["weight_percent"]
        )

    def success_url_for(self, obj) -> str:
        target = self.request.POST.get("next", "")
        if url_has_allowed_host_and_scheme(
            target, allowed_hosts={self.request.get_host()}, require_https=False
        ):
            return target
        return reverse("courses:detail", args=[obj.course_id])


class AssessmentDeleteView(_ConfirmDeleteView):
    kind = "assessment"
    consequences = "Its weight is freed and its topic map removed."
    done_message = "Assessment deleted."

    def get_object(self) -> Assessment:
        return get_object_or_404(
            Assessment.objects.for_user(self.request.user), pk=self.kwargs["pk"]
        )

    def delete(self, obj) -> None:
        services.assessment_delete(assessment=obj)


# --- imports --------------------------------------------------------------------------------


class _ImportView(CoursePageMixin, TemplateView):
    """Upload → preview table (nothing written) → confirm, which applies the same content.

    With htmx the result region is swapped in place and the button shows a processing state;
    without JavaScript the whole page is rendered again.
    """

    session_key = ""
    result_template = ""

    def get_template_names(self):
        if self.request.htmx:
            return [self.result_template]
        return [self.template_name]

    @staticmethod
    def _stash(content: bytes) -> str:
        return base64.b64encode(content).decode("ascii")

    def _stashed(self) -> bytes | None:
        saved = self.request.session.get(self.session_key)
        return base64.b64decode(saved["content"]) if saved else None

    def _applied(self, report, summary: str):
        """After a confirm: the report again if a row failed, else the counts and the list."""
        if report.has_errors:
            return self.render_to_response(self.get_context_data(report=report))
        del self.request.session[self.session_key]
        messages.success(self.request, f"Imported: {summary}.")
        if self.request.htmx:
            return self.render_to_response(self.get_context_data(report=report, done=True))
        return redirect("courses:list")


class CsvImportView(_ImportView):
    template_name = "courses/import_csv.html"
    result_template = "courses/includes/_csv_import_area.html"
    session_key = CSV_SESSION_KEY

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", CsvUploadForm())
        kwargs.setdefault("max_kb", MAX_CSV_BYTES // 1024)
        return super().get_context_data(**kwargs)

    def post(self, request):
        if "confirm" in request.POST:
            return self._confirm()
        form = CsvUploadForm(request.POST, request.FILES)
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        content = form.cleaned_data["file"].read(MAX_CSV_BYTES + 1)
        try:
            report = services.courses_import_csv(user=request.user, content=content, dry_run=True)
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form))
        if not report.has_errors:
            request.session[self.session_key] = {"content": self._stash(content)}
        return self.render_to_response(self.get_context_data(form=form, report=report))

    def _confirm(self):
        content = self._stashed()
        if content is None:
            messages.error(self.request, "Upload the file again: the preview has expired.")
            return redirect("courses:import_csv")
        try:
            report = services.courses_import_csv(user=self.request.user, content=content)
        except ApplicationError as exc:
            messages.error(self.request, exc.message)
            return redirect("courses:import_csv")
        return self._applied(
            report,
            f"{report.count('create')} created, {report.count('update')} updated, "
            f"{report.count('unchanged')} unchanged",
        )


class LmsImportView(_ImportView):
    template_name = "courses/import_lms.html"
    result_template = "courses/includes/_lms_import_area.html"
    session_key = LMS_SESSION_KEY

    def user_courses(self):
        return Course.objects.for_user(self.request.user).active()

    def get_context_data(self, **kwargs):
        kwargs.setdefault("form", LmsUploadForm(courses=self.user_courses()))
        return super().get_context_data(**kwargs)

    def _fallback(self, course_id):
        if not course_id:
            return None
        return self.user_courses().filter(pk=course_id).first()

    def post(self, request):
        if "confirm" in request.POST:
            return self._confirm()
        form = LmsUploadForm(request.POST, request.FILES, courses=self.user_courses())
        if not form.is_valid():
            return self.render_to_response(self.get_context_data(form=form))
        fallback = self._fallback(form.cleaned_data.get("course"))
        try:
            if form.cleaned_data.get("file"):
                content = form.cleaned_data["file"].read(feed_max_bytes() + 1)
            else:
                content = fetch_feed(form.cleaned_data["url"], user=request.user)
            report = services.lms_import_preview(
                user=request.user, content=content, fallback_course=fallback
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return self.render_to_response(self.get_context_data(form=form))
        request.session[self.session_key] = {
            "content": self._stash(content),
            "course_id": str(fallback.pk) if fallback else "",
        }
        return self.render_to_response(self.get_context_data(form=form, report=report))

    def _confirm(self):
        content = self._stashed()
        if content is None:
            messages.error(self.request, "Upload the calendar again: the preview has expired.")
            return redirect("courses:import_lms")
        fallback = self._fallback(self.request.session[self.session_key].get("course_id"))
        try:
            report = services.lms_import_confirm(
                user=self.request.user, content=content, fallback_course=fallback
            )
        except ApplicationError as exc:
            messages.error(self.request, exc.message)
            return redirect("courses:import_lms")
        return self._applied(
            report,
            f"{report.count('create')} created, {report.count('update')} updated, "
            f"{report.count('unchanged')} unchanged, {report.count('skip')} skipped",
        )


# --- study modes ----------------------------------------------------------------------------


class StudyModesView(CoursePageMixin, FormView):
    template_name = "courses/study_modes.html"
    form_class = StudyModesForm

    @cached_property
    def page(self):
        # A page of courses at a time, as on the course list; saving a page keeps the other
        # pages' choices (the form only replaces its own courses' entries).
        return Paginator(
            Course.objects.for_user(self.request.user).active().order_by("code", "name"),
            selectors.COURSES_PER_PAGE,
        ).get_page(self.request.GET.get("page"))

    def get_form_kwargs(self):
        self.preferences = account_services.preferences_get_current(user=self.request.user)
        return {
            **super().get_form_kwargs(),
            "courses": self.page.object_list,
            "current": self.preferences.study_mode_preferences or {},
        }

    def get_context_data(self, **kwargs):
        return super().get_context_data(
            page=self.page, per_page=selectors.COURSES_PER_PAGE, **kwargs
        )

    def form_valid(self, form):
        current = self.preferences.study_mode_preferences or {}
        try:
            account_services.preferences_update(
                user=self.request.user,
                study_mode_preferences=form.study_mode_preferences(current),
            )
        except ApplicationError as exc:
            apply_service_errors(form, exc)
            return self.form_invalid(form)
        messages.success(self.request, "Study modes saved.")
        url = reverse("courses:study_modes")
        return redirect(f"{url}?page={self.page.number}" if self.page.number > 1 else url)
